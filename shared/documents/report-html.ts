import { AGING_BUCKETS, type AgingBucket } from "../core/aging.js";
import { formatMoney } from "../core/money.js";
import type { BillingReport, Flows } from "../core/report-model.js";

/** The report a manager opens: tables plus inline SVG charts, one self-contained HTML file. */
export function renderReportHtml(r: BillingReport, sellerName: string): string {
	const title = `${sellerName} \u2014 ${r.kind} billing report ${r.label}`;
	const currencies = [...new Set([...Object.keys(r.totals), ...Object.keys(r.agingByCurrency)])].sort();
	const m = (amount: number, currency: string) => escapeHtml(formatMoney({ amount, currency }));
	const flowRows: [keyof Flows, string][] = [
		["invoicesIssued", "Invoices issued"],
		["invoicedAmount", "Invoiced"],
		["creditMemos", "Credit memos"],
		["paymentsReceived", "Payments received"],
		["paymentsApplied", "Payments applied"],
		["refunds", "Refunds"],
		["writeOffs", "Write-offs"],
		["netChangeInReceivables", "Net change in receivables"],
	];
	const sections: string[] = [];
	for (const currency of currencies) {
		const head = `<tr><th></th>${r.months.map((mo) => `<th>${escapeHtml(mo.period)}</th>`).join("")}${r.months.length > 1 ? "<th>Total</th>" : ""}</tr>`;
		const body = flowRows
			.map(([key, label]) => {
				const cell = (f: Flows | undefined) => {
					const v = f?.[key] ?? 0;
					return `<td>${key === "invoicesIssued" ? String(v) : m(v, currency)}</td>`;
				};
				return `<tr><th>${label}</th>${r.months.map((mo) => cell(mo.byCurrency[currency])).join("")}${r.months.length > 1 ? cell(r.totals[currency]) : ""}</tr>`;
			})
			.join("\n");
		const aging = r.agingByCurrency[currency];
		const dso = r.daysSalesOutstanding[currency];
		sections.push(
			`<section><h2>${escapeHtml(currency)}</h2>`,
			`<h3>Activity</h3><table>${head}\n${body}</table>`,
			monthlyChart(r, currency),
			`<h3>Receivables aging as of ${escapeHtml(r.asOf)}</h3>`,
			`<table><tr>${AGING_BUCKETS.map((b) => `<th>${bucketLabel(b)}</th>`).join("")}</tr><tr>${AGING_BUCKETS.map((b) => `<td>${m(aging?.[b] ?? 0, currency)}</td>`).join("")}</tr></table>`,
			agingChart(aging ? AGING_BUCKETS.map((b) => [bucketLabel(b), aging[b]] as const) : [], currency),
			`<p>Days sales outstanding: <strong>${dso === null || dso === undefined ? "n/a (nothing invoiced)" : `${dso} days`}</strong></p>`,
			"</section>",
		);
	}
	const top = r.topOverdueAccounts
		.map(
			(a) =>
				`<tr><td>${escapeHtml(a.accountId)}</td><td>${m(a.overdue, a.currency)}</td><td>${a.maxDaysOverdue}</td>${AGING_BUCKETS.map((b) => `<td>${m(a.aging[b], a.currency)}</td>`).join("")}</tr>`,
		)
		.join("\n");
	return [
		"<!DOCTYPE html>",
		'<html lang="en"><head><meta charset="utf-8">',
		`<title>${escapeHtml(title)}</title>`,
		"<style>body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:24px}table{border-collapse:collapse;margin:8px 0 16px}th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}th:first-child{text-align:left}svg{display:block;margin:8px 0 16px}</style>",
		"</head><body>",
		`<h1>${escapeHtml(title)}</h1>`,
		`<p>As of ${escapeHtml(r.asOf)}. Amounts per currency; nothing is converted.</p>`,
		...sections,
		...booksSection(r),
		"<h2>Top overdue accounts</h2>",
		top
			? `<table><tr><th>Account</th><th>Overdue</th><th>Days overdue</th>${AGING_BUCKETS.map((b) => `<th>${bucketLabel(b)}</th>`).join("")}</tr>\n${top}</table>`
			: "<p>No account is overdue.</p>",
		"</body></html>",
		"",
	].join("\n");
}

