/**
 * Counts, for `npm run bench:cycle`, the billed requests every AWS SDK client of this process
 * makes: DynamoDB read and write request units (each DynamoDB data call asks for
 * ReturnConsumedCapacity TOTAL and the answer's ConsumedCapacity is added up), S3 requests by
 * price tier and SES emails. Installed once by the bench, before any handler builds its
 * clients: it adds one middleware to every client's stack on its first request, so no product
 * code changes. Calls that fail are not counted (a failed conditional write still costs its
 * write units on AWS: the count is a floor there).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface MeteredRequests {
	dynamodbReadUnits: number;
	dynamodbWriteUnits: number;
	s3PutRequests: number;
	s3GetRequests: number;
	sesEmails: number;
}

const emptyCount = (): MeteredRequests => ({
	dynamodbReadUnits: 0,
	dynamodbWriteUnits: 0,
	s3PutRequests: 0,
	s3GetRequests: 0,
	sesEmails: 0,
});

/** DynamoDB calls that take ReturnConsumedCapacity, and whether their units are write units. */
const DYNAMODB_DATA_CALLS: Readonly<Record<string, "read" | "write">> = {
	GetItem: "read",
	BatchGetItem: "read",
	TransactGetItems: "read",
	Query: "read",
	Scan: "read",
	PutItem: "write",
	UpdateItem: "write",
	DeleteItem: "write",
	BatchWriteItem: "write",
	TransactWriteItems: "write",
};

/** S3's first price tier (PUT, COPY, POST, LIST); DELETE is free; everything else is the GET tier. */
const S3_PUT_TIER = /^(Put|Copy|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|List)/;
const S3_FREE = /^(Delete|AbortMultipartUpload)/;

interface Capacity {
	readonly CapacityUnits?: number;
	readonly ReadCapacityUnits?: number;
	readonly WriteCapacityUnits?: number;
}

/** Adds one DynamoDB answer's ConsumedCapacity (one object, or one per table for batches and transactions). */
export function addConsumedCapacity(count: MeteredRequests, kind: "read" | "write", consumed: unknown): void {
	const entries = (Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) as Capacity[];
	for (const c of entries) {
		if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
			count.dynamodbReadUnits += c.ReadCapacityUnits ?? 0;
			count.dynamodbWriteUnits += c.WriteCapacityUnits ?? 0;
		} else if (kind === "read") count.dynamodbReadUnits += c.CapacityUnits ?? 0;
		else count.dynamodbWriteUnits += c.CapacityUnits ?? 0;
	}
}

/** Counts one S3 or SES request by its command name (`PutObject`, `SendRawEmail`). */
export function addRequest(count: MeteredRequests, service: "s3" | "ses", command: string, input: Record<string, unknown>): void {
	if (service === "s3") {
		if (S3_FREE.test(command)) return;
		if (S3_PUT_TIER.test(command)) count.s3PutRequests += 1;
		else count.s3GetRequests += 1;
		return;
	}
	if (!/^Send(Raw|Bulk)?Email$/.test(command)) return;
	// SES bills each recipient as one email.
	const destinations = input.Destinations;
	const destination = input.Destination as { ToAddresses?: unknown[]; CcAddresses?: unknown[]; BccAddresses?: unknown[] } | undefined;
	const recipients = Array.isArray(destinations)
		? destinations.length
		: (destination?.ToAddresses?.length ?? 0) + (destination?.CcAddresses?.length ?? 0) + (destination?.BccAddresses?.length ?? 0);
	count.sesEmails += Math.max(1, recipients);
}

const serviceOf = (clientName: string): "dynamodb" | "s3" | "ses" | undefined => {
	if (clientName === "DynamoDBClient") return "dynamodb";
	if (clientName === "S3Client") return "s3";
	if (clientName === "SESClient" || clientName === "SESv2Client") return "ses";
	return undefined;
};

export interface AwsMeter {
	/** The counts so far. */
	read(): MeteredRequests;
	/** The counts of the requests made from `from` to `to` (epoch ms), to the second. */
	between(from: number, to: number): MeteredRequests;
	/** Counts from zero again (after seeding, which a month's bill does not include). */
	reset(): void;
}

/**
 * Hooks every SDK client of the process (the prototype all of them share). Call once, before
 * the clients are built or used.
 */
export function installAwsMeter(): AwsMeter {
	let count = emptyCount();
	/** The same counts per second (epoch seconds): a step's share is what its seconds saw. */
	let perSecond = new Map<number, MeteredRequests>();
	const countsNow = () => {
		const second = Math.floor(Date.now() / 1000);
		let bucket = perSecond.get(second);
		if (!bucket) {
			bucket = emptyCount();
			perSecond.set(second, bucket);
		}
		return [count, bucket];
	};
	const metered = new WeakSet<object>();
	const middleware =
		(next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: Record<string, unknown>) =>
		async (args: { input: Record<string, unknown> }) => {
			const service = serviceOf(String(context.clientName ?? ""));
			const command = String(context.commandName ?? "").replace(/Command$/, "");
			const kind = service === "dynamodb" ? DYNAMODB_DATA_CALLS[command] : undefined;
			const asked = kind !== undefined && args.input.ReturnConsumedCapacity === undefined;
			const result = await next(asked ? { ...args, input: { ...args.input, ReturnConsumedCapacity: "TOTAL" } } : args);
			if (kind !== undefined) {
				for (const c of countsNow()) addConsumedCapacity(c, kind, result.output.ConsumedCapacity);
				// The caller did not ask for it: it gets the answer it would have had.
				if (asked) result.output = Object.fromEntries(Object.entries(result.output).filter(([k]) => k !== "ConsumedCapacity"));
			} else if (service === "s3" || service === "ses") {
				for (const c of countsNow()) addRequest(c, service, command, args.input);
			}
			return result;
		};
	// Every client class (DynamoDB, the document client, S3, SES, ...) extends the same Client.
	const clientPrototype = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: unknown[]) => unknown };
	const send = clientPrototype.send;
	clientPrototype.send = function (
		this: { middlewareStack: { add(m: unknown, options: Record<string, string>): void } },
		...args: unknown[]
	) {
		if (!metered.has(this.middlewareStack)) {
			metered.add(this.middlewareStack);
			// First of all, so it sees the caller's input and the parsed answer.
			this.middlewareStack.add(middleware, { step: "initialize", priority: "high", name: "benchAwsMeter" });
		}
		return send.apply(this, args);
	};
	return {
		read: () => ({ ...count }),
		between: (from, to) => {
			const sum = emptyCount();
			for (let second = Math.floor(from / 1000); second <= Math.floor(to / 1000); second++) {
				const bucket = perSecond.get(second);
				if (!bucket) continue;
				for (const key of Object.keys(sum) as (keyof MeteredRequests)[]) sum[key] += bucket[key];
			}
			return sum;
		},
		reset: () => {
			count = emptyCount();
			perSecond = new Map();
		},
	};
}
