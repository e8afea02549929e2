import { getSignedUrl } from "@aws-sdk/cloudfront-signer";
import type { DocumentLinkConfig } from "./config.js";

/**
 * A link to an object of the bucket that works until `expires` and not a second longer: a
 * CloudFront signed URL with a canned policy (`Expires`, `Signature`, `Key-Pair-Id`), signed
 * with RSA over SHA-256 (`Hash-Algorithm=SHA256`). Deployed, CloudFront checks it against the
 * key group's public key; embedded, the HTTP front does the same (local/emulator/document-links.ts).
 * Nothing in it depends on the signer's credentials, so it lives as long as it says.
 */
export async function signedDocumentUrl(config: DocumentLinkConfig, key: string, expires: Date): Promise<string> {
	if (expires.getTime() % 1000 !== 0) throw new RangeError(`a link expires on a whole second, got ${expires.toISOString()}`);
	return getSignedUrl({
		url: `${config.baseUrl}/${key}`,
		keyPairId: config.keyPairId,
		privateKey: await config.privateKey(),
		dateLessThan: expires,
		algorithm: "SHA256",
	});
}
