import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { type EmbeddedStack, startEmbeddedStack } from "../../local/emulator/stack.js";

/**
 * An embedded stack on the servers the test run started once (test/global-setup.ts), with
 * its own table, bucket and data dir so test files never see each other's data. Its events
 * are written (the outbox) but published only with `publishEvents: true`.
 */
export async function startTestStack(
	name: string,
	options: { http?: boolean; now?: () => number; eventClock?: () => Date; publishEvents?: boolean; tableStream?: boolean } = {},
): Promise<EmbeddedStack & { dataDir: string; tag: string }> {
	const tag = `${name}-${Math.random().toString(36).slice(2, 8)}`;
	const dataDir = mkdtempSync(join(tmpdir(), `billing-${name}-`));
	const stack = await startEmbeddedStack({
		dataDir,
		servers: inject("servers"),
		httpPort: options.http ? 0 : false,
		tableName: `billing-${tag}`,
		bucketName: `billing-${tag}`.toLowerCase(),
		...(options.now ? { documentLinkClock: options.now } : {}),
		...(options.eventClock ? { eventClock: options.eventClock } : {}),
		// The events' publisher reads the stack's stream all the time: only the files that test events run it.
		publishEvents: options.publishEvents === true,
		// DynamoDB Local keeps a stream record of every write: a table has its stream only where a test reads it.
		tableStream: options.publishEvents === true || options.tableStream === true,
	});
	return {
		...stack,
		dataDir,
		tag,
		async stop() {
			await stack.stop();
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

export interface StoredMail {
	messageId: string;
	from: string;
	destination: { to: string[] };
	subject: string;
	body: { text?: string; html?: string };
	attachments: { filename?: string; contentType: string; content: string; size: number }[];
	headers?: { name: string; value: string }[];
}

export async function sentMail(filter: (m: StoredMail) => boolean): Promise<StoredMail[]> {
	const res = await fetch(`${inject("servers").ses}/store`);
	const { emails } = (await res.json()) as { emails: StoredMail[] };
	return emails.filter(filter);
}
