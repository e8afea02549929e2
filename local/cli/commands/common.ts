import { userInfo } from "node:os";
import { InvalidArgumentError, Option } from "commander";
import type { z } from "zod";
import type { Invoice } from "../../../shared/core/model.js";
import { parseIsoDate, parsePeriod, type Rebooked, rebookedNote } from "../../../shared/core/period.js";
import type { DeskOperation } from "../../../shared/desk/operation.js";
import type { TableDeps } from "../../../shared/store/records.js";
import { progress } from "../progress.js";
import type { Session } from "../session.js";

export function positiveInt(value: string): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
	return n;
}

export function periodOption(value: string): string {
	try {
		return parsePeriod(value);
	} catch (err) {
		throw new InvalidArgumentError((err as Error).message);
	}
}

export function dateOption(value: string): string {
	try {
		return parseIsoDate(value, "date");
	} catch (err) {
		throw new InvalidArgumentError((err as Error).message);
	}
}

export const dataDirOption = () => new Option("--data-dir <dir>", "where the embedded stack keeps its data").default(".billing");
export const jsonOption = () => new Option("--json", "print JSON only");
export const actorOption = () =>
	new Option("--actor <name>", "who the audit trail names for this change").default(`cli:${userInfo().username}`);

export function printJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: readonly Record<string, string | number>[], columns: readonly string[]): string {
	const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
	const line = (cells: readonly string[]) =>
		cells
			.map((cell, i) => cell.padEnd(widths[i] ?? 0))
			.join("  ")
			.trimEnd();
	return [line(columns), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ""))))].join("\n");
}

/** Invoices in JSON carry integer minor units with their currency. */
export function invoiceJson(invoice: Invoice, withLines: boolean) {
	const { lines, ...rest } = invoice;
	return withLines ? { ...rest, lines } : rest;
}

/*
 * What a command runs is imported when it runs (`await import`), not with the command's
 * definition: `billing --help` and every start then load commander and the definitions only,
 * and a command loads the SDK clients, the embedded stack and the domain it uses (bin/cli-build.mjs
 * bundles each such import as a chunk of its own).
 */

export async function withSession<T>(dataDir: string, work: (s: Session) => Promise<T>): Promise<T> {
	const { openSession } = await import("../session.js");
	const session = await openSession(dataDir);
	try {
		return await work(session);
	} finally {
		await session.close();
	}
}

/** What `--amount` says, for its help: major units in the currency of what it is about. */
export const AMOUNT_HELP = "in its currency's major units: 12.50 for USD 12.50, 3300 for JPY 3300, 9.125 for KWD 9.125";

/**
 * An amount a person typed, in major units of `currency` (what they read on every document),
 * into the minor units the operations take; more decimals than the currency has is refused.
 */
export async function typedAmount(text: string, currency: string): Promise<number> {
	const { parseMajorUnits } = await import("../../../shared/core/money.js");
	return parseMajorUnits(text, currency);
}

type InputReadFrom<Schema extends z.ZodType> = (table: TableDeps) => Promise<z.input<Schema>>;

/**
 * The CLI's adapter over the desk's operations (shared/desk/catalog.ts): performs one in a
 * session as the CLI's caller, says on stderr where a closed period moved a back-dated
 * change, and answers the operation's result for the command to print. An input that needs
 * a record read first (an amount typed in the currency of the invoice it credits) is given
 * as a function of the table.
 */
export async function performOperation<Schema extends z.ZodType, Result>(
	dataDir: string,
	operation: DeskOperation<Schema, Result>,
	input: z.input<Schema> | InputReadFrom<Schema>,
	actor: string,
): Promise<Result> {
	const [{ perform }, { deskServices }, { cliCaller }] = await Promise.all([
		import("../../../shared/desk/operation.js"),
		import("../../../shared/desk/services.js"),
		import("../session.js"),
	]);
	return withSession(dataDir, async (s) => {
		const table = { ddb: s.clients.ddb, tableName: s.tableName };
		const resolved = typeof input === "function" ? await (input as InputReadFrom<Schema>)(table) : (input as z.input<Schema>);
		const { result, notes } = await perform(operation, deskServices(s.clients, s), await cliCaller(s, actor), resolved);
		for (const note of notes) progress(note);
		return result;
	});
}

/**
 * A change a person may date back (a write-off, a payment, an invoice): run with
 * `onRebooked` for its deps, and when a closed period moved it to the first open day,
 * say where it went on stderr, e.g. "INV-1 written off on 2026-12-01 (asked for
 * 2026-11-20; November 2026 is closed)". `done` names what happened, from the result.
 */
export async function sayingWhereBooked<T>(
	change: (onRebooked: (rebooked: Rebooked) => void) => Promise<T>,
	done: (result: T) => string,
): Promise<T> {
	const rebooked: Rebooked[] = [];
	const result = await change((r) => rebooked.push(r));
	for (const note of new Set(rebooked.map((r) => rebookedNote(done(result), r)))) progress(note);
	return result;
}

export async function allInvoices(s: Session): Promise<Invoice[]> {
	const { listAccounts, listInvoicesOfAccount } = await import("../../../shared/store/records.js");
	const accounts = await listAccounts({ ddb: s.clients.ddb, tableName: s.tableName });
	const invoices = (
		await Promise.all(accounts.map((a) => listInvoicesOfAccount({ ddb: s.clients.ddb, tableName: s.tableName }, a.accountId)))
	).flat();
	return invoices.sort((a, b) => a.number.localeCompare(b.number));
}
