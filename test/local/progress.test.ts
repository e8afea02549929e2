import { describe, expect, it } from "vitest";
import { formatCounts, progressLine } from "../../local/cli/progress.js";

/** The CLI's progress line (local/cli/progress.ts) with a fake stream and an injected clock. */

function fakeStream(isTTY: boolean, columns?: number) {
	const written: string[] = [];
	return { written, stream: { isTTY, ...(columns !== undefined ? { columns } : {}), write: (text: string) => written.push(text) } };
}

describe("formatCounts", () => {
	it("gives done of total with the percentage (rounded down), the rate per second and the failures", () => {
		expect(formatCounts({ label: "accounts invoiced", unit: "accounts", done: 1234, total: 10_000, failed: 3, seconds: 22 })).toBe(
			"accounts invoiced 1,234 of 10,000 (12%), 56 accounts/s, 3 failed",
		);
		expect(formatCounts({ label: "accounts invoiced", unit: "accounts", done: 9_999, total: 10_000, failed: 0, seconds: 100 })).toBe(
			"accounts invoiced 9,999 of 10,000 (99%), 100 accounts/s, 0 failed",
		);
	});

	it("keeps a decimal for a rate under 10, says 0 before any time has passed, and leaves out failures when not counted", () => {
		expect(formatCounts({ label: "rows", unit: "rows", done: 5, total: 20, seconds: 2 })).toBe("rows 5 of 20 (25%), 2.5 rows/s");
		expect(formatCounts({ label: "rows", unit: "rows", done: 0, total: 20, seconds: 0 })).toBe("rows 0 of 20 (0%), 0 rows/s");
		expect(formatCounts({ label: "rows", unit: "rows", done: 0, total: 0, seconds: 1 })).toBe("rows 0 of 0 (100%), 0 rows/s");
	});
});

describe("progressLine off a terminal", () => {
	it("prints at once on each step change, otherwise at most one line per interval, and the last state at the end", () => {
		let now = 0;
		const { written, stream } = fakeStream(false);
		const line = progressLine({ stream, now: () => now, intervalMs: 5_000 });
		line.update("Resolve Billing Period");
		now = 100;
		line.update("Invoice Accounts", "accounts invoiced 0 of 100");
		now = 1_000;
		line.update("Invoice Accounts", "accounts invoiced 10 of 100");
		now = 4_000;
		line.update("Invoice Accounts", "accounts invoiced 40 of 100");
		now = 5_100;
		line.update("Invoice Accounts", "accounts invoiced 51 of 100");
		now = 6_000;
		line.update("Invoice Accounts", "accounts invoiced 60 of 100");
		now = 6_100;
		line.update("Summarize Invoicing");
		now = 6_200;
		line.update("Summarize Invoicing");
		expect(written).toEqual([
			"Resolve Billing Period\n",
			"Invoice Accounts: accounts invoiced 0 of 100\n",
			"Invoice Accounts: accounts invoiced 51 of 100\n",
			"Summarize Invoicing\n",
		]);
		line.done("billing-2026-10 SUCCEEDED in 7 s");
		expect(written.at(-1)).toBe("billing-2026-10 SUCCEEDED in 7 s\n");
		line.update("after the end");
		line.done();
		expect(written).toHaveLength(5);
	});

	it("at the end prints the last update if it was held back, and nothing twice", () => {
		let now = 0;
		const { written, stream } = fakeStream(false);
		const line = progressLine({ stream, now: () => now });
		line.update("seeding", "10,000 rows");
		now = 1_000;
		line.update("seeding", "20,000 rows");
		line.done();
		expect(written).toEqual(["seeding: 10,000 rows\n", "seeding: 20,000 rows\n"]);

		const quiet = fakeStream(false);
		const shown = progressLine({ stream: quiet.stream, now: () => now });
		shown.update("seeding", "done");
		shown.done();
		expect(quiet.written).toEqual(["seeding: done\n"]);
	});
});

describe("progressLine on a terminal", () => {
	it("redraws one line in place, cut to the terminal's width, and ends it with a newline", () => {
		let now = 0;
		const { written, stream } = fakeStream(true, 40);
		const line = progressLine({ stream, now: () => now });
		line.update("Invoice Accounts", "accounts invoiced 1 of 100");
		now = 10;
		line.update("Invoice Accounts", "accounts invoiced 1 of 100");
		line.update("Invoice Accounts", "accounts invoiced 2 of 100");
		expect(written).toEqual(["\r\x1b[2KInvoice Accounts: accounts invoiced 1 …", "\r\x1b[2KInvoice Accounts: accounts invoiced 2 …"]);
		line.done("done in 1 s");
		expect(written.at(-1)).toBe("\r\x1b[2Kdone in 1 s\n");
		expect(written.join("").includes("\n")).toBe(true);
		expect(written.join("").split("\n")).toHaveLength(2);
	});
});
