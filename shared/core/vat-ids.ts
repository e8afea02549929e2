/**
 * The shape of a VAT identification number of an EU member state: its two-letter prefix
 * (Greece's is EL, not GR) and the national part's pattern. Only the shape: whether the
 * number is registered is VIES's to say.
 *
 * Source: European Commission, VIES, "What is the structure of a VAT number?" (the table
 * "VAT identification number structure", https://ec.europa.eu/taxation_customs/vies/#/faq),
 * read December 2026. 9 is a digit, X a letter or digit, L a letter; Ireland's S is a letter,
 * a digit, "+" or "*"; Belgium's numbers start with 0 or 1; Spain's first and last characters
 * may be letters or digits but not both digits.
 */
export const EU_VAT_ID_FORMATS: Readonly<Record<string, { readonly pattern: RegExp; readonly example: string }>> = {
	AT: { pattern: /^U\d{8}$/, example: "ATU99999999" },
	BE: { pattern: /^[01]\d{9}$/, example: "BE0999999999" },
	BG: { pattern: /^\d{9,10}$/, example: "BG999999999 or BG9999999999" },
	CY: { pattern: /^\d{8}[A-Z]$/, example: "CY99999999L" },
	CZ: { pattern: /^\d{8,10}$/, example: "CZ99999999 to CZ9999999999" },
	DE: { pattern: /^\d{9}$/, example: "DE999999999" },
	DK: { pattern: /^\d{8}$/, example: "DK99999999" },
	EE: { pattern: /^\d{9}$/, example: "EE999999999" },
	EL: { pattern: /^\d{9}$/, example: "EL999999999" },
	ES: { pattern: /^(?!\d{9}$)[A-Z0-9]\d{7}[A-Z0-9]$/, example: "ESX9999999X" },
	FI: { pattern: /^\d{8}$/, example: "FI99999999" },
	FR: { pattern: /^[A-Z0-9]{2}\d{9}$/, example: "FRXX999999999" },
	HR: { pattern: /^\d{11}$/, example: "HR99999999999" },
	HU: { pattern: /^\d{8}$/, example: "HU99999999" },
	IE: { pattern: /^(\d[A-Z0-9+*]\d{5}[A-Z]|\d{7}[A-Z]{2})$/, example: "IE9S99999L or IE9999999WI" },
	IT: { pattern: /^\d{11}$/, example: "IT99999999999" },
	LT: { pattern: /^(\d{9}|\d{12})$/, example: "LT999999999 or LT999999999999" },
	LU: { pattern: /^\d{8}$/, example: "LU99999999" },
	LV: { pattern: /^\d{11}$/, example: "LV99999999999" },
	MT: { pattern: /^\d{8}$/, example: "MT99999999" },
	NL: { pattern: /^\d{9}B\d{2}$/, example: "NL999999999B99" },
	PL: { pattern: /^\d{10}$/, example: "PL9999999999" },
	PT: { pattern: /^\d{9}$/, example: "PT999999999" },
	RO: { pattern: /^\d{2,10}$/, example: "RO99 to RO9999999999" },
	SE: { pattern: /^\d{12}$/, example: "SE999999999999" },
	SI: { pattern: /^\d{8}$/, example: "SI99999999" },
	SK: { pattern: /^\d{10}$/, example: "SK9999999999" },
};

/**
 * The VAT id as an e-invoice carries it (upper case, no spaces, dots or hyphens: `BE 0123.456.749`
 * is `BE0123456749`), or throws with what is wrong with its shape.
 */
export function readVatId(value: string): string {
	const id = value.toUpperCase().replace(/[\s.-]/g, "");
	const prefix = id.slice(0, 2);
	if (!/^[A-Z]{2}$/.test(prefix)) {
		throw new Error(`${JSON.stringify(value.trim())} does not start with its country's two-letter prefix, e.g. DE123456789`);
	}
	if (prefix === "GR") throw new Error(`Greek VAT ids start with EL, not GR: EL${id.slice(2)}`);
	const format = EU_VAT_ID_FORMATS[prefix];
	if (!format) throw new Error(`${prefix} is not the prefix of an EU member state's VAT id (AT, BE, ..., SK; Greece is EL)`);
	if (!format.pattern.test(id.slice(2)))
		throw new Error(`${JSON.stringify(id)} does not have the shape of ${prefix}'s VAT ids: ${format.example}`);
	return id;
}
