import type { IncomingMessage, ServerResponse } from "node:http";
import {
	DescribeExecutionCommand,
	type DescribeExecutionCommandOutput,
	DescribeStateMachineCommand,
	DescribeStateMachineForExecutionCommand,
	type SFNClient,
} from "@aws-sdk/client-sfn";
import { type AslFlow, allStates, parseAsl } from "../../shared/runs/flow.js";
import { escapeXml as escapeHtml, renderFlowSvg } from "../../shared/runs/graph.js";
import { executionHistory } from "../../shared/runs/history.js";
import { type ExecutionView, executionView, STATUS_WORDS, type StateStatus } from "../../shared/runs/view.js";
import { executionArnFor, listExecutions } from "../cli/operations.js";
import { CONSOLE_SCRIPT, CONSOLE_STYLE } from "./console-page.js";

/** A failed account as the console lists it. */
export interface FailedAccount {
	readonly accountId: string;
	readonly stage: string;
	readonly reason: string;
	readonly at?: string;
}

export interface ConsoleOptions {
	/** Every failure recorded for a period (the run-failure records in the table), when the console can read them. */
	readonly runFailures?: (period: string) => Promise<readonly FailedAccount[]>;
}

/** Which state of the billing cycle records a failure of each stage. */
const STAGE_STATES: Readonly<Record<string, string>> = {
	invoice: "Generate Invoices",
	statement: "Generate Invoices",
	deliver: "Deliver Invoices",
	batch: "Record Batch Failure",
	run: "Record Run Failure",
};

function page(title: string, body: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CONSOLE_STYLE}</style></head>
<body><header><a href="/">Billing cycle console</a></header><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

