import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler } from "../../infra/handlers/document-link-key.js";

/**
 * The custom resource that makes the document links' key pair at deploy time: the private key
 * into the secret, the public key out to CloudFront; made once, so a redeploy never breaks the
 * links already emailed.
 */

const secretsMock = mockClient(SecretsManagerClient);
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:DocumentLinksPrivateKey-abc";

function event(requestType: "Create" | "Update" | "Delete"): CloudFormationCustomResourceEvent {
	const common = {
		ServiceToken: "arn:aws:lambda:us-east-1:000000000000:function:provider",
		ResponseURL: "https://cloudformation-custom-resource-response.example/",
		StackId: "arn:aws:cloudformation:us-east-1:000000000000:stack/BillingStack/1",
		RequestId: "req-1",
		LogicalResourceId: "DocumentLinksKey",
		ResourceType: "Custom::DocumentLinkKey",
		ResourceProperties: { ServiceToken: "arn:aws:lambda:us-east-1:000000000000:function:provider", SecretArn: SECRET_ARN },
	};
	if (requestType === "Create") return { ...common, RequestType: "Create" };
	if (requestType === "Update")
		return { ...common, RequestType: "Update", PhysicalResourceId: SECRET_ARN, OldResourceProperties: common.ResourceProperties };
	return { ...common, RequestType: "Delete", PhysicalResourceId: SECRET_ARN };
}

beforeEach(() => {
	secretsMock.reset();
});

describe("the document link key generator", () => {
	it("replaces the secret's generated placeholder with a new RSA 2048 private key and hands out its public key", async () => {
		secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "Xq9placeholderGeneratedBySecretsManager" });
		secretsMock.on(PutSecretValueCommand).resolves({});
		const response = await handler(event("Create"));
		const [put] = secretsMock.commandCalls(PutSecretValueCommand);
		expect(put?.args[0].input.SecretId).toBe(SECRET_ARN);
		const privateKey = createPrivateKey(put?.args[0].input.SecretString as string);
		expect(privateKey.asymmetricKeyType).toBe("rsa");
		expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
		expect(response.PhysicalResourceId).toBe(SECRET_ARN);
		expect(response.Data?.PublicKey).toBe(createPublicKey(privateKey).export({ type: "spki", format: "pem" }));
		expect(response.Data?.PublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
		expect(JSON.stringify(response)).not.toContain("PRIVATE KEY");
	});

	it("keeps the key the secret holds on a create or an update: the public key stays, nothing is written", async () => {
		const stored = generateKeyPairSync("rsa", { modulusLength: 2048 });
		secretsMock.on(GetSecretValueCommand).resolves({ SecretString: stored.privateKey.export({ type: "pkcs8", format: "pem" }) as string });
		for (const type of ["Create", "Update"] as const) {
			const response = await handler(event(type));
			expect(response.Data?.PublicKey, type).toBe(stored.publicKey.export({ type: "spki", format: "pem" }));
		}
		expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
	});

	it("leaves the secret alone on delete (the stack retains it)", async () => {
		expect(await handler(event("Delete"))).toEqual({ PhysicalResourceId: SECRET_ARN });
		expect(secretsMock.calls()).toHaveLength(0);
	});
});
