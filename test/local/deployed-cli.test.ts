import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from "@aws-sdk/client-s3";
import { SESClient, SendRawEmailCommand, type SendRawEmailCommandInput } from "@aws-sdk/client-ses";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { STACK_ENV } from "../../local/cli/stack-env.js";
import { createClients } from "../../shared/platform/clients.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getAccount, listInvoicesOfAccount } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { runCliCaptured } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The CLI on a deployed stack: CloudFormation's answer is mocked (it cannot run here), and
 * everything else is reached only through the standard SDK settings (AWS_ENDPOINT_URL_*,
 * region, credentials), which point at the embedded servers as they would at AWS.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let dataDir: string;
const cloudFormation = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const CALLER_ARN = "arn:aws:sts::123456789012:assumed-role/BillingOperators/alice";
const STACK = "billing-prod";
/** A stack with the desk deployed: its outputs name the user pool (the embedded stack's, reached as Cognito would be). */
const DESK_STACK = "billing-desk";

const billing = (...args: string[]) => runCliCaptured([...args, "--data-dir", dataDir]);

beforeAll(async () => {
	stack = await startTestStack("deployed");
	dataDir = mkdtempSync(join(tmpdir(), "billing-deployed-"));
	// The names the deployed stack would have; TABLE_NAME and friends of the embedded stack are not used.
	cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves({
		Stacks: [
			{
				StackName: STACK,
				CreationTime: new Date(),
				StackStatus: "UPDATE_COMPLETE",
				Outputs: [
					{ OutputKey: "TableName", OutputValue: stack.tableName },
					{ OutputKey: "BucketName", OutputValue: stack.bucketName },
					{ OutputKey: "StateMachineArn", OutputValue: stack.stateMachineArn },
					{ OutputKey: "DocumentRetentionYears", OutputValue: "7" },
					{ OutputKey: "SesConfigurationSetName", OutputValue: "billing-prod-email" },
				],
			},
		],
	});
	cloudFormation.on(DescribeStacksCommand, { StackName: DESK_STACK }).resolves({
		Stacks: [
			{
				StackName: DESK_STACK,
				CreationTime: new Date(),
				StackStatus: "UPDATE_COMPLETE",
				Outputs: [
					{ OutputKey: "TableName", OutputValue: stack.tableName },
					{ OutputKey: "BucketName", OutputValue: stack.bucketName },
					{ OutputKey: "StateMachineArn", OutputValue: stack.stateMachineArn },
					{ OutputKey: "DeskUserPoolId", OutputValue: stack.userPool.userPoolId },
					{ OutputKey: "DeskUserPoolClientId", OutputValue: stack.userPool.clientId },
				],
			},
		],
	});
	sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: CALLER_ARN, UserId: "AROAEXAMPLE:alice" });
	cloudFormation
		.on(DescribeStacksCommand, { StackName: "billing-nope" })
		.rejects(Object.assign(new Error("Stack with id billing-nope does not exist"), { name: "ValidationError" }));
	await putAccount(
		{ ddb: createClients().ddb, tableName: stack.tableName },
		testAccount("DEPLOYED-1", { plan: { code: "p", description: "Plan", unitAmount: 4200, quantity: 1 } }),
	);
}, 60_000);

afterAll(async () => {
	delete process.env[STACK_ENV];
	cloudFormation.restore();
	rmSync(dataDir, { recursive: true, force: true });
	await stack?.stop();
});

