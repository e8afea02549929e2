import { DescribeExecutionCommand, type ExecutionStatus, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { S3ChunkSink } from "../../shared/imports/job.js";
import { ChargeSpill, type SpilledCharge } from "../../shared/imports/spill.js";
import { createClients } from "../../shared/platform/clients.js";
import { readChargeBook } from "../../shared/store/charges.js";
import { listImportsWriting } from "../../shared/store/imports.js";

import { startTestStack } from "../support/embedded.js";
import { objectCreated as objectCreatedIn, putFile as putFileIn, readJson as readJsonIn } from "../support/s3-events.js";

/**
 * A charge file under imports/ over IMPORT_ONE_SHOT_BYTES runs as the import job
 * (statemachines/import-job.asl.json) on the embedded Step Functions engine: ImportFile
 * starts it, its Distributed Maps check and write the file's partitions, and its result says
 * what came of it. The event says the file is 20 MB, so it is spilled into 5 partitions.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };

const ACCOUNTS = ["JOB-A", "JOB-B", "JOB-C", "JOB-D", "JOB-E", "JOB-F", "JOB-G", "JOB-H"];
const SIZE = 20 * 1024 * 1024;

beforeAll(async () => {
	stack = await startTestStack("import-job");
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	const accounts = [
		"account_id,name,currency,email",
		...ACCOUNTS.map((id) => `${id},Account ${id},USD,ap@${id.toLowerCase()}.example.com`),
	].join("\n");
	await putFile("imports/accounts.csv", accounts);
	await importFile(objectCreated("imports/accounts.csv", 100));
	expect(await readJson("imports/accounts.csv.result.json")).toMatchObject({ status: "imported" });
});

afterAll(async () => {
	await stack?.stop();
});

const objectCreated = (key: string, size: number, versionId = "v1") => objectCreatedIn(stack.bucketName, key, { size, versionId });

const putFile = (key: string, text: string) => putFileIn(clients.s3, stack.bucketName, key, text);
const readJson = (key: string) => readJsonIn(clients.s3, stack.bucketName, key);
const importFile = (event: unknown) => invokeLocalFunction(localFunctionArn("ImportFile"), event);

/** ImportFile with IMPORT_ONE_SHOT_BYTES at 1 KB: a charge file of 20 MB runs as a job. */
async function importAsJob(event: unknown): Promise<{ status: string; execution: string; started: boolean }> {
	process.env.IMPORT_ONE_SHOT_BYTES = "1024";
	try {
		return (await importFile(event)) as { status: string; execution: string; started: boolean };
	} finally {
		delete process.env.IMPORT_ONE_SHOT_BYTES;
	}
}

async function finished(executionArn: string): Promise<ExecutionStatus | undefined> {
	for (let i = 0; i < 600; i++) {
		const out = await stack.sfn.send(new DescribeExecutionCommand({ executionArn }));
		if (out.status !== "RUNNING") return out.status;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`${executionArn} still running`);
}

function chargesFile(rows: number): string {
	const lines = ["charge_id,account_id,date,description,quantity,unit_price"];
	for (let i = 1; i <= rows; i++)
		lines.push(`CH-${i},${ACCOUNTS[i % ACCOUNTS.length]},2026-11-${String((i % 28) + 1).padStart(2, "0")},API calls,${i},0.25`);
	return lines.join("\n");
}

/** Every charge id of the accounts as stored in their charge books' pages, with how often it appears. */
async function storedCharges(): Promise<Map<string, number>> {
	const seen = new Map<string, number>();
	for (const accountId of ACCOUNTS) {
		const book = await readChargeBook(table, accountId);
		for (const page of book.pages)
			for (const c of page.charges) seen.set(`${accountId}#${c.chargeId}`, (seen.get(`${accountId}#${c.chargeId}`) ?? 0) + 1);
	}
	return seen;
}

describe("a charge file over IMPORT_ONE_SHOT_BYTES", () => {
	it("runs as the import job: imported with counts, every charge stored once, the lease gone", async () => {
		await putFile("imports/charges-big.csv", chargesFile(400));
		const started = await importAsJob(objectCreated("imports/charges-big.csv", SIZE));
		expect(started).toMatchObject({ status: "running", started: true });
		expect(await finished(started.execution)).toBe("SUCCEEDED");
		expect(await readJson("imports/charges-big.csv.result.json")).toMatchObject({
			status: "imported",
			result: {
				files: [{ name: "imports/charges-big.csv", kind: "charges", rows: 400 }],
				counts: { charges: { created: 400, updated: 0, unchanged: 0 } },
			},
		});
		const stored = await storedCharges();
		expect(stored.size).toBe(400);
		expect([...stored.values()].every((n) => n === 1)).toBe(true);
		// As the file says: CH-i is i calls at 0.25 USD, dated in November.
		const account = ACCOUNTS[7 % ACCOUNTS.length] as string;
		const charge = (await readChargeBook(table, account)).pages.flatMap((p) => p.charges).find((c) => c.chargeId === "CH-7");
		expect(charge).toMatchObject({ accountId: account, period: "2026-11", date: "2026-11-08", quantity: 7, unitAmount: 25 });
		expect(await listImportsWriting(table, new Date())).toEqual([]);
		// Spilled into partition objects, listed in the job's manifest: one map child each.
		const manifest = (await readJson(`import-jobs/${started.execution.split(":").at(-1)}/manifest.json`)) as unknown as { key: string }[];
		expect(manifest.length).toBeGreaterThan(1);

		// A redelivered event starts nothing and leaves the job's result.
		expect(await importAsJob(objectCreated("imports/charges-big.csv", SIZE))).toMatchObject({ status: "running", started: false });
		expect(await readJson("imports/charges-big.csv.result.json")).toMatchObject({ status: "imported" });
	});

	it("refuses a file with a bad row whole: its errors in the result, nothing written, no lease", async () => {
		const text = `${chargesFile(3).replace(/CH-(\d+)/g, "BAD-$1")}\nBAD-4,JOB-A,2026-11-31,API calls,1,0.25\nBAD-5,NOBODY,2026-11-02,API calls,1,0.25`;
		await putFile("imports/charges-bad.csv", text);
		const started = await importAsJob(objectCreated("imports/charges-bad.csv", SIZE));
		expect(await finished(started.execution)).toBe("SUCCEEDED");
		expect(await readJson("imports/charges-bad.csv.result.json")).toEqual({
			status: "refused",
			errorCount: 2,
			errors: expect.arrayContaining([expect.stringMatching(/^line 5: date: /), expect.stringMatching(/^line 6: account_id: /)]),
			jobId: started.execution.split(":").at(-1),
		});
		expect([...(await storedCharges()).keys()].some((id) => id.includes("BAD-"))).toBe(false);
		expect(await listImportsWriting(table, new Date())).toEqual([]);
	});

	it("converges: a job over charges half written already (a crash), and the same job run again, end where one run would", async () => {
		// The first half imported one-shot, as a crashed job leaves it: those charges stored, the rest not.
		const all = chargesFile(600).replace(/CH-/g, "CONV-").split("\n");
		await putFile("imports/charges-half.csv", all.slice(0, 301).join("\n"));
		expect(await importFile(objectCreated("imports/charges-half.csv", 100))).toMatchObject({ status: "imported" });
		await putFile("imports/charges-conv.csv", all.join("\n"));
		const first = await importAsJob(objectCreated("imports/charges-conv.csv", SIZE));
		expect(await finished(first.execution)).toBe("SUCCEEDED");
		expect(await readJson("imports/charges-conv.csv.result.json")).toMatchObject({
			status: "imported",
			result: { counts: { charges: { created: 300, updated: 0, unchanged: 300 } } },
		});
		// Re-driven: a second execution of the same job under a new name.
		const job = first.execution.split(":").at(-1) as string;
		const stateMachineArn = process.env.IMPORT_JOB_STATE_MACHINE_ARN as string;
		const described = await stack.sfn.send(new DescribeExecutionCommand({ executionArn: first.execution }));
		const again = await stack.sfn.send(new StartExecutionCommand({ stateMachineArn, name: `${job}-again`, input: described.input }));
		expect(await finished(again.executionArn as string)).toBe("SUCCEEDED");
		expect(await readJson("imports/charges-conv.csv.result.json")).toMatchObject({
			status: "imported",
			result: { counts: { charges: { created: 0, updated: 0, unchanged: 600 } } },
		});
		const stored = [...(await storedCharges()).entries()].filter(([id]) => id.includes("CONV-"));
		expect(stored.length).toBe(600);
		expect(stored.every(([, n]) => n === 1)).toBe(true);
		expect(await listImportsWriting(table, new Date())).toEqual([]);
	});

	it("a job that fails says failed and ends its lease; the same job run again once the cause is gone imports the file", async () => {
		// The object is not there when the job reads it (a real failure, not a transient one): Check File fails.
		const started = await importAsJob(objectCreated("imports/charges-late.csv", SIZE));
		expect(await finished(started.execution)).toBe("FAILED");
		expect(await readJson("imports/charges-late.csv.result.json")).toMatchObject({
			status: "failed",
			error: expect.stringMatching(/NoSuchKey/),
		});
		expect(await listImportsWriting(table, new Date())).toEqual([]);
		await putFile("imports/charges-late.csv", chargesFile(50).replace(/CH-/g, "LATE-"));
		const described = await stack.sfn.send(new DescribeExecutionCommand({ executionArn: started.execution }));
		const again = await stack.sfn.send(
			new StartExecutionCommand({
				stateMachineArn: process.env.IMPORT_JOB_STATE_MACHINE_ARN as string,
				name: `${started.execution.split(":").at(-1)}-2`,
				input: described.input,
			}),
		);
		expect(await finished(again.executionArn as string)).toBe("SUCCEEDED");
		expect(await readJson("imports/charges-late.csv.result.json")).toMatchObject({
			status: "imported",
			result: { counts: { charges: { created: 50, updated: 0, unchanged: 0 } } },
		});
		expect(await listImportsWriting(table, new Date())).toEqual([]);
	});

	it("converges with a one-shot import of the same charges at the same time: each charge created by exactly one of them, stored once", async () => {
		const text = chargesFile(400).replace(/CH-/g, "RACE-");
		await putFile("imports/charges-race.csv", text);
		await putFile("imports/charges-race-copy.csv", text);
		const [job] = await Promise.all([
			importAsJob(objectCreated("imports/charges-race.csv", SIZE)),
			importFile(objectCreated("imports/charges-race-copy.csv", 100)),
		]);
		expect(await finished(job.execution)).toBe("SUCCEEDED");
		type Counts = { created: number; updated: number; unchanged: number };
		const countsOf = async (key: string) =>
			((await readJson(`${key}.result.json`)) as { status: string; result: { counts: { charges: Counts } } }).result.counts.charges;
		const fromJob = await countsOf("imports/charges-race.csv");
		const oneShot = await countsOf("imports/charges-race-copy.csv");
		expect(fromJob.created + fromJob.unchanged).toBe(400);
		expect(oneShot.created + oneShot.unchanged).toBe(400);
		expect(fromJob.created + oneShot.created).toBe(400);
		const stored = [...(await storedCharges()).entries()].filter(([id]) => id.includes("RACE-"));
		expect(stored.length).toBe(400);
		expect(stored.every(([, n]) => n === 1)).toBe(true);
		expect(await listImportsWriting(table, new Date())).toEqual([]);
	});
});

describe("a charge spill", () => {
	const rows: SpilledCharge[] = Array.from({ length: 300 }, (_, i) => ({
		line: i + 2,
		chargeId: `SP-${i}`,
		accountId: ACCOUNTS[i % ACCOUNTS.length] as string,
		date: "2026-11-03",
		description: "API calls",
		quantity: "1",
		unitPrice: "0.25",
		kind: "usage",
		file: "imports/charges-spill.csv",
	}));
	const spilled = async (spill: ChargeSpill) => {
		for (const row of rows) await spill.add(row);
		const out: SpilledCharge[] = [];
		for await (const partition of spill.each()) out.push(...partition);
		return out.sort((a, b) => a.line - b.line);
	};

	it("in S3 chunk objects (an import job's) gives back every row as added, a partition's chunks in order", async () => {
		const sink = new S3ChunkSink(clients.s3, stack.bucketName, "import-jobs/spill-test", 500);
		expect(await spilled(new ChargeSpill(SIZE, () => sink))).toEqual(rows);
		const chunks = [...sink.chunks.values()];
		expect(chunks.length).toBeGreaterThan(1);
		expect(chunks.every((keys) => keys.length > 1)).toBe(true);
	});

	it("in temp files (an import in one process) gives back the same", async () => {
		const spill = new ChargeSpill(SIZE);
		try {
			expect(await spilled(spill)).toEqual(rows);
		} finally {
			spill.close();
		}
	});
});