/** Links to the month's trial balance and journals, relative to the report's own place (reports/<period>/ beside books/<period>/). */
function booksSection(r: BillingReport): string[] {
	if (!r.books) return [];
	const links = Object.entries(r.books.files)
		.map(([name, key]) => `<li><a href="../../${escapeHtml(key)}">${escapeHtml(name)}</a></li>`)
		.join("");
	const verdict = r.books.ties
		? "The trial balance ties out: receivables less customer credit are the customers' balances."
		: "The trial balance does NOT tie out: see billing books trial-balance.";
	return ["<h2>Books of the month</h2>", `<p>${verdict}</p>`, `<ul>${links}</ul>`];
}

function bucketLabel(b: AgingBucket): string {
	return b === "current" ? "Current" : b === "over 90" ? "Over 90 days" : `${b} days`;
}

function agingChart(bars: readonly (readonly [string, number])[], currency: string): string {
	if (bars.length === 0) return "";
	const width = 520;
	const height = 180;
	const max = Math.max(1, ...bars.map(([, v]) => v));
	const slot = width / bars.length;
	const rects = bars
		.map(([label, v], i) => {
			const h = Math.round((v / max) * (height - 50));
			const x = Math.round(i * slot + 10);
			const y = height - 30 - h;
			return `<rect x="${x}" y="${y}" width="${Math.round(slot - 20)}" height="${h}" fill="${i === 0 ? "#4a8" : "#d64"}"><title>${escapeHtml(label)}: ${escapeHtml(formatMoney({ amount: v, currency }))}</title></rect><text x="${x}" y="${height - 12}" font-size="11">${escapeHtml(label)}</text><text x="${x}" y="${Math.max(12, y - 4)}" font-size="10">${escapeHtml(formatMoney({ amount: v, currency }))}</text>`;
		})
		.join("");
	return `<svg role="img" aria-label="Aging buckets, ${escapeHtml(currency)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rects}</svg>`;
}

function monthlyChart(r: BillingReport, currency: string): string {
	const width = 520;
	const height = 180;
	const series = r.months.map(
		(mo) => [mo.period, mo.byCurrency[currency]?.invoicedAmount ?? 0, mo.byCurrency[currency]?.paymentsReceived ?? 0] as const,
	);
	const max = Math.max(1, ...series.flatMap(([, a, b]) => [a, b]));
	const slot = width / Math.max(1, series.length);
	const bar = Math.max(8, Math.round(slot / 2 - 16));
	const parts = series
		.map(([period, invoiced, received], i) => {
			const x = Math.round(i * slot + 10);
			const h1 = Math.round((invoiced / max) * (height - 50));
			const h2 = Math.round((received / max) * (height - 50));
			return [
				`<rect x="${x}" y="${height - 30 - h1}" width="${bar}" height="${h1}" fill="#36c"><title>Invoiced ${escapeHtml(period)}: ${escapeHtml(formatMoney({ amount: invoiced, currency }))}</title></rect>`,
				`<rect x="${x + bar + 4}" y="${height - 30 - h2}" width="${bar}" height="${h2}" fill="#4a8"><title>Received ${escapeHtml(period)}: ${escapeHtml(formatMoney({ amount: received, currency }))}</title></rect>`,
				`<text x="${x}" y="${height - 12}" font-size="11">${escapeHtml(period)}</text>`,
			].join("");
		})
		.join("");
	return `<svg role="img" aria-label="Monthly totals, ${escapeHtml(currency)}: invoiced (blue) and received (green)" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts}</svg>`;
}

function escapeHtml(value: string): string {
	return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
