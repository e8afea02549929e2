import type { S3Client } from "@aws-sdk/client-s3";
import { type SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DunningStageConfig, SellerConfig } from "./config.js";
import { listOpenInvoicesDueBy, type TableDeps } from "./db.js";
import { readObjectBytes } from "./delivery.js";
import { isDeliverableEmailAddress } from "./documents/email-address.js";
import { composeDunningEmail } from "./documents/invoice-email.js";
import type { Invoice } from "./model.js";
import { addDays, daysBetween } from "./period.js";
import { keys } from "./table.js";

export interface DunningDeps extends TableDeps {
	readonly s3: S3Client;
	readonly ses: SESClient;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	readonly stages: readonly DunningStageConfig[];
}

export interface EscalationResult {
	readonly asOf: string;
	readonly overdueInvoices: number;
	/** Stage name → notices sent on this run. */
	readonly noticesSent: Record<string, number>;
	readonly accountsSentToCollections: readonly string[];
	readonly failed: number;
}

/** The highest stage an invoice has reached on `asOf`, or undefined when not yet due for one. */
export function stageReached(stages: readonly DunningStageConfig[], daysOverdue: number): DunningStageConfig | undefined {
	return [...stages].filter((s) => daysOverdue >= s.daysOverdue).sort((a, b) => b.daysOverdue - a.daysOverdue)[0];
}

/**
 * One notice per invoice per stage, ever: the stage record is claimed with a conditional
 * write before the email goes out. When a run reaches an invoice late (several stages at
 * once) only the highest stage is sent and the skipped ones are recorded as superseded.
 */
export async function escalateOverdueAccounts(deps: DunningDeps, asOf: string): Promise<EscalationResult> {
	const overdue = await listOpenInvoicesDueBy(deps, addDays(asOf, -1));
	const noticesSent: Record<string, number> = {};
	const collections = new Set<string>();
	let failed = 0;
	for (const invoice of overdue) {
		// An invoice on hold (under dispute) is not chased until the hold is released.
		if (invoice.hold) continue;
		const daysOverdue = daysBetween(invoice.dueDate, asOf);
		const stage = stageReached(deps.stages, daysOverdue);
		if (!stage) continue;
		await setAccountStatus(deps, invoice.accountId, stage.stage === "collections" ? "in_collections" : "past_due");
		if (stage.stage === "collections") collections.add(invoice.accountId);
		const claimed = await claimStage(deps, invoice, stage.stage, daysOverdue, asOf);
		if (!claimed) continue;
		for (const lower of deps.stages.filter((s) => s.daysOverdue < stage.daysOverdue)) {
			await claimStage(deps, invoice, lower.stage, daysOverdue, asOf, "superseded");
		}
		const sent = await sendNotice(deps, invoice, stage.stage, daysOverdue);
		if (sent) noticesSent[stage.stage] = (noticesSent[stage.stage] ?? 0) + 1;
		else failed += 1;
	}
	return { asOf, overdueInvoices: overdue.length, noticesSent, accountsSentToCollections: [...collections].sort(), failed };
}

async function claimStage(
	deps: DunningDeps,
	invoice: Invoice,
	stage: string,
	daysOverdue: number,
	asOf: string,
	status: "sending" | "superseded" = "sending",
): Promise<boolean> {
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: {
					...keys.dunning(invoice.number, stage),
					invoiceNumber: invoice.number,
					accountId: invoice.accountId,
					stage,
					status,
					daysOverdue,
					asOf,
					at: new Date().toISOString(),
				},
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
		return true;
	} catch (err) {
		if ((err as { name?: string }).name === "ConditionalCheckFailedException") return false;
		throw err;
	}
}

async function sendNotice(deps: DunningDeps, invoice: Invoice, stage: string, daysOverdue: number): Promise<boolean> {
	const key = keys.dunning(invoice.number, stage);
	const finish = (status: string, extra: Record<string, string>) =>
		deps.ddb.send(
			new UpdateCommand({
				TableName: deps.tableName,
				Key: key,
				UpdateExpression: `SET #status = :status${Object.keys(extra)
					.map((k) => `, ${k} = :${k}`)
					.join("")}`,
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: { ":status": status, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`:${k}`, v])) },
			}),
		);
	if (!isDeliverableEmailAddress(invoice.billTo.email)) {
		await finish("failed", { reason: `invalid email address ${JSON.stringify(invoice.billTo.email)}` });
		return false;
	}
	try {
		const pdf = await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);
		const email = await composeDunningEmail({ invoice, seller: deps.seller, stage, daysOverdue, pdf });
		const out = await deps.ses.send(
			new SendRawEmailCommand({ Source: deps.seller.email, Destinations: [email.to], RawMessage: { Data: email.raw } }),
		);
		await finish("sent", { messageId: out.MessageId ?? "" });
		return true;
	} catch (err) {
		// At most once: a notice whose sending failed is recorded, not retried blindly.
		await finish("failed", { reason: (err as Error).message });
		return false;
	}
}

async function setAccountStatus(deps: DunningDeps, accountId: string, status: "past_due" | "in_collections"): Promise<void> {
	const current = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.account(accountId) }));
	if (!current.Item || current.Item.status === status || current.Item.status === "in_collections") return;
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: keys.account(accountId),
			UpdateExpression: "SET #status = :status",
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":status": status },
		}),
	);
}

export async function dunningHistory(
	deps: TableDeps,
	invoiceNumber: string,
	stages: readonly DunningStageConfig[],
): Promise<Record<string, string>> {
	const history: Record<string, string> = {};
	for (const { stage } of stages) {
		const item = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.dunning(invoiceNumber, stage) }));
		if (item.Item) history[stage] = String(item.Item.status);
	}
	return history;
}
