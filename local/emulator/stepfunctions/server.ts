import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type AdaptedDefinition, adaptForLocalEngine } from "./adapter.js";
import { compileStateMachine, type InvokeFunction, type LocalExecution, type LocalStateMachine, startLocalExecution } from "./engine.js";
import type { HistoryEvent } from "./history.js";
import { isJsonObject, type JsonValue } from "./json.js";
import type { ReadJson, WriteJson } from "./local-states.js";
import { executionCounts, itemCounts, type MapRun, MapRunRegistry, withMapRunObserver } from "./map-runs.js";
import { type ExecutionRecord, type ExecutionStatus, ExecutionStore } from "./store.js";

/**
 * The embedded Step Functions endpoint: the AWS JSON 1.0 protocol (`POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`) for the operations the `billing` CLI and
 * the tests use, so `@aws-sdk/client-sfn` drives it exactly as it drives AWS. Executions
 * run in the background on aws-local-stepfunctions (through the adapter) and are
 * persisted under `<dataDir>/stepfunctions/executions/`; their Distributed Maps' map runs
 * (ListMapRuns, DescribeMapRun) are kept in memory (map-runs.ts).
 */

export interface LocalStateMachineConfig {
	readonly name: string;
	/** The ASL definition (object or JSON text), with `${Name}` placeholders. */
	readonly definition: unknown;
	readonly substitutions?: Readonly<Record<string, string>>;
	readonly roleArn?: string;
}

export interface StartLocalStepFunctionsOptions {
	readonly host?: string;
	readonly port?: number;
	readonly dataDir: string;
	readonly stateMachines: readonly LocalStateMachineConfig[];
	readonly invoke: InvokeFunction;
	readonly readJson?: ReadJson;
	readonly writeJson?: WriteJson;
	readonly region?: string;
	readonly accountId?: string;
	/** How long close() waits for running executions before aborting them (default 60 000 ms). */
	readonly drainTimeoutMs?: number;
	/** Longest pause between retries (default 100 ms). */
	readonly maxRetryIntervalMs?: number;
	/** TimeoutSeconds for Task states that set none (default 900). */
	readonly defaultTaskTimeoutSeconds?: number;
}

export interface LocalStepFunctions {
	readonly url: string;
	readonly stateMachineArns: Readonly<Record<string, string>>;
	close(): Promise<void>;
}

export const STOPPED_WHILE_RUNNING_ERROR = "EmbeddedStackStopped";
export const STOPPED_WHILE_RUNNING_CAUSE = "embedded stack stopped while the execution was running";

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_INPUT_BYTES = 262_144;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const PERSIST_INTERVAL_MS = 500;
const STATUS_FILTERS = new Set(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]);
/** Names: 1–80 characters without whitespace, brackets, wildcards, special or control characters (as AWS requires). */
function isValidName(name: string): boolean {
	const chars = [...name];
	return (
		chars.length >= 1 &&
		chars.length <= 80 &&
		chars.every((ch) => {
			const code = ch.codePointAt(0) ?? 0;
			return code > 0x1f && !(code >= 0x7f && code <= 0x9f) && !/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u.test(ch);
		})
	);
}

class ApiError extends Error {
	constructor(
		readonly type: string,
		message: string,
		readonly status = 400,
	) {
		super(message);
	}
}

interface MachineEntry {
	readonly name: string;
	readonly arn: string;
	readonly roleArn: string;
	readonly creationDate: number;
	readonly adapted: AdaptedDefinition;
	readonly compiled: LocalStateMachine;
}

type Body = Record<string, unknown>;

function seconds(epochMs: number): number {
	return epochMs / 1000;
}

function optionalString(body: Body, field: string): string | undefined {
	const value = body[field];
	if (value === undefined || value === null) return undefined;
	if (typeof value !== "string")
		throw new ApiError(
			"ValidationException",
			`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a string`,
		);
	return value;
}

