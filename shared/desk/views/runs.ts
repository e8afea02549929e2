import {
	DescribeExecutionCommand,
	DescribeStateMachineForExecutionCommand,
	ExecutionDoesNotExist,
	ListExecutionsCommand,
	type SFNClient,
} from "@aws-sdk/client-sfn";
import { BillingError, ValidationError } from "../../core/errors.js";
import { parseAsl } from "../../runs/flow.js";
import { renderFlowSvg } from "../../runs/graph.js";
import { executionHistory } from "../../runs/history.js";
import { executionView } from "../../runs/view.js";

/** The billing cycle's state machine, where the desk reads its runs. */
export interface RunsSource {
	readonly sfn: SFNClient;
	readonly stateMachineArn: string;
}

/** The newest runs first, a page at a time (Step Functions' own token is the cursor). */
export async function runsPage(source: RunsSource, request: { readonly cursor?: string; readonly limit: number }) {
	const out = await source.sfn.send(
		new ListExecutionsCommand({
			stateMachineArn: source.stateMachineArn,
			maxResults: request.limit,
			...(request.cursor ? { nextToken: request.cursor } : {}),
		}),
	);
	return {
		items: (out.executions ?? []).map((e) => ({
			name: e.name,
			status: e.status,
			startDate: e.startDate?.toISOString(),
			...(e.stopDate ? { stopDate: e.stopDate.toISOString() } : {}),
		})),
		...(out.nextToken ? { nextCursor: out.nextToken } : {}),
	};
}

/** A run as the console shows it: its status, per state what happened, and the graph of its definition coloured by it. */
export async function runDetail(source: RunsSource, name: string) {
	if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ValidationError("name: a run's name, e.g. billing-2026-10");
	const executionArn = `${source.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
	const execution = await source.sfn.send(new DescribeExecutionCommand({ executionArn })).catch((err: unknown) => {
		throw err instanceof ExecutionDoesNotExist ? new BillingError(`no run ${name}`, 404) : err;
	});
	const [machine, events] = await Promise.all([
		source.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })),
		executionHistory(source.sfn, executionArn),
	]);
	const flow = parseAsl(JSON.parse(machine.definition ?? "{}"));
	const view = executionView(flow, events);
	return {
		name,
		status: execution.status,
		startDate: execution.startDate?.toISOString(),
		...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
		...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
		// In the definition's order, each with its last run shown (its attempts and iterations are the console's).
		states: Object.values(view.states).map((state) => {
			const last = state.runs.at(-1);
			return {
				name: state.name,
				type: state.type,
				status: state.status,
				runCount: state.runCount,
				...(last
					? {
							enteredAt: last.enteredAt,
							...(last.exitedAt ? { exitedAt: last.exitedAt } : {}),
							...(last.input !== undefined ? { input: last.input } : {}),
							...(last.output !== undefined ? { output: last.output } : {}),
						}
					: {}),
				...((last?.error ?? state.error) ? { error: last?.error ?? state.error } : {}),
				...((last?.cause ?? state.cause) ? { cause: last?.cause ?? state.cause } : {}),
			};
		}),
		graphSvg: renderFlowSvg(flow, view.states),
	};
}
