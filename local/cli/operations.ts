import {
	DescribeExecutionCommand,
	ExecutionAlreadyExists,
	GetExecutionHistoryCommand,
	type HistoryEvent,
	ListExecutionsCommand,
	type SFNClient,
	StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { ValidationError } from "../../shared/core/errors.js";
import { executionNameFor, parseIsoDate, parsePeriod } from "../../shared/core/period.js";
import { signStripePayload } from "../../shared/payments/providers/stripe.js";

export interface ExecutionResult {
	readonly name: string;
	readonly executionArn: string;
	readonly status: string;
	readonly output?: unknown;
	readonly error?: string;
	readonly cause?: string;
}

export class PeriodAlreadyRunError extends ValidationError {
	constructor(period: string, name: string) {
		super(
			`period ${period} has already been run (execution ${name}); a period is never billed twice. Use --rerun to re-drive it: nothing already issued or delivered is repeated.`,
		);
		this.name = "PeriodAlreadyRunError";
	}
}

/**
 * Starts the billing cycle through the Step Functions API (local or AWS) and waits for it.
 * The period is checked before anything starts; the execution name comes from the period.
 */
export async function runBillingCycle(
	sfn: SFNClient,
	stateMachineArn: string,
	request: { period: string; asOf?: string; rerun?: boolean },
	onProgress: (message: string) => void = () => undefined,
): Promise<ExecutionResult> {
	const period = parsePeriod(request.period);
	const asOf = request.asOf === undefined ? undefined : parseIsoDate(request.asOf, "--as-of");
	const baseName = executionNameFor(period);
	const name = request.rerun ? `${baseName}-rerun-${Date.now()}` : baseName;
	let executionArn: string;
	try {
		const started = await sfn.send(
			new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ period, ...(asOf ? { asOf } : {}) }) }),
		);
		executionArn = started.executionArn as string;
	} catch (err) {
		if (err instanceof ExecutionAlreadyExists) throw new PeriodAlreadyRunError(period, name);
		throw err;
	}
	onProgress(`started execution ${name}`);
	return waitForExecution(sfn, executionArn, onProgress);
}

export async function waitForExecution(
	sfn: SFNClient,
	executionArn: string,
	onProgress: (message: string) => void = () => undefined,
): Promise<ExecutionResult> {
	let lastState = "";
	for (;;) {
		const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		if (described.status !== "RUNNING") {
			return {
				name: described.name as string,
				executionArn,
				status: described.status as string,
				...(described.output ? { output: JSON.parse(described.output) as unknown } : {}),
				...(described.error ? { error: described.error } : {}),
				...(described.cause ? { cause: described.cause } : {}),
			};
		}
		const current = await currentState(sfn, executionArn);
		if (current && current !== lastState) {
			onProgress(`  ... ${current}`);
			lastState = current;
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

async function currentState(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
	const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }));
	const entered = history.events?.find((e) => e.type?.endsWith("StateEntered"));
	return entered?.stateEnteredEventDetails?.name;
}

export interface StateRecord {
	readonly name: string;
	readonly type: string;
	/** ABORTED: still running when the execution was aborted or timed out (it never finished). */
	status: "SUCCEEDED" | "FAILED" | "RUNNING" | "ABORTED";
	readonly enteredAt: string;
	exitedAt?: string;
	durationMs?: number;
	readonly input?: unknown;
	output?: unknown;
	error?: string;
	cause?: string;
}

function parseJson(value: string | undefined): unknown {
	if (value === undefined) return undefined;
	try {
		return JSON.parse(value) as unknown;
	} catch {
		return value;
	}
}

/** Per state: status, timing, input and output, what an operator reads in the console. */
export function statesFromHistory(events: readonly HistoryEvent[]): StateRecord[] {
	const states: StateRecord[] = [];
	const open: StateRecord[] = [];
	for (const event of events) {
		const type = event.type ?? "";
		const at = event.timestamp ? new Date(event.timestamp).toISOString() : "";
		if (type.endsWith("StateEntered") && event.stateEnteredEventDetails) {
			const record: StateRecord = {
				name: event.stateEnteredEventDetails.name ?? "",
				type: type.replace("StateEntered", ""),
				status: "RUNNING",
				enteredAt: at,
				input: parseJson(event.stateEnteredEventDetails.input),
			};
			states.push(record);
			open.push(record);
		} else if (type.endsWith("StateExited") && event.stateExitedEventDetails) {
			const name = event.stateExitedEventDetails.name;
			const index = open.findLastIndex((s) => s.name === name);
			const record = open[index];
			if (record) {
				open.splice(index, 1);
				record.status = record.error ? "FAILED" : "SUCCEEDED";
				record.exitedAt = at;
				record.durationMs = Date.parse(at) - Date.parse(record.enteredAt);
				record.output = parseJson(event.stateExitedEventDetails.output);
			}
		} else if (type.endsWith("Failed")) {
			const details =
				event.taskFailedEventDetails ??
				event.lambdaFunctionFailedEventDetails ??
				event.executionFailedEventDetails ??
				event.mapRunFailedEventDetails;
			const record = open.at(-1);
			if (record && details) {
				record.error = details.error;
				record.cause = details.cause;
				if (type !== "ExecutionFailed") record.status = "FAILED";
			}
		} else if (type === "ExecutionAborted" || type === "ExecutionTimedOut") {
			for (const record of open) if (record.status === "RUNNING") record.status = "ABORTED";
		}
	}
	return states;
}

export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
	const events: HistoryEvent[] = [];
	let nextToken: string | undefined;
	do {
		const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
		events.push(...(page.events ?? []));
		nextToken = page.nextToken;
	} while (nextToken);
	return events;
}

export async function listExecutions(sfn: SFNClient, stateMachineArn: string) {
	const out = [];
	let nextToken: string | undefined;
	do {
		const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken }));
		out.push(...(page.executions ?? []));
		nextToken = page.nextToken;
	} while (nextToken);
	return out;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
	return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

/** Posts a Stripe event signed with the Stripe SDK's scheme, as Stripe would. */
export async function postStripeEvent(httpUrl: string, event: unknown, secret: string): Promise<{ status: number; body: string }> {
	const body = JSON.stringify(event);
	const res = await fetch(`${httpUrl}/webhooks/stripe`, {
		method: "POST",
		headers: { "content-type": "application/json", "stripe-signature": signStripePayload(body, secret) },
		body,
	});
	return { status: res.status, body: await res.text() };
}
