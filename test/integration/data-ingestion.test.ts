import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeLocalFunction, LOCAL_ACCOUNT, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { createClients } from "../../shared/platform/clients.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getAccount } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";
import { objectCreated as objectCreatedIn, putFile as putFileIn, readJson as readJsonIn } from "../support/s3-events.js";

/**
 * The deployed ways in (DESIGN.md section 8), through the handlers Lambda runs: a file put
 * under imports/ (the event S3 sends EventBridge) and its result beside it; the data API's
 * requests as API Gateway hands them over (payload 2.0, the IAM authorizer's caller).
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

async function keysUnder(prefix: string): Promise<string[]> {
	const out = await clients.s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: prefix }));
	return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

/** What S3 sends EventBridge for a PutObject of the key (in the stack's bucket unless another is named). */
const objectCreated = (key: string, bucket = stack.bucketName) => objectCreatedIn(bucket, key);

const putFile = (key: string, text: string) => putFileIn(clients.s3, stack.bucketName, key, text);
const readJson = (key: string) => readJsonIn(clients.s3, stack.bucketName, key);
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

	it("refuses a file over the one-shot limit whole, saying so in its result, and writes nothing", async () => {
		await putFile(
			"imports/accounts-too-many.csv",
			["account_id,name,currency,email", ...[1, 2, 3, 4].map((i) => `ACC-S3-MANY-${i},Many ${i} Ltd,USD,ap@many${i}.example.com`)].join(
				"\n",
			),
		);
		process.env.IMPORT_ONE_SHOT_ROWS = "3";
		try {
			expect(await importFile(objectCreated("imports/accounts-too-many.csv"))).toMatchObject({ status: "refused", errorCount: 1 });
		} finally {
			delete process.env.IMPORT_ONE_SHOT_ROWS;
		}
		expect(await readJson("imports/accounts-too-many.csv.result.json")).toEqual({
			status: "refused",
			errorCount: 1,
			errors: [expect.stringMatching(/^imports\/accounts-too-many\.csv: more than 3 rows, .*billing import \(any size\)/)],
		});
		for (const i of [1, 2, 3, 4]) expect(await getAccount(table, `ACC-S3-MANY-${i}`)).toBeUndefined();
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

const CALLER = `arn:aws:iam::${LOCAL_ACCOUNT}:user/crm-sync`;

/** A request as API Gateway (HTTP API, payload 2.0) hands it over once SigV4 has authenticated the caller. */
function apiRequest(
	method: string,
	path: string,
	body: unknown,
	options: { routeKey?: string; caller?: string | null; idempotencyKey?: string } = {},
) {
	const now = new Date();
	const id = /^\/accounts\/([^/]+)$/.exec(path)?.[1];
	const routeKey = options.routeKey ?? (id ? `${method} /accounts/{id}` : `${method} ${path}`);
	const caller = options.caller === undefined ? CALLER : options.caller;
	return {
		version: "2.0",
		routeKey,
		rawPath: path,
		rawQueryString: "",
		headers: {
			"content-type": "application/json",
			host: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			"x-amz-date": "20261201T120000Z",
			authorization:
				"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
			...(options.idempotencyKey === undefined ? {} : { "idempotency-key": options.idempotencyKey }),
		},
		...(id ? { pathParameters: { id } } : {}),
		requestContext: {
			accountId: LOCAL_ACCOUNT,
			apiId: "a1b2c3d4e5",
			...(caller
				? {
						authorizer: {
							iam: {
								accessKey: "AKIAEXAMPLE",
								accountId: LOCAL_ACCOUNT,
								callerId: "AIDAEXAMPLE",
								cognitoIdentity: null,
								principalOrgId: null,
								userArn: caller,
								userId: "AIDAEXAMPLE",
							},
						},
					}
				: {}),
			domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			domainPrefix: "a1b2c3d4e5",
			http: { method, path, protocol: "HTTP/1.1", sourceIp: "10.0.0.1", userAgent: "crm-sync/1.0" },
			requestId: crypto.randomUUID(),
			routeKey,
			stage: "$default",
			time: now.toUTCString(),
			timeEpoch: now.getTime(),
		},
		body: typeof body === "string" ? body : JSON.stringify(body),
		isBase64Encoded: false,
	};
}

async function callApi(event: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> {
	const response = (await invokeLocalFunction(localFunctionArn("DataApi"), event)) as { statusCode: number; body: string };
	return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

/**
 * The stored charges with these ids, read from the table as it is (one item a charge, or
 * pages of charges: this reads both, so it does not depend on how the store lays them out).
 */
async function storedCharges(...chargeIds: string[]): Promise<Record<string, unknown>[]> {
	const items: Record<string, unknown>[] = [];
	let startKey: Record<string, unknown> | undefined;
	do {
		const out = await clients.ddb.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: startKey }));
		items.push(...(out.Items ?? []));
		startKey = out.LastEvaluatedKey;
	} while (startKey);
	return items
		.flatMap((item) => (Array.isArray(item.charges) ? (item.charges as Record<string, unknown>[]) : [item]))
		.filter((c) => typeof c.chargeId === "string" && chargeIds.includes(c.chargeId))
		.sort((a, b) => String(a.chargeId).localeCompare(String(b.chargeId)));
}

const account = { name: "Api Customer Inc", currency: "USD", email: "ap@api-customer.example.com", tax_rate: "8.875" };

const charge = (chargeId: string, quantity: string | number, unitPrice: string | number) => ({
	charge_id: chargeId,
	account_id: "ACC-API-1",
	date: "2026-11-30",
	description: "Data transfer, GB",
	quantity,
	unit_price: unitPrice,
});

describe("the data API", () => {
	it("PUT /accounts/{id} creates the account named by the path, the caller's IAM identity as actor", async () => {
		const response = await callApi(apiRequest("PUT", "/accounts/ACC-API-1", account));

		expect(response.statusCode).toBe(200);
		expect(response.body).toMatchObject({ dryRun: false, counts: { accounts: { created: 1, updated: 0, unchanged: 0 } } });
		expect(await getAccount(table, "ACC-API-1")).toMatchObject({
			accountId: "ACC-API-1",
			name: "Api Customer Inc",
			currency: "USD",
			email: "ap@api-customer.example.com",
			taxRatePpm: 88_750,
		});
		const [created] = await listAuditEntries(table, "account", "ACC-API-1");
		expect(created).toMatchObject({ action: "created", actor: `iam:${CALLER}`, reason: "import PUT /accounts/ACC-API-1" });

		// The same body again changes nothing; a changed field is an update.
		expect((await callApi(apiRequest("PUT", "/accounts/ACC-API-1", account))).body).toMatchObject({
			counts: { accounts: { created: 0, updated: 0, unchanged: 1 } },
		});
		expect((await callApi(apiRequest("PUT", "/accounts/ACC-API-1", { ...account, name: "Api Customer Holdings" }))).body).toMatchObject({
			counts: { accounts: { created: 0, updated: 1, unchanged: 0 } },
		});
		expect(await getAccount(table, "ACC-API-1")).toMatchObject({ name: "Api Customer Holdings" });
	});

	it("refuses a tax rate with more than 4 decimals with 400 naming the field, and stores nothing", async () => {
		// A JSON number: its digits are read as written, never through a float.
		const response = await callApi(
			apiRequest(
				"PUT",
				"/accounts/ACC-API-2",
				`{"name":"Too Precise Ltd","currency":"USD","email":"ap@precise.example.com","tax_rate":8.87501}`,
			),
		);

		expect(response.statusCode).toBe(400);
		expect(response.body).toEqual({ errorCount: 1, errors: [expect.stringMatching(/^line 1: tax_rate: "8.87501" .*at most 4 decimals/)] });
		expect(await getAccount(table, "ACC-API-2")).toBeUndefined();
	});

	it("refuses a body whose account_id is not the path's, and a body that is not JSON", async () => {
		const other = await callApi(apiRequest("PUT", "/accounts/ACC-API-3", { ...account, account_id: "ACC-API-4" }));
		expect(other.statusCode).toBe(400);
		expect(other.body).toEqual({ errorCount: 1, errors: [expect.stringContaining("the path says ACC-API-3")] });

		const garbage = await callApi(apiRequest("PUT", "/accounts/ACC-API-3", "{name: nope"));
		expect(garbage).toEqual({ statusCode: 400, body: { errorCount: 1, errors: ["the body is not JSON"] } });
		for (const id of ["ACC-API-3", "ACC-API-4"]) expect(await getAccount(table, id)).toBeUndefined();
	});

	it("refuses POST /charges with more than 1,000 records, storing none of them", async () => {
		const records = Array.from({ length: 1001 }, (_, i) => charge(`CH-API-MANY-${i}`, 1, "1.00"));
		const response = await callApi(apiRequest("POST", "/charges", records));

		expect(response.statusCode).toBe(400);
		expect(response.body).toEqual({ errorCount: 1, errors: [expect.stringContaining("at most 1000 a request")] });
		expect(await storedCharges("CH-API-MANY-0", "CH-API-MANY-1000")).toEqual([]);
	});

	it("POST /charges stores the charges: fractional quantities as decimal strings, prices in minor units", async () => {
		const response = await callApi(apiRequest("POST", "/charges", [charge("CH-API-1", 2.5, 19.99), charge("CH-API-2", "3", "150.00")]));

		expect(response.statusCode).toBe(200);
		expect(response.body).toMatchObject({ counts: { charges: { created: 2, updated: 0, unchanged: 0 } } });
		expect(await storedCharges("CH-API-1", "CH-API-2")).toEqual([
			expect.objectContaining({ chargeId: "CH-API-1", accountId: "ACC-API-1", period: "2026-11", quantity: "2.5", unitAmount: 1999 }),
			expect.objectContaining({ chargeId: "CH-API-2", accountId: "ACC-API-1", period: "2026-11", quantity: 3, unitAmount: 15000 }),
		]);
	});

	it("answers a retry with the same Idempotency-Key as the first time, and stores the charges once", async () => {
		const records = [charge("CH-API-IK-1", 2, "10.00"), charge("CH-API-IK-2", 1, "5.25")];
		const send = (key: string, body: unknown = records) => callApi(apiRequest("POST", "/charges", body, { idempotencyKey: key }));

		// A client retrying while its first call still runs: the retry waits for nothing and writes nothing.
		const [first, retry] = await Promise.all([send("sync-2026-11-30-a"), send("sync-2026-11-30-a")]);
		const answers = [first, retry].filter((r) => r.statusCode === 200);
		expect(answers.length).toBeGreaterThanOrEqual(1);
		for (const r of [first, retry].filter((r) => r.statusCode !== 200))
			expect(r).toEqual({ statusCode: 409, body: { errorCount: 1, errors: [expect.stringContaining("still being answered")] } });
		expect(answers[0]?.body).toMatchObject({ counts: { charges: { created: 2, updated: 0, unchanged: 0 } } });
		if (answers.length === 2) expect(answers[1]).toEqual(answers[0]);

		// Once answered, a retry gets the very same answer (the same import id), and nothing is imported again.
		const later = await send("sync-2026-11-30-a");
		expect(later).toEqual(answers[0]);
		expect(await storedCharges("CH-API-IK-1", "CH-API-IK-2")).toEqual([
			expect.objectContaining({ chargeId: "CH-API-IK-1", unitAmount: 1000 }),
			expect.objectContaining({ chargeId: "CH-API-IK-2", unitAmount: 525 }),
		]);

		// The key with another request is refused, and changes nothing.
		const reused = await send("sync-2026-11-30-a", [charge("CH-API-IK-1", 3, "10.00")]);
		expect(reused).toEqual({ statusCode: 422, body: { errorCount: 1, errors: [expect.stringContaining("used for another request")] } });
		expect((await storedCharges("CH-API-IK-1"))[0]).toMatchObject({ quantity: 2 });

		// A key that is not printable ASCII is refused.
		expect((await send("bad key é")).statusCode).toBe(400);
	});

	it("stores 1,000 charges of one month whose descriptions are as long as allowed, in pages under DynamoDB's item limit", async () => {
		// 500 characters of four bytes each in UTF-8: 250 of these on one page were over 400 KB, and the request failed with 500.
		const description = "𝄞".repeat(500);
		const records = Array.from({ length: 1000 }, (_, i) => ({ ...charge(`CH-API-LONG-${i}`, 1, "0.10"), description }));
		const response = await callApi(apiRequest("POST", "/charges", records));

		expect(response.statusCode).toBe(200);
		expect(response.body).toMatchObject({ counts: { charges: { created: 1000, updated: 0, unchanged: 0 } } });
		const stored = await storedCharges(...records.map((r) => r.charge_id));
		expect(stored).toHaveLength(1000);
		expect(new Set(stored.map((c) => c.description))).toEqual(new Set([description]));
	});

	it("refuses a field longer than its limit, naming the record and the field, and stores nothing", async () => {
		const response = await callApi(
			apiRequest("POST", "/charges", [
				charge("CH-API-TOOLONG-1", 1, "1.00"),
				{ ...charge("CH-API-TOOLONG-2", 1, "1.00"), description: "x".repeat(501) },
			]),
		);
		expect(response).toEqual({
			statusCode: 400,
			body: { errorCount: 1, errors: ["line 2: description: is 501 characters long; at most 500"] },
		});
		expect(await storedCharges("CH-API-TOOLONG-1", "CH-API-TOOLONG-2")).toEqual([]);
	});

	it("refuses a charge for an account that does not exist, naming the record", async () => {
		const response = await callApi(apiRequest("POST", "/charges", [{ ...charge("CH-API-X", 1, "1.00"), account_id: "ACC-API-NOPE" }]));
		expect(response.statusCode).toBe(400);
		expect(response.body).toEqual({ errorCount: 1, errors: [expect.stringMatching(/^line 1: account_id: /)] });
		expect(await storedCharges("CH-API-X")).toEqual([]);
	});

	it("answers 404 for a route it does not have and 403 without an IAM identity", async () => {
		expect(await callApi(apiRequest("GET", "/accounts", ""))).toEqual({ statusCode: 404, body: { message: "Not Found" } });
		expect(await callApi(apiRequest("PUT", "/accounts/ACC-API-5", account, { caller: null }))).toEqual({
			statusCode: 403,
			body: { message: "Forbidden" },
		});
		expect(await getAccount(table, "ACC-API-5")).toBeUndefined();
	});
});
