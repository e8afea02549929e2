import {
	DescribeExecutionCommand,
	DescribeMapRunCommand,
	DescribeStateMachineForExecutionCommand,
	ExecutionAlreadyExists,
	GetExecutionHistoryCommand,
	type HistoryEvent,
	ListExecutionsCommand,
	ListMapRunsCommand,
	type SFNClient,
	StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { ValidationError } from "../../shared/core/errors.js";
import { executionNameFor, parseIsoDate, parsePeriod } from "../../shared/core/period.js";
import { signStripePayload } from "../../shared/payments/providers/stripe.js";
import { historyStates, type StateRun } from "../../shared/runs/view.js";
import { formatCounts, type ProgressLine, progressLine } from "./progress.js";

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
 * With `onProgress` (one-off messages, e.g. the CLI's stderr) the run's progress is drawn as
 * one line on stderr while it runs (see waitForExecution).
 */
export async function runBillingCycle(
	sfn: SFNClient,
	stateMachineArn: string,
	request: { period: string; asOf?: string; rerun?: boolean },
	onProgress?: (message: string) => void,
	options: WaitOptions = {},
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
	onProgress?.(`started execution ${name}`);
	return waitForExecution(sfn, executionArn, onProgress, options);
}

export interface WaitOptions {
	/** Where the run's progress is drawn; default: a progress line on stderr when `onProgress` is given, none otherwise. */
	readonly progressLine?: ProgressLine | false;
}

const POLL_MS = 250;
/** The least time between two looks at the run's progress (history and map run). */
const PROGRESS_POLL_MS = 1_000;

/**
 * Waits for an execution to stop. Its progress, when drawn: the current top-level step
 * and, while a Distributed Map runs, its map run's counts ("accounts invoiced N of TOTAL
 * (P%), R accounts/s, F failed"), all read through the Step Functions API (ListMapRuns,
 * DescribeMapRun), so it reads the same against AWS; at the end, the outcome and the
 * invoicing summary's counts. stdout is left to the caller.
 */
export async function waitForExecution(
	sfn: SFNClient,
	executionArn: string,
	onProgress?: (message: string) => void,
	options: WaitOptions = {},
): Promise<ExecutionResult> {
	const line = options.progressLine === false ? undefined : (options.progressLine ?? (onProgress ? progressLine() : undefined));
	const watcher = line ? new RunProgress(sfn, executionArn) : undefined;
	let lookedAt = Number.NEGATIVE_INFINITY;
	let result: ExecutionResult | undefined;
	try {
		for (;;) {
			const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
			if (described.status !== "RUNNING") {
				result = {
					name: described.name as string,
					executionArn,
					status: described.status as string,
					...(described.output ? { output: JSON.parse(described.output) as unknown } : {}),
					...(described.error ? { error: described.error } : {}),
					...(described.cause ? { cause: described.cause } : {}),
				};
				const seconds =
					described.startDate && described.stopDate ? (described.stopDate.getTime() - described.startDate.getTime()) / 1000 : 0;
				line?.done(outcomeLine(result, seconds));
				return result;
			}
			if (watcher && line && Date.now() - lookedAt >= PROGRESS_POLL_MS) {
				lookedAt = Date.now();
				const now = await watcher.read();
				if (now.step) line.update(now.step, now.detail);
			}
			await new Promise((r) => setTimeout(r, POLL_MS));
		}
	} finally {
		if (!result) line?.done();
	}
}

/** "billing-2026-10 SUCCEEDED in 56 s: 206 invoices, 203 emails sent, 1 account failed". */
function outcomeLine(result: ExecutionResult, seconds: number): string {
	const invoicing = (result.output as { invoicing?: Record<string, unknown> } | undefined)?.invoicing;
	const count = (key: string, one: string, many: string) => {
		const n = invoicing?.[key];
		return typeof n === "number" ? `${n.toLocaleString("en-US")} ${n === 1 ? one : many}` : undefined;
	};
	const counts = [
		count("invoicesIssued", "invoice", "invoices"),
		count("emailsSent", "email sent", "emails sent"),
		invoicing?.einvoicesRefused ? count("einvoicesRefused", "e-invoice refused", "e-invoices refused") : undefined,
		count("failedAccountCount", "account failed", "accounts failed"),
	]
		.filter(Boolean)
		.join(", ");
	return `${result.name} ${result.status} in ${Math.round(seconds)} s${counts ? `: ${counts}` : ""}`;
}

/** The local engine's helper states (`Invoice Accounts [local: read items]`) belong to their Map. */
const LOCAL_HELPER = /^(.+) \[local: [a-z ]+\](?: \d+)?$/;

/** What a Distributed Map's items are, by its state name (or label); others count "items". */
const COUNTED: Readonly<Record<string, { label: string; unit: string }>> = {
	"Invoice Accounts": { label: "accounts invoiced", unit: "accounts" },
	"Review Accounts": { label: "accounts reviewed", unit: "accounts" },
};

/**
 * A running execution's progress through the Step Functions API: the current top-level
 * step from the newest history events (a Map's children and the local engine's helper
 * states are not steps), a Distributed Map's counts from its running map run. A call the
 * caller may not make (e.g. ListMapRuns without the permission) only leaves that part out.
 */
class RunProgress {
	private topLevel: Set<string> | undefined;
	private definitionRead = false;
	private step: string | undefined;
	private mapRun: { arn: string; name: string } | undefined;

	constructor(
		private readonly sfn: SFNClient,
		private readonly executionArn: string,
	) {}

	async read(): Promise<{ step?: string; detail?: string }> {
		const fromHistory = await this.stepFromHistory().catch(() => undefined);
		const counts = await this.runningMapRun().catch(() => undefined);
		// Inside a map run the newest events can all be its children's: the step is then the map's.
		this.step = fromHistory ?? counts?.name ?? this.step;
		const showCounts = counts && (counts.running || fromHistory === undefined || fromHistory === counts.name);
		return { ...(this.step ? { step: this.step } : {}), ...(showCounts ? { detail: counts.detail } : {}) };
	}

	private async stepFromHistory(): Promise<string | undefined> {
		if (!this.definitionRead) {
			this.definitionRead = true;
			const machine = await this.sfn
				.send(new DescribeStateMachineForExecutionCommand({ executionArn: this.executionArn }))
				.catch(() => undefined);
			const states = machine?.definition ? (JSON.parse(machine.definition) as { States?: object }).States : undefined;
			if (states) this.topLevel = new Set(Object.keys(states));
		}
		const history = await this.sfn.send(
			new GetExecutionHistoryCommand({ executionArn: this.executionArn, reverseOrder: true, maxResults: 100 }),
		);
		for (const event of history.events ?? []) {
			const name = event.type?.endsWith("StateEntered") ? event.stateEnteredEventDetails?.name : undefined;
			if (name === undefined) continue;
			const step = LOCAL_HELPER.exec(name)?.[1] ?? name;
			if (!this.topLevel || this.topLevel.has(step)) return step;
		}
		return undefined;
	}

	/** The running map run's name (its label, the Map state's name by default) and counts; the last counts of one that just stopped. */
	private async runningMapRun(): Promise<{ name: string; detail: string; running: boolean } | undefined> {
		if (!this.mapRun) {
			const listed = await this.sfn.send(new ListMapRunsCommand({ executionArn: this.executionArn }));
			const running = (listed.mapRuns ?? []).filter((r) => r.mapRunArn && !r.stopDate);
			const newest = running.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0];
			if (!newest?.mapRunArn) return undefined;
			const name = /:mapRun:[^/]+\/(.+):[^:]+$/.exec(newest.mapRunArn)?.[1] ?? "map run";
			this.mapRun = { arn: newest.mapRunArn, name };
		}
		const { arn, name } = this.mapRun;
		const run = await this.sfn.send(new DescribeMapRunCommand({ mapRunArn: arn }));
		const running = run.status === "RUNNING";
		if (!running) this.mapRun = undefined;
		const items = run.itemCounts;
		if (!items) return undefined;
		const { label, unit } = COUNTED[name] ?? { label: "items done", unit: "items" };
		const seconds = run.startDate ? (Date.now() - run.startDate.getTime()) / 1000 : 0;
		const detail = formatCounts({ label, unit, done: items.succeeded ?? 0, total: items.total ?? 0, failed: items.failed ?? 0, seconds });
		return { name, detail, running };
	}
}

/**
 * A state's run as `billing executions show` prints it: the console's reading of the history
 * (status SUCCEEDED, FAILED, CAUGHT when its error was caught and the run went on, RUNNING,
 * or ABORTED when its execution was aborted or timed out before it finished), with its
 * attempts and, inside a Map, the iteration (batch) it ran in.
 */
export type StateRecord = StateRun;

/**
 * Per state run, in the order entered: status, timing, input and output, error, what an
 * operator reads in the console (historyStates, which the console's view reads too: events
 * are attributed through previousEventId, retried errors are cleared by the retry, the
 * local engine's helper states are folded into their Map). A Fail state that ended the run
 * shows the error and cause the execution failed with.
 */
export function statesFromHistory(events: readonly HistoryEvent[]): StateRecord[] {
	const { runs } = historyStates(events);
	const failed = events.findLast((e) => e.type === "ExecutionFailed")?.executionFailedEventDetails;
	const last = runs.findLast((r) => r.iteration === undefined);
	if (failed && last?.type === "Fail" && last.error === undefined) {
		if (failed.error !== undefined) last.error = failed.error;
		if (failed.cause !== undefined) last.cause = failed.cause;
	}
	return runs;
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