describe("billing --stack NAME", () => {
	it("reads the stack's outputs and lists its accounts", async () => {
		const listed = await billing("accounts", "list", "--json", "--stack", STACK);
		expect(listed.code).toBe(0);
		expect(JSON.parse(listed.stdout).map((a: { accountId: string }) => a.accountId)).toEqual(["DEPLOYED-1"]);
		expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: STACK });
	});

	it("runs the month on the stack's state machine and works the desk there, named by BILLING_STACK", async () => {
		process.env[STACK_ENV] = STACK;
		try {
			const run = await billing("run", "--period", "2026-10", "--as-of", "2026-11-01");
			expect(run.code).toBe(0);
			expect(JSON.parse(run.stdout)).toMatchObject({ status: "SUCCEEDED" });
			const table = { ddb: createClients().ddb, tableName: stack.tableName };
			const [invoice] = await listInvoicesOfAccount(table, "DEPLOYED-1");
			expect(invoice).toMatchObject({ period: "2026-10", total: 4200 });

			// On a deployed stack the audit trail names the caller's AWS identity, not the free-text --actor.
			const held = await billing("invoices", "hold", String(invoice?.number), "--reason", "complaint", "--actor", "cli:ops");
			expect(held.code, held.stderr).toBe(0);
			expect((await listAuditEntries(table, "invoice", String(invoice?.number))).at(-1)).toMatchObject({
				action: "hold_set",
				actor: `aws:${CALLER_ARN}`,
			});
			const updated = await billing("accounts", "update", "DEPLOYED-1", "--email", "ap@deployed.example");
			expect(updated.code).toBe(0);
			expect(await getAccount(table, "DEPLOYED-1")).toMatchObject({ email: "ap@deployed.example" });
		} finally {
			delete process.env[STACK_ENV];
		}
	}, 120_000);

	it("issues a credit memo whose PDF is locked for the stack's DocumentRetentionYears, not the local default", async () => {
		const table = { ddb: createClients().ddb, tableName: stack.tableName };
		const [invoice] = await listInvoicesOfAccount(table, "DEPLOYED-1");
		const puts: PutObjectCommandInput[] = [];
		const send = S3Client.prototype.send;
		const spy = vi.spyOn(S3Client.prototype, "send").mockImplementation(function (this: S3Client, command: unknown, ...rest: unknown[]) {
			if (command instanceof PutObjectCommand) puts.push(command.input);
			return (send as (...args: unknown[]) => unknown).call(this, command, ...rest) as never;
		});
		try {
			const memo = await billing(
				"credit-memo",
				"create",
				"--invoice",
				String(invoice?.number),
				"--amount",
				"1.00",
				"--reason",
				"goodwill",
				"--stack",
				STACK,
			);
			expect(memo.code, memo.stderr).toBe(0);
		} finally {
			spy.mockRestore();
		}
		const put = puts.find((p) => p.Key?.startsWith("credit-memos/"));
		expect(put).toMatchObject({
			IfNoneMatch: "*",
			ObjectLockMode: "COMPLIANCE",
			ObjectLockRetainUntilDate: new Date(Date.UTC(new Date().getUTCFullYear() + 7 + 1, 0, 1)),
		});
	});

	it("sends its emails through the stack's SES configuration set, so their bounces and complaints reach the stack", async () => {
		const table = { ddb: createClients().ddb, tableName: stack.tableName };
		const [invoice] = await listInvoicesOfAccount(table, "DEPLOYED-1");
		const sends: SendRawEmailCommandInput[] = [];
		const send = SESClient.prototype.send;
		const spy = vi.spyOn(SESClient.prototype, "send").mockImplementation(function (this: SESClient, command: unknown, ...rest: unknown[]) {
			if (command instanceof SendRawEmailCommand) sends.push(command.input);
			return (send as (...args: unknown[]) => unknown).call(this, command, ...rest) as never;
		});
		try {
			const resent = await billing("invoices", "resend", String(invoice?.number), "--reason", "lost", "--stack", STACK);
			expect(resent.code, resent.stderr).toBe(0);
		} finally {
			spy.mockRestore();
		}
		expect(sends).toHaveLength(1);
		expect(sends[0]).toMatchObject({ ConfigurationSetName: "billing-prod-email", Destinations: ["ap@deployed.example"] });
		expect(sends[0]?.Tags).toEqual(expect.arrayContaining([{ Name: "billing-account", Value: "DEPLOYED-1" }]));
	});

	it("imports a billing team's file into the stack's table", async () => {
		const file = join(dataDir, "accounts-crm.csv");
		writeFileSync(file, "account_id,name,currency,email,tax_rate\nDEPLOYED-2,Imported Ltd,USD,ap@imported.example,8.875\n");
		const imported = await billing("import", file, "--stack", STACK, "--actor", "cli:ops");
		expect(imported.code).toBe(0);
		expect(imported.stdout).toMatch(/1 rows; 1 created, 0 updated, 0 unchanged/);
		const table = { ddb: createClients().ddb, tableName: stack.tableName };
		expect(await getAccount(table, "DEPLOYED-2")).toMatchObject({ name: "Imported Ltd", taxRatePpm: 88_750, balance: 0 });
		expect((await listAuditEntries(table, "account", "DEPLOYED-2"))[0]).toMatchObject({
			action: "created",
			actor: "cli:ops",
			reason: "import accounts-crm.csv",
		});
	});

	it("adds desk users to the pool the stack's outputs name, where Cognito emails them a temporary password", async () => {
		const added = await billing("users", "add", "Ops@Deployed.example", "--role", "billing", "--json", "--stack", DESK_STACK);
		expect(added.code, added.stderr).toBe(0);
		const user = JSON.parse(added.stdout);
		expect(user).toMatchObject({ email: "ops@deployed.example", role: "billing", enabled: true, status: "FORCE_CHANGE_PASSWORD" });
		expect(user.password).toBeUndefined();
		expect(process.env.DESK_USER_POOL_ISSUER).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${stack.userPool.userPoolId}`);
		const text = await billing("users", "add", "viewer@deployed.example", "--role", "viewer", "--stack", DESK_STACK);
		expect(text.stdout).toBe(
			"added viewer@deployed.example as viewer\nCognito emailed them a temporary password; they set their own at their first sign-in\n",
		);
		const listed = await billing("users", "list", "--json", "--stack", DESK_STACK);
		expect(JSON.parse(listed.stdout)).toEqual([
			expect.objectContaining({ email: "ops@deployed.example", role: "billing", status: "FORCE_CHANGE_PASSWORD" }),
			expect.objectContaining({ email: "viewer@deployed.example", role: "viewer", status: "FORCE_CHANGE_PASSWORD" }),
		]);

		// A stack without the desk's outputs has no pool to manage, and no other pool is used instead.
		const noDesk = await billing("users", "list", "--stack", STACK);
		expect(noDesk.code).toBe(1);
		expect(noDesk.stderr).toContain("no desk user pool");
	});

	it("refuses a stack that does not exist and the commands that only run embedded, changing nothing", async () => {
		const missing = await billing("accounts", "list", "--stack", "billing-nope");
		expect(missing.code).toBe(2);
		expect(missing.stderr).toMatch(/stack billing-nope does not exist/);
		process.env[STACK_ENV] = STACK;
		try {
			const seed = await billing("seed", "--accounts", "3");
			expect(seed.code).toBe(2);
			expect(seed.stderr).toMatch(/billing seed works on the embedded stack only/);
		} finally {
			delete process.env[STACK_ENV];
		}
		expect(await listInvoicesOfAccount({ ddb: createClients().ddb, tableName: stack.tableName }, "DEPLOYED-1")).toHaveLength(1);
	});
});
