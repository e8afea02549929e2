import type { IncomingMessage, ServerResponse } from "node:http";
import { DescribeExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { executionArnFor, executionHistory, listExecutions, statesFromHistory } from "../cli/operations.js";

function escapeHtml(value: unknown): string {
	return String(value ?? "")
		.replaceAll("&", "&amp;")
		.replaceAll("<", "&lt;")
		.replaceAll(">", "&gt;")
		.replaceAll('"', "&quot;");
}

function page(title: string, body: string): string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.SUCCEEDED{color:#176f2c}.FAILED,.ABORTED{color:#b00020}.RUNNING{color:#8a6d00}pre{margin:0;max-width:60rem;overflow:auto}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * A read-only console for the embedded stack: executions and, per state, status, timing,
 * input and output, read through the same Step Functions API the CLI uses.
 */
export function executionsConsole(sfn: SFNClient, stateMachineArn: string) {
	return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
		const path = new URL(req.url ?? "/", "http://localhost").pathname;
		if (path === "/") {
			const executions = await listExecutions(sfn, stateMachineArn);
			const rows = executions
				.map(
					(e) =>
						`<tr><td><a href="/executions/${encodeURIComponent(e.name ?? "")}">${escapeHtml(e.name)}</a></td><td class="${escapeHtml(e.status)}">${escapeHtml(e.status)}</td><td>${escapeHtml(e.startDate?.toISOString())}</td><td>${escapeHtml(e.stopDate?.toISOString())}</td></tr>`,
				)
				.join("");
			res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
			res.end(
				page(
					"Billing cycle executions",
					`<table><tr><th>Execution</th><th>Status</th><th>Started</th><th>Stopped</th></tr>${rows}</table>`,
				),
			);
			return true;
		}
		const match = /^\/executions\/([^/]+)$/.exec(path);
		if (!match) return false;
		const name = decodeURIComponent(match[1] as string);
		const executionArn = executionArnFor(stateMachineArn, name);
		const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		const states = statesFromHistory(await executionHistory(sfn, executionArn));
		const json = (v: unknown) => `<details><summary>json</summary><pre>${escapeHtml(JSON.stringify(v, null, 2))}</pre></details>`;
		const rows = states
			.map(
				(s) =>
					`<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.type)}</td><td class="${s.status}">${s.status}</td><td>${escapeHtml(s.durationMs)}</td><td>${json(s.input)}</td><td>${json(s.output)}</td><td>${escapeHtml(s.error ?? "")} ${escapeHtml(s.cause ?? "")}</td></tr>`,
			)
			.join("");
		const summary = `<p class="${escapeHtml(described.status)}">${escapeHtml(described.status)} ${escapeHtml(described.error ?? "")} ${escapeHtml(described.cause ?? "")}</p><p><a href="/">all executions</a></p>`;
		res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
		res.end(
			page(
				name,
				`${summary}<h2>Output</h2>${json(described.output ? JSON.parse(described.output) : null)}<h2>States</h2><table><tr><th>State</th><th>Type</th><th>Status</th><th>ms</th><th>Input</th><th>Output</th><th>Error</th></tr>${rows}</table>`,
			),
		);
		return true;
	};
}