function requiredString(body: Body, field: string): string {
	const value = optionalString(body, field);
	if (value === undefined) {
		throw new ApiError(
			"ValidationException",
			`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
		);
	}
	return value;
}

function pageSize(body: Body): number {
	const value = body.maxResults;
	if (value === undefined || value === null || value === 0) return DEFAULT_PAGE;
	if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PAGE) {
		throw new ApiError(
			"ValidationException",
			`1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${MAX_PAGE}`,
		);
	}
	return value;
}

function encodeToken(scope: string, offset: number): string {
	return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString("base64url");
}

function decodeToken(token: string | undefined, scope: string): number {
	if (token === undefined) return 0;
	try {
		const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { s?: unknown; o?: unknown };
		if (parsed.s === scope && typeof parsed.o === "number" && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
	} catch {
		// fall through
	}
	throw new ApiError("InvalidToken", `Invalid Token: '${token}'`);
}

function page<T>(items: readonly T[], body: Body, scope: string): { items: T[]; nextToken?: string } {
	const size = pageSize(body);
	const offset = decodeToken(optionalString(body, "nextToken"), scope);
	const slice = items.slice(offset, offset + size);
	return offset + size < items.length ? { items: slice, nextToken: encodeToken(scope, offset + size) } : { items: slice };
}

function withoutExecutionData(event: HistoryEvent): HistoryEvent {
	const out: Record<string, unknown> = { ...event };
	for (const [key, value] of Object.entries(event)) {
		if (key.endsWith("EventDetails") && isJsonObject(value as JsonValue)) {
			const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
			out[key] = rest;
		}
	}
	return out as HistoryEvent;
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > MAX_BODY_BYTES) throw new ApiError("ValidationException", "request body too large", 413);
		chunks.push(buffer);
	}
	return Buffer.concat(chunks).toString("utf8");
}

export async function startLocalStepFunctions(options: StartLocalStepFunctionsOptions): Promise<LocalStepFunctions> {
	const region = options.region ?? "us-east-1";
	const account = options.accountId ?? "000000000000";
	const host = options.host ?? "127.0.0.1";
	const drainTimeoutMs = options.drainTimeoutMs ?? 60_000;
	const stateMachineArn = (name: string) => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
	const executionArnFor = (machine: string, name: string) => `arn:aws:states:${region}:${account}:execution:${machine}:${name}`;

	const machines = new Map<string, MachineEntry>();
	const now = Date.now();
	for (const config of options.stateMachines) {
		if (!isValidName(config.name)) throw new Error(`invalid state machine name "${config.name}"`);
		const arn = stateMachineArn(config.name);
		if (machines.has(arn)) throw new Error(`state machine "${config.name}" is configured twice`);
		let adapted: AdaptedDefinition;
		let compiled: LocalStateMachine;
		try {
			adapted = adaptForLocalEngine(config.definition, {
				...(config.substitutions ? { substitutions: config.substitutions } : {}),
				...(options.readJson ? { readJson: options.readJson } : {}),
				...(options.writeJson ? { writeJson: options.writeJson } : {}),
				...(options.defaultTaskTimeoutSeconds !== undefined ? { defaultTaskTimeoutSeconds: options.defaultTaskTimeoutSeconds } : {}),
			});
			compiled = compileStateMachine(
				adapted,
				options.maxRetryIntervalMs !== undefined ? { maxRetryIntervalMs: options.maxRetryIntervalMs } : {},
			);
		} catch (err) {
			throw new Error(`state machine "${config.name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
		}
		machines.set(arn, {
			name: config.name,
			arn,
			roleArn: config.roleArn ?? `arn:aws:iam::${account}:role/${config.name}-local`,
			creationDate: now,
			adapted,
			compiled,
		});
	}

	const store = new ExecutionStore(join(options.dataDir, "stepfunctions", "executions"));
	const executions = new Map<string, ExecutionRecord>();
	const running = new Map<string, LocalExecution>();
	const persistTimers = new Map<string, NodeJS.Timeout>();
	const mapRuns = new MapRunRegistry();

	const persistNow = (record: ExecutionRecord): Promise<void> => {
		const timer = persistTimers.get(record.executionArn);
		if (timer) clearTimeout(timer);
		persistTimers.delete(record.executionArn);
		return store.save(record);
	};
	const persistSoon = (record: ExecutionRecord): void => {
		if (persistTimers.has(record.executionArn)) return;
		const timer = setTimeout(() => {
			persistTimers.delete(record.executionArn);
			void store.save(record);
		}, PERSIST_INTERVAL_MS);
		timer.unref();
		persistTimers.set(record.executionArn, timer);
	};

	// Executions of earlier runs; one still RUNNING was cut off when its process stopped.
	for (const record of await store.loadAll((file, reason) => process.stderr.write(`stepfunctions: skipped ${file}: ${reason}\n`))) {
		if (record.status === "RUNNING") {
			const last = record.history.at(-1);
			const stopDate = Math.max(record.startDate, last ? Math.round(last.timestamp * 1000) : record.startDate);
			record.status = "ABORTED";
			record.stopDate = stopDate;
			record.error = STOPPED_WHILE_RUNNING_ERROR;
			record.cause = STOPPED_WHILE_RUNNING_CAUSE;
			const id = record.history.length + 1;
			record.history.push({
				timestamp: seconds(stopDate),
				type: "ExecutionAborted",
				id,
				previousEventId: id - 1,
				executionAbortedEventDetails: { error: STOPPED_WHILE_RUNNING_ERROR, cause: STOPPED_WHILE_RUNNING_CAUSE },
			});
			await persistNow(record);
		}
		executions.set(record.executionArn, record);
	}

	const describe = (record: ExecutionRecord) => ({
		executionArn: record.executionArn,
		stateMachineArn: record.stateMachineArn,
		name: record.name,
		status: record.status,
		startDate: seconds(record.startDate),
		...(record.stopDate !== undefined ? { stopDate: seconds(record.stopDate) } : {}),
		input: record.input,
		inputDetails: { included: true },
		...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
		...(record.error !== undefined ? { error: record.error } : {}),
		...(record.cause !== undefined ? { cause: record.cause } : {}),
		redriveCount: 0,
		redriveStatus: "NOT_REDRIVABLE",
	});

	const findMachine = (arn: string): MachineEntry => {
		if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn))
			throw new ApiError("InvalidArn", `Invalid Arn: '${arn}'`);
		const machine = machines.get(arn);
		if (!machine) throw new ApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
		return machine;
	};
	const findExecution = (arn: string): ExecutionRecord => {
		if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn))
			throw new ApiError("InvalidArn", `Invalid Arn: '${arn}'`);
		const record = executions.get(arn);
		if (!record) throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
		return record;
	};

	const startExecution = async (body: Body) => {
		const machine = findMachine(requiredString(body, "stateMachineArn"));
		const name = optionalString(body, "name") ?? randomUUID();
		if (!isValidName(name)) throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
		const input = optionalString(body, "input") ?? "{}";
		let parsed: JsonValue;
		try {
			parsed = JSON.parse(input) as JsonValue;
		} catch (err) {
			throw new ApiError(
				"InvalidExecutionInput",
				`Invalid State Machine Execution Input: '${err instanceof Error ? err.message : String(err)}'`,
			);
		}
		if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
			throw new ApiError(
				"InvalidExecutionInput",
				`Invalid State Machine Execution Input: 'the input is larger than ${MAX_INPUT_BYTES} bytes'`,
			);
		}
		const executionArn = executionArnFor(machine.name, name);
		const existing = executions.get(executionArn);
		if (existing) {
			// As on AWS: the same name and input while still running is an idempotent retry.
			if (existing.status === "RUNNING" && existing.input === input) return { executionArn, startDate: seconds(existing.startDate) };
			throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
		}
		const startDate = new Date();
		const record: ExecutionRecord = {
			executionArn,
			stateMachineArn: machine.arn,
			stateMachineName: machine.name,
			name,
			status: "RUNNING",
			startDate: startDate.getTime(),
			input,
			history: [],
		};
		executions.set(executionArn, record);
		let execution: LocalExecution;
		const executionMapRuns = mapRuns.forExecution({ executionArn, stateMachineArn: machine.arn, definition: machine.adapted.substituted });
		try {
			execution = withMapRunObserver(executionMapRuns, () =>
				startLocalExecution({
					machine: machine.compiled,
					input: parsed,
					identity: { executionArn, name, stateMachineArn: machine.arn, stateMachineName: machine.name, roleArn: machine.roleArn, region },
					invoke: options.invoke,
					startDate,
					onHistoryEvent: (event) => {
						persistSoon(record);
						if (event.type !== "MapIterationStarted") return;
						const { name: mapName, index } = (event.mapIterationStartedEventDetails ?? {}) as { name?: unknown; index?: unknown };
						if (typeof mapName === "string" && typeof index === "number") executionMapRuns.childStarted(mapName, index);
					},
				}),
			);
		} catch (err) {
			record.status = "FAILED";
			record.stopDate = Date.now();
			record.error = "States.Runtime";
			record.cause = err instanceof Error ? err.message : String(err);
			await persistNow(record);
			return { executionArn, startDate: seconds(record.startDate) };
		}
		record.history = execution.history as HistoryEvent[];
		running.set(executionArn, execution);
		await persistNow(record);
		void execution.done.then(async (outcome) => {
			executionMapRuns.executionStopped();
			record.status = outcome.status as ExecutionStatus;
			record.stopDate = outcome.stopDate.getTime();
			if (outcome.output !== undefined) record.output = outcome.output;
			if (outcome.error !== undefined) record.error = outcome.error;
			if (outcome.cause !== undefined) record.cause = outcome.cause;
			record.history = [...execution.history];
			await persistNow(record);
			running.delete(executionArn);
		});
		return { executionArn, startDate: seconds(record.startDate) };
	};

	const stopExecution = async (body: Body) => {
		const record = findExecution(requiredString(body, "executionArn"));
		const execution = running.get(record.executionArn);
		if (execution && record.status === "RUNNING") {
			execution.stop(optionalString(body, "error"), optionalString(body, "cause"));
			await execution.done;
			// Let the completion handler record the outcome.
			await new Promise((resolve) => setImmediate(resolve));
		}
		return { stopDate: seconds(record.stopDate ?? Date.now()) };
	};

	const listExecutions = (body: Body) => {
		const machineArn = requiredString(body, "stateMachineArn");
		findMachine(machineArn);
		const status = optionalString(body, "statusFilter");
		if (status !== undefined && !STATUS_FILTERS.has(status)) {
			throw new ApiError(
				"ValidationException",
				`1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${[...STATUS_FILTERS].join(", ")}]`,
			);
		}
		const matching = [...executions.values()]
			.filter((r) => r.stateMachineArn === machineArn && (status === undefined || r.status === status))
			.sort((a, b) => b.startDate - a.startDate || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
		const { items, nextToken } = page(matching, body, `list:${machineArn}:${status ?? ""}`);
		return {
			executions: items.map((r) => ({
				executionArn: r.executionArn,
				stateMachineArn: r.stateMachineArn,
				name: r.name,
				status: r.status,
				startDate: seconds(r.startDate),
				...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
			})),
			...(nextToken ? { nextToken } : {}),
		};
	};

	const getExecutionHistory = (body: Body) => {
		const record = findExecution(requiredString(body, "executionArn"));
		const reverse = body.reverseOrder === true;
		const includeData = body.includeExecutionData !== false;
		const events = reverse ? [...record.history].reverse() : [...record.history];
		const { items, nextToken } = page(events, body, `history:${record.executionArn}:${reverse}`);
		return { events: includeData ? items : items.map(withoutExecutionData), ...(nextToken ? { nextToken } : {}) };
	};

	const findMapRun = (arn: string): MapRun => {
		if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^:/]+\/[^:]+:[^:]+$/.test(arn))
			throw new ApiError("InvalidArn", `Invalid Arn: '${arn}'`);
		const run = mapRuns.get(arn);
		if (!run) throw new ApiError("ResourceNotFound", `Resource not found: '${arn}'`);
		return run;
	};

	const listMapRuns = (body: Body) => {
		const record = findExecution(requiredString(body, "executionArn"));
		const { items, nextToken } = page(mapRuns.list(record.executionArn), body, `mapRuns:${record.executionArn}`);
		return {
			mapRuns: items.map((run) => ({
				executionArn: run.executionArn,
				mapRunArn: run.mapRunArn,
				stateMachineArn: run.stateMachineArn,
				startDate: seconds(run.startDate),
				...(run.stopDate !== undefined ? { stopDate: seconds(run.stopDate) } : {}),
			})),
			...(nextToken ? { nextToken } : {}),
		};
	};

	const describeMapRun = (body: Body) => {
		const run = findMapRun(requiredString(body, "mapRunArn"));
		return {
			mapRunArn: run.mapRunArn,
			executionArn: run.executionArn,
			status: run.status,
			startDate: seconds(run.startDate),
			...(run.stopDate !== undefined ? { stopDate: seconds(run.stopDate) } : {}),
			maxConcurrency: run.maxConcurrency,
			toleratedFailurePercentage: run.toleratedFailurePercentage,
			toleratedFailureCount: run.toleratedFailureCount,
			itemCounts: itemCounts(run),
			executionCounts: executionCounts(run),
			redriveCount: 0,
		};
	};

	const describeStateMachine = (machine: MachineEntry) => ({
		stateMachineArn: machine.arn,
		name: machine.name,
		status: "ACTIVE",
		definition: JSON.stringify(machine.adapted.substituted, null, 2),
		roleArn: machine.roleArn,
		type: "STANDARD",
		creationDate: seconds(machine.creationDate),
		loggingConfiguration: { level: "OFF", includeExecutionData: false },
		tracingConfiguration: { enabled: false },
	});

	const operations: Record<string, (body: Body) => unknown> = {
		StartExecution: startExecution,
		StopExecution: stopExecution,
		DescribeExecution: (body) => describe(findExecution(requiredString(body, "executionArn"))),
		ListExecutions: listExecutions,
		GetExecutionHistory: getExecutionHistory,
		ListMapRuns: listMapRuns,
		DescribeMapRun: describeMapRun,
		ListStateMachines: (body) => {
			const all = [...machines.values()].sort((a, b) => a.name.localeCompare(b.name));
			const { items, nextToken } = page(all, body, "machines");
			return {
				stateMachines: items.map((m) => ({
					stateMachineArn: m.arn,
					name: m.name,
					type: "STANDARD",
					creationDate: seconds(m.creationDate),
				})),
				...(nextToken ? { nextToken } : {}),
			};
		},
		DescribeStateMachine: (body) => describeStateMachine(findMachine(requiredString(body, "stateMachineArn"))),
		DescribeStateMachineForExecution: (body) => {
			const record = findExecution(requiredString(body, "executionArn"));
			const { status: _status, creationDate: _created, type: _type, ...rest } = describeStateMachine(findMachine(record.stateMachineArn));
			return { ...rest, updateDate: seconds(findMachine(record.stateMachineArn).creationDate) };
		},
	};

	let closing = false;
	const send = (res: ServerResponse, status: number, payload: unknown) => {
		const text = JSON.stringify(payload);
		res.writeHead(status, {
			"content-type": "application/x-amz-json-1.0",
			"content-length": Buffer.byteLength(text),
			"x-amzn-requestid": randomUUID(),
		});
		res.end(text);
	};
	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		try {
			if (closing) throw new ApiError("ServiceUnavailable", "the embedded Step Functions endpoint is shutting down", 503);
			if (req.method !== "POST")
				throw new ApiError("UnknownOperationException", `${req.method ?? ""} is not supported; POST an AWS JSON 1.0 request`, 404);
			const target = String(req.headers["x-amz-target"] ?? "");
			const [service, operation] = target.split(".");
			const op = service === "AWSStepFunctions" && operation ? operations[operation] : undefined;
			const text = await readBody(req);
			if (!op) throw new ApiError("UnknownOperationException", `Unknown operation '${target}'`);
			let body: unknown;
			try {
				body = text.trim() === "" ? {} : JSON.parse(text);
			} catch {
				throw new ApiError("SerializationException", "the request body is not JSON");
			}
			if (!isJsonObject(body as JsonValue)) throw new ApiError("SerializationException", "the request body must be a JSON object");
			send(res, 200, await op(body as Body));
		} catch (err) {
			if (err instanceof ApiError) send(res, err.status, { __type: err.type, message: err.message });
			else {
				process.stderr.write(`stepfunctions: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
				send(res, 500, { __type: "InternalFailure", message: "internal error in the embedded Step Functions endpoint" });
			}
		}
	};

	const server = createServer((req, res) => void handle(req, res));
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const address = server.address() as AddressInfo;
	const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;

	let closed: Promise<void> | undefined;
	const close = (): Promise<void> => {
		closed ??= (async () => {
			closing = true;
			const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeIdleConnections();
			const drained = Promise.allSettled([...running.values()].map((e) => e.done));
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)))]);
			clearTimeout(timer);
			for (const execution of running.values()) execution.stop(STOPPED_WHILE_RUNNING_ERROR, STOPPED_WHILE_RUNNING_CAUSE);
			await Promise.allSettled([...running.values()].map((e) => e.done));
			// Completion handlers persist the final state; give them their turn, then flush.
			while (running.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
			for (const timer of persistTimers.values()) clearTimeout(timer);
			persistTimers.clear();
			await store.flush();
			server.closeAllConnections();
			await serverClosed;
		})();
		return closed;
	};

	const stateMachineArns: Record<string, string> = {};
	for (const machine of machines.values()) stateMachineArns[machine.name] = machine.arn;
	return { url, stateMachineArns, close };
}