/** JSON for a `<script type="application/json">`: nothing in it can close the element. */
function scriptJson(value: unknown): string {
	return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

function legend(): string {
	const statuses: StateStatus[] = ["SUCCEEDED", "FAILED", "CAUGHT", "RUNNING", "ABORTED", "NOT_REACHED"];
	return `<ul class="legend">${statuses.map((s) => `<li><span class="swatch status-${s}"></span>${STATUS_WORDS[s]}</li>`).join("")}<li><span class="line"></span>transition</li><li><span class="line catch"></span>Catch</li></ul>`;
}

function time(date: Date | undefined): string {
	return date
		? date
				.toISOString()
				.replace("T", " ")
				.replace(/\.\d+Z$/, "Z")
		: "";
}

function periodOf(described: DescribeExecutionCommandOutput, view: ExecutionView): string | undefined {
	const fromJson = (text: string | undefined): unknown => {
		try {
			return text ? (JSON.parse(text) as unknown) : undefined;
		} catch {
			return undefined;
		}
	};
	const output = fromJson(described.output) as { billing?: { period?: unknown } } | undefined;
	const input = fromJson(described.input) as { period?: unknown } | undefined;
	const resolved = view.states["Resolve Billing Period"]?.runs.at(-1)?.output as { billing?: { period?: unknown } } | undefined;
	const period = output?.billing?.period ?? resolved?.billing?.period ?? input?.period;
	return typeof period === "string" ? period : undefined;
}

/**
 * The failed accounts of a run: every run-failure record of its period when the console
 * reads the table, else the run's output (`invoicing.failedAccounts`, at most 50 of
 * `failedAccountCount`).
 */
async function failedAccountsOf(
	described: DescribeExecutionCommandOutput,
	period: string | undefined,
	options: ConsoleOptions,
): Promise<{ accounts: readonly FailedAccount[]; total: number; source: string }> {
	if (period && options.runFailures) {
		try {
			const accounts = await options.runFailures(period);
			return { accounts, total: accounts.length, source: `the run-failure records of ${period}` };
		} catch (err) {
			process.stderr.write(`console: run failures of ${period}: ${err instanceof Error ? err.message : String(err)}\n`);
		}
	}
	let invoicing: { failedAccounts?: FailedAccount[]; failedAccountCount?: number } | undefined;
	try {
		invoicing = described.output ? (JSON.parse(described.output) as { invoicing?: typeof invoicing }).invoicing : undefined;
	} catch {
		invoicing = undefined;
	}
	const accounts = Array.isArray(invoicing?.failedAccounts) ? invoicing.failedAccounts : [];
	return { accounts, total: invoicing?.failedAccountCount ?? accounts.length, source: "the run's output (invoicing.failedAccounts)" };
}

function failedAccountsTable(failed: { accounts: readonly FailedAccount[]; total: number; source: string }, flow: AslFlow): string {
	const names = new Set(allStates(flow).map((s) => s.name));
	if (failed.accounts.length === 0) return `<p class="none">No failed accounts (from ${escapeHtml(failed.source)}).</p>`;
	const rows = failed.accounts
		.map((a, i) => {
			const state = STAGE_STATES[a.stage];
			return `<tr class="failed-account" data-index="${i}" tabindex="0" role="button"><td>${escapeHtml(a.accountId)}</td><td>${escapeHtml(a.stage)}</td><td>${state && names.has(state) ? escapeHtml(state) : ""}</td><td class="reason">${escapeHtml(a.reason)}</td></tr>`;
		})
		.join("");
	const more = failed.total > failed.accounts.length ? ` (${failed.accounts.length} listed)` : "";
	return `<p>${failed.total} failed account${failed.total === 1 ? "" : "s"}${more}, from ${escapeHtml(failed.source)}. Click one for its reason.</p><table id="failed-accounts"><tr><th>Account</th><th>Stage</th><th>Recorded by</th><th>Reason</th></tr>${rows}</table>`;
}

function statesTable(flow: AslFlow, view: ExecutionView): string {
	const rows = allStates(flow)
		.map((state) => {
			const s = view.states[state.name];
			if (!s) return "";
			const last = s.runs.at(-1);
			const error = s.runs.find((r) => r.error !== undefined);
			return `<tr><td>${state.parent ? "&nbsp;&nbsp;↳ " : ""}${escapeHtml(state.name)}</td><td>${escapeHtml(state.type)}</td><td class="status-${s.status}">${STATUS_WORDS[s.status]}</td><td>${s.runCount}</td><td>${s.runCount === 1 ? escapeHtml(last?.durationMs ?? "") : ""}</td><td>${escapeHtml(error ? `${error.error ?? ""}: ${error.cause ?? ""}` : "")}</td></tr>`;
		})
		.join("");
	return `<table class="states"><tr><th>State</th><th>Type</th><th>Status</th><th>Runs</th><th>ms</th><th>Error</th></tr>${rows}</table>`;
}

/**
 * The console of the embedded stack: the executions, the state machine drawn from its
 * definition, and per execution the graph coloured by each state's status, a click on a
 * state for its input, output and error, and the run's failed accounts with their reasons.
 * Read through the same Step Functions API the CLI uses.
 */
export function executionsConsole(sfn: SFNClient, stateMachineArn: string, options: ConsoleOptions = {}) {
	const flows = new Map<string, AslFlow>();
	const flowOf = (definition: string | undefined): AslFlow => {
		const text = definition ?? "{}";
		let flow = flows.get(text);
		if (!flow) {
			flow = parseAsl(text);
			flows.set(text, flow);
		}
		return flow;
	};

	const index = async (res: ServerResponse) => {
		const [executions, machine] = await Promise.all([
			listExecutions(sfn, stateMachineArn),
			sfn.send(new DescribeStateMachineCommand({ stateMachineArn })),
		]);
		const rows = executions
			.map(
				(e) =>
					`<tr><td><a href="/executions/${encodeURIComponent(e.name ?? "")}">${escapeHtml(e.name)}</a></td><td class="status-${escapeHtml(e.status)}">${escapeHtml(e.status)}</td><td>${escapeHtml(time(e.startDate))}</td><td>${escapeHtml(time(e.stopDate))}</td></tr>`,
			)
			.join("");
		const list = rows
			? `<table id="executions"><tr><th>Execution</th><th>Status</th><th>Started</th><th>Stopped</th></tr>${rows}</table>`
			: `<p class="none">No executions yet: <code>npx billing run --period YYYY-MM</code>.</p>`;
		res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
		res.end(
			page(
				`State machine ${machine.name ?? ""}`,
				`<h2>Executions</h2>${list}<h2>Definition</h2><p>Drawn from the state machine's definition (statemachines/billing-cycle.asl.json).</p><div class="graph">${renderFlowSvg(flowOf(machine.definition))}</div>`,
			),
		);
	};

	const execution = async (res: ServerResponse, name: string) => {
		const executionArn = executionArnFor(stateMachineArn, name);
		let described: DescribeExecutionCommandOutput;
		try {
			described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		} catch (err) {
			if ((err as { name?: string }).name !== "ExecutionDoesNotExist" && (err as { name?: string }).name !== "InvalidArn") throw err;
			res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
			res.end(page("No such execution", `<p>No execution named ${escapeHtml(name)}. <a href="/">All executions</a></p>`));
			return;
		}
		const [machine, events] = await Promise.all([
			sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })),
			executionHistory(sfn, executionArn),
		]);
		const flow = flowOf(machine.definition);
		const view = executionView(flow, events);
		const period = periodOf(described, view);
		const failed = await failedAccountsOf(described, period, options);
		const status = described.status ?? "";
		const summary = `<p class="summary"><span class="badge status-${escapeHtml(status)}">${escapeHtml(status)}</span> started ${escapeHtml(time(described.startDate))}${described.stopDate ? `, stopped ${escapeHtml(time(described.stopDate))}` : ""}${period ? ` · period ${escapeHtml(period)}` : ""}</p>${described.error || described.cause ? `<p class="error">${escapeHtml(described.error ?? "")}: ${escapeHtml(described.cause ?? "")}</p>` : ""}`;
		const data = {
			states: Object.fromEntries(
				allStates(flow).map((state) => [
					state.name,
					{
						...view.states[state.name],
						comment: state.comment,
						statusWord: STATUS_WORDS[view.states[state.name]?.status ?? "NOT_REACHED"],
					},
				]),
			),
			failedAccounts: failed.accounts.map((a) => ({ ...a, state: STAGE_STATES[a.stage] })),
			output: described.output ? (JSON.parse(described.output) as unknown) : null,
		};
		res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
		res.end(
			page(
				name,
				`${summary}<h2>Failed accounts</h2>${failedAccountsTable(failed, flow)}<h2>Graph</h2>${legend()}<div class="layout"><div class="graph">${renderFlowSvg(flow, view.states)}</div><aside id="details" aria-live="polite"><p class="hint">Click a state for its input, output and error.</p></aside></div><h2>States</h2>${statesTable(flow, view)}<h2>Output</h2><details><summary>the execution's output</summary><pre>${escapeHtml(JSON.stringify(data.output, null, 2))}</pre></details><script type="application/json" id="console-data">${scriptJson(data)}</script><script>${CONSOLE_SCRIPT}</script>`,
			),
		);
	};

	return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
		const path = new URL(req.url ?? "/", "http://localhost").pathname;
		if (path === "/") {
			await index(res);
			return true;
		}
		if (path === "/favicon.ico") {
			res.writeHead(204);
			res.end();
			return true;
		}
		const match = /^\/executions\/([^/]+)$/.exec(path);
		if (!match) return false;
		await execution(res, decodeURIComponent(match[1] as string));
		return true;
	};
}
