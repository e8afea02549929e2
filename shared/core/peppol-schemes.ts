/**
 * The Electronic Address Scheme (EAS) codes a Peppol participant identifier may name, as
 * `scheme:identifier` (an account's `peppolId`, BT-49 of the e-invoice: the buyer's
 * electronic address and its `schemeID`).
 *
 * Source: OpenPeppol, Peppol BIS Billing 3.0, code list "Electronic Address Scheme (EAS)",
 * release 3.0.19 (published 2025-05-21, mandatory from 2025-08-25):
 * https://docs.peppol.eu/poacc/billing/3.0/codelist/eas/ (structure/codelist/eas.xml of
 * github.com/OpenPEPPOL/peppol-bis-invoice-3 at tag v3.0.19). The same 92 codes are the
 * `eaid` list rule PEPPOL-EN16931-CL008 of that release checks; 9901 left the list in it.
 * When OpenPeppol publishes a new release, update the codes and the release named here.
 */
export const PEPPOL_EAS_RELEASE = "Peppol BIS Billing 3.0.19 (May 2025)";

export const PEPPOL_EAS_CODES: ReadonlySet<string> = new Set(
	(
		"0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 " +
		"0158 0170 0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 " +
		"0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 " +
		"0218 0221 0225 0230 0235 0240 9910 9913 9914 9915 9918 9919 9920 9922 9923 " +
		"9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 " +
		"9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 " +
		"9957 9959"
	).split(" "),
);

/** A Peppol participant identifier read: its scheme (an EAS code) and the identifier within it. */
export interface PeppolParticipant {
	readonly scheme: string;
	readonly identifier: string;
}

/**
 * Reads `scheme:identifier` (e.g. `0208:0123456749`), or throws with what is wrong with it.
 * A Belgian enterprise number (0208, what every Belgian company is registered on Peppol
 * under) is checked as Peppol rule PEPPOL-COMMON-R043 checks it: ten digits whose last two
 * are 97 minus the first eight modulo 97, so a typo is found here rather than at delivery.
 */
export function parsePeppolId(value: string): PeppolParticipant {
	const text = value.trim();
	const colon = text.indexOf(":");
	if (colon < 0) throw new Error(`${JSON.stringify(text)} is not scheme:identifier, e.g. 0208:0123456749`);
	const scheme = text.slice(0, colon).trim();
	const identifier = text.slice(colon + 1).trim();
	if (!PEPPOL_EAS_CODES.has(scheme)) {
		throw new Error(
			`scheme ${JSON.stringify(scheme)} is not a Peppol participant identifier scheme (an EAS code of ${PEPPOL_EAS_RELEASE}, e.g. 0208 Belgian enterprise number, 0088 GLN, 9930 German VAT number)`,
		);
	}
	if (identifier === "") throw new Error(`the identifier after ${scheme}: is empty`);
	if (/\s/.test(identifier)) throw new Error(`the identifier ${JSON.stringify(identifier)} has a space in it`);
	if (scheme === "0208" && !isBelgianEnterpriseNumber(identifier)) {
		throw new Error(`${identifier} is not a Belgian enterprise number (ten digits with their mod-97 check, e.g. 0123456749)`);
	}
	return { scheme, identifier };
}

/** `0208:0123456749` as the account stores it: scheme and identifier without spaces around them. */
export function readPeppolId(value: string): string {
	const { scheme, identifier } = parsePeppolId(value);
	return `${scheme}:${identifier}`;
}

function isBelgianEnterpriseNumber(identifier: string): boolean {
	if (!/^\d{10}$/.test(identifier)) return false;
	return 97 - (Number(identifier.slice(0, 8)) % 97) === Number(identifier.slice(8));
}
