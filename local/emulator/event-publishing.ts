import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
	type _Record,
	DescribeStreamCommand,
	DynamoDBStreamsClient,
	GetRecordsCommand,
	GetShardIteratorCommand,
	type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { webhookTimeoutMs } from "../../shared/platform/config.js";
import { isBillingEventRecord } from "../../shared/publishing/stream-records.js";
import { deliverDueWebhooks } from "../../shared/publishing/webhook-delivery.js";
import { getStreamCheckpoint, putStreamCheckpoint } from "../../shared/store/events.js";
import { LOCAL_REGION } from "./lambda-runtime.js";

/**
 * Billing events out, embedded (DESIGN.md section 14): the table's stream in DynamoDB Local
 * read as Lambda reads it deployed, each batch handed to the PublishBillingEvents handler,
 * and the shard's checkpoint written only once the handler returned, so a crash between
 * reading and acknowledging reads the batch again (the handler is safe to repeat). The
 * webhook deliveries due are attempted from the due queue, where deployed a sweep puts them
 * on the delivery queue.
 */

const IDLE_POLL_MS = 250;
/** GetRecords' most: the publisher's own writes (numbers, deliveries) are in the stream too, and are passed over. */
const RECORDS_PER_READ = 1000;
const DUE_PER_ROUND = 100;

export interface EventPublishing {
	/** Resolves when everything in the stream now has been published and the due deliveries attempted. */
	settled(): Promise<void>;
	stop(): Promise<void>;
}

export interface EventPublishingOptions {
	readonly endpoint: string;
	readonly tableName: string;
	readonly publish: (event: { Records: _Record[] }) => Promise<unknown>;
	/** The schedule's clock for webhook deliveries (tests move it on); the real time by default. */
	readonly now?: () => Date;
	readonly onError?: (err: Error) => void;
}

/** No publisher: for a stack whose caller runs its own. */
export const noPublishing: EventPublishing = { settled: async () => {}, stop: async () => {} };

/** Shards oldest first: a child shard's records come after its parent's. */
function inOrder(shards: readonly Shard[]): Shard[] {
	const ids = new Set(shards.map((s) => s.ShardId));
	const ordered: Shard[] = [];
	const visit = (shard: Shard) => {
		if (ordered.includes(shard)) return;
		const parent = shards.find((s) => s.ShardId === shard.ParentShardId);
		if (parent && ids.has(parent.ShardId)) visit(parent);
		ordered.push(shard);
	};
	for (const shard of shards) visit(shard);
	return ordered;
}

export async function startEventPublishing(options: EventPublishingOptions): Promise<EventPublishing> {
	const client = { endpoint: options.endpoint, region: LOCAL_REGION };
	const ddbClient = new DynamoDBClient(client);
	const deps = { ddb: DynamoDBDocumentClient.from(ddbClient), tableName: options.tableName };
	const streams = new DynamoDBStreamsClient(client);
	const table = await ddbClient.send(new DescribeTableCommand({ TableName: options.tableName }));
	const streamArn = table.Table?.LatestStreamArn;
	if (!streamArn) throw new Error(`table ${options.tableName} has no stream: events cannot be published`);
	const now = options.now ?? (() => new Date());
	const timeoutMs = webhookTimeoutMs();
	/** Per shard: the iterator to read next; absent until the shard is first read, null once a closed shard is read out. */
	const iterators = new Map<string, string | null>();
	/** Shards whose checkpoint the stream no longer holds (older than its retention): read from their oldest record. */
	const trimmed = new Set<string>();

	async function iteratorOf(shardId: string): Promise<string | undefined> {
		const known = iterators.get(shardId);
		if (known !== undefined) return known ?? undefined;
		const after = trimmed.has(shardId) ? undefined : await getStreamCheckpoint(deps, streamArn as string, shardId);
		const out = await streams.send(
			new GetShardIteratorCommand({
				StreamArn: streamArn,
				ShardId: shardId,
				...(after ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after } : { ShardIteratorType: "TRIM_HORIZON" }),
			}),
		);
		return out.ShardIterator;
	}

	const readRecords = (iterator: string) => streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_READ }));

	/** One read of every shard; true when any had records. */
	async function publishOnce(): Promise<boolean> {
		const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
		let busy = false;
		for (const shard of inOrder(description.StreamDescription?.Shards ?? [])) {
			const shardId = shard.ShardId as string;
			let out: Awaited<ReturnType<typeof readRecords>>;
			try {
				const iterator = await iteratorOf(shardId);
				if (!iterator) continue;
				out = await readRecords(iterator);
			} catch (err) {
				if ((err as Error).name !== "TrimmedDataAccessException") throw err;
				// The checkpoint is past the stream's retention: the shard is read from its oldest record, and the
				// events in between, still in the table, are for `billing events replay`.
				trimmed.add(shardId);
				iterators.delete(shardId);
				options.onError?.(new Error(`shard ${shardId}: the stream no longer holds its checkpoint; reading from its oldest record`));
				busy = true;
				continue;
			}
			const records = out.Records ?? [];
			// As the event source mapping's filter does: the publisher's own writes (numbers, deliveries, this checkpoint) are not events.
			const events = records.filter(isBillingEventRecord);
			if (events.length > 0) {
				await options.publish({ Records: events });
				await putStreamCheckpoint(deps, streamArn as string, shardId, events.at(-1)?.dynamodb?.SequenceNumber as string);
			}
			busy = busy || events.length > 0 || records.length === RECORDS_PER_READ;
			iterators.set(shardId, out.NextShardIterator ?? null);
		}
		return busy;
	}

	async function deliverOnce(): Promise<boolean> {
		return (await deliverDueWebhooks({ ...deps, now, timeoutMs }, DUE_PER_ROUND)) > 0;
	}

	let stopped = false;
	/** Runs `once` until stopped, at once again while it finds work; a failure is said and the next round starts over. */
	function repeat(once: () => Promise<boolean>, onFailure: () => void) {
		let round = 0;
		/** Each waits for an idle round that began after it asked. */
		let waiters: { after: number; resolve: () => void }[] = [];
		const running = (async () => {
			while (!stopped) {
				const thisRound = ++round;
				let busy = false;
				try {
					busy = await once();
				} catch (err) {
					onFailure();
					options.onError?.(err as Error);
				}
				if (!busy) {
					for (const w of waiters.filter((w) => w.after < thisRound)) w.resolve();
					waiters = waiters.filter((w) => w.after >= thisRound);
					await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
				}
			}
			for (const w of waiters) w.resolve();
		})();
		return { running, idle: () => new Promise<void>((resolve) => waiters.push({ after: round, resolve })) };
	}
	// Read again from the checkpoint after a failure: what was not acknowledged is published again.
	const publishing = repeat(publishOnce, () => iterators.clear());
	const delivering = repeat(deliverOnce, () => undefined);
	return {
		async settled() {
			// Every event handed on, then every delivery due by then attempted.
			await publishing.idle();
			await delivering.idle();
		},
		async stop() {
			stopped = true;
			await Promise.all([publishing.running, delivering.running]);
			streams.destroy();
			ddbClient.destroy();
		},
	};
}
