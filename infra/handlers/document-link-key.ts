import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";

/**
 * The document links' key pair, made at deploy time (the DocumentLinks construct's custom
 * resource, through CDK's Provider framework). The private key goes into the Secrets Manager
 * secret named by `SecretArn` and never leaves it; the public key (PEM) is the resource's
 * `PublicKey` attribute, which CloudFront's public key and key group take.
 *
 * Made once: while the secret holds an RSA key of 2048 bits or more, every create and update
 * hands out that key's public half and changes nothing, so a redeploy never invalidates the
 * links already emailed. The secret's first value (Secrets Manager's generated placeholder) is
 * replaced by a new key. Delete leaves the secret alone (the stack retains it).
 */

const secrets = new SecretsManagerClient({});

export interface KeyResponse {
	readonly PhysicalResourceId: string;
	readonly Data?: { readonly PublicKey: string };
}

/** The key the secret holds, if it holds one CloudFront takes. */
async function storedKey(secretArn: string): Promise<KeyObject | undefined> {
	const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
	try {
		const key = createPrivateKey(SecretString ?? "");
		return key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? key : undefined;
	} catch {
		return undefined;
	}
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<KeyResponse> {
	if (event.RequestType === "Delete") return { PhysicalResourceId: event.PhysicalResourceId };
	const secretArn = event.ResourceProperties.SecretArn;
	if (typeof secretArn !== "string" || secretArn === "") throw new Error("the DocumentLinkKey resource needs SecretArn");
	let privateKey = await storedKey(secretArn);
	if (!privateKey) {
		privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
		const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
		await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: pem }));
	}
	const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "pem" }) as string;
	return { PhysicalResourceId: secretArn, Data: { PublicKey: publicKey } };
}
