import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeLocalFunction, LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { createClients } from "../../shared/platform/clients.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getAccount } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The deployed ways in (DESIGN.md section 8), through the handlers Lambda runs: a file put
 * under imports/ (the event S3 sends EventBridge) and its result beside it.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };

beforeAll(async () => {
	stack = await startTestStack("ingestion");
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
});

afterAll(async () => {
	await stack?.stop();
});

async function putFile(key: string, text: string): Promise<void> {
	await clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: text }));
}

async function readJson(key: string): Promise<Record<string, unknown>> {
	const out = await clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
	return JSON.parse((await out.Body?.transformToString()) ?? "null") as Record<string, unknown>;
}

async function keysUnder(prefix: string): Promise<string[]> {
	const out = await clients.s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: prefix }));
	return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

/** What S3 sends EventBridge for a PutObject, the key URL-encoded as S3 writes it. */
function objectCreated(key: string, bucket = stack.bucketName) {
	const encoded = encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
	return {
		version: "0",
		id: crypto.randomUUID(),
		"detail-type": "Object Created",
		source: "aws.s3",
		account: LOCAL_ACCOUNT,
		time: new Date().toISOString(),
		region: LOCAL_REGION,
		resources: [`arn:aws:s3:::${bucket}`],
		detail: {
			version: "0",
			bucket: { name: bucket },
			object: { key: encoded, size: 100, etag: "b1946ac92492d2347c6235b4d2611184", "version-id": "v1", sequencer: "617f08299329d189" },
			"request-id": "N4N7GDK58NMKJ12R",
			requester: LOCAL_ACCOUNT,
			"source-ip-address": "10.0.0.1",
			reason: "PutObject",
		},
	};
}

const importFile = (event: unknown) => invokeLocalFunction(localFunctionArn("ImportFile"), event);

describe("a file put under imports/", () => {
	it("is imported and its result written beside it as <key>.result.json", async () => {
		await putFile(
			"imports/accounts.csv",
			[
				"account_id,name,currency,email,tax_rate,payment_terms",
				"ACC-S3-1,Harbor Freight Co,USD,ap@harbor.example.com,8.875,net_15",
				"ACC-S3-2,Lakeside Data GmbH,EUR,billing@lakeside.example.de,19,net_30",
			].join("\n"),
		);

		expect(await importFile(objectCreated("imports/accounts.csv"))).toMatchObject({
			key: "imports/accounts.csv",
			status: "imported",
			resultKey: "imports/accounts.csv.result.json",
		});

		expect(await getAccount(table, "ACC-S3-1")).toMatchObject({
			name: "Harbor Freight Co",
			currency: "USD",
			email: "ap@harbor.example.com",
			taxRatePpm: 88_750,
			paymentTermsDays: 15,
		});
		expect(await getAccount(table, "ACC-S3-2")).toMatchObject({ currency: "EUR", taxRatePpm: 190_000 });
		const result = await readJson("imports/accounts.csv.result.json");
		expect(result).toMatchObject({
			status: "imported",
			result: {
				dryRun: false,
				files: [{ name: "imports/accounts.csv", kind: "accounts", rows: 2 }],
				counts: { accounts: { created: 2, updated: 0, unchanged: 0 } },
			},
		});
		const [created] = await listAuditEntries(table, "account", "ACC-S3-1");
		expect(created).toMatchObject({ action: "created", actor: `s3:${LOCAL_ACCOUNT}`, reason: "import imports/accounts.csv" });

		// The same file again (an event delivered twice) changes nothing.
		await importFile(objectCreated("imports/accounts.csv"));
		expect(await readJson("imports/accounts.csv.result.json")).toMatchObject({
			status: "imported",
			result: { counts: { accounts: { created: 0, updated: 0, unchanged: 2 } } },
		});
	});

	it("refuses a bad file whole: the result lists every bad row as line N: field: reason and nothing is written", async () => {
		await putFile(
			"imports/accounts-2026-bad.csv",
			[
				"account_id,name,currency,email,tax_rate",
				"ACC-S3-BAD-1,Good Row Ltd,USD,ap@good.example.com,8.875",
				"ACC-S3-BAD-2,Bad Rate Ltd,USD,ap@rate.example.com,8.87501",
				"ACC-S3-BAD-3,No Currency Ltd,,ap@currency.example.com,",
			].join("\r\n"),
		);

		expect(await importFile(objectCreated("imports/accounts-2026-bad.csv"))).toMatchObject({ status: "refused", errorCount: 2 });

		const result = await readJson("imports/accounts-2026-bad.csv.result.json");
		expect(result).toEqual({
			status: "refused",
			errorCount: 2,
			errors: [expect.stringMatching(/^line 3: tax_rate: "8.87501" .*at most 4 decimals/), expect.stringMatching(/^line 4: currency: /)],
		});
		for (const id of ["ACC-S3-BAD-1", "ACC-S3-BAD-2", "ACC-S3-BAD-3"]) expect(await getAccount(table, id)).toBeUndefined();
	});

	it("refuses a file whose name says no kind, in its result", async () => {
		await putFile("imports/customers.csv", "account_id,name,currency\nACC-S3-X,X Ltd,USD\n");
		await importFile(objectCreated("imports/customers.csv"));
		expect(await readJson("imports/customers.csv.result.json")).toEqual({
			status: "refused",
			errorCount: 1,
			errors: [expect.stringContaining("cannot tell what it holds from its name")],
		});
		expect(await getAccount(table, "ACC-S3-X")).toBeUndefined();
	});

	it("reads the key S3 sends URL-encoded (a name with spaces) as the object's key", async () => {
		await putFile(
			"imports/accounts (march) 2026.csv",
			"account_id,name,currency,email\nACC-S3-SP,Space Name Ltd,USD,ap@space.example.com\n",
		);
		await importFile(objectCreated("imports/accounts (march) 2026.csv"));
		expect(await readJson("imports/accounts (march) 2026.csv.result.json")).toMatchObject({ status: "imported" });
		expect(await getAccount(table, "ACC-S3-SP")).toMatchObject({ name: "Space Name Ltd" });
	});

	it("ignores its own results, folders and keys outside imports/", async () => {
		const before = await keysUnder("");
		for (const key of ["imports/accounts.csv.result.json", "imports/", "reports/accounts.csv"]) {
			expect(await importFile(objectCreated(key))).toEqual({ key, status: "ignored" });
		}
		expect(await keysUnder("")).toEqual(before);
	});

	it("writes a failure as failed and throws it, so Lambda retries the event and the alarm sees it", async () => {
		await expect(importFile(objectCreated("imports/charges-gone.csv"))).rejects.toThrow(/NoSuchKey|does not exist/);
		expect(await readJson("imports/charges-gone.csv.result.json")).toEqual({
			status: "failed",
			error: expect.stringMatching(/NoSuchKey/),
		});
	});
});
