import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import pMap from "p-map";
import { ValidationError } from "../core/errors.js";
import type { Account } from "../core/model.js";
import { getPlan, getPlans, getSubscription, getSubscriptions } from "../store/catalog.js";
import { type ImportAudit, importedAccountChanged, importedAccountCreated, importRunPut } from "../store/imports.js";
import { keys } from "../store/keys.js";
import { getAccount, getAccounts, listInvoicedPeriods, type TableDeps } from "../store/records.js";
import { checkCharges, writeCharges } from "./charges.js";
import { type Decision, decideAccount, decidePlan, decideSubscription, type KindCounts, type StoredState } from "./plan.js";
import { Problems } from "./problems.js";
import { ImportFileError, type ImportFormat, readRows } from "./read.js";
import {
	type AccountRow,
	COLUMNS,
	columnsOf,
	emailWarning,
	type FieldError,
	IMPORT_KINDS,
	type ImportKind,
	type KindRow,
	type PlanRow,
	readRow,
	type SubscriptionRow,
} from "./rows.js";
import { ChargeSpill } from "./spill.js";
import { type RecordTarget, writeDecision } from "./write.js";
import { ImportWriting } from "./writing.js";

/**
 * One import of one or more files (DESIGN.md section 8), the same for `billing import`, an
 * object put under imports/ and the HTTP API: every file is read and checked whole against
 * the store first; one bad row and nothing is written. Then accounts, plans, subscriptions
 * and charges are written in that order, each created, changed (with its audit entry naming
 * the file) or left as it is, so the same files imported again change nothing, and an import
 * that stopped half-way (a crash) run again ends where one whole run would have. Charge files
 * are read once and never held whole: their checked rows are kept aside by account
 * (spill.ts) and checked against the store, then written, a partition of accounts at a time.
 * While an import writes, billing runs wait (writing.ts).
 */

export interface ImportSource {
	/** The file's name as people know it: in messages and audit entries. */
	readonly name: string;
	readonly kind: ImportKind;
	readonly format: ImportFormat;
	/** A fresh stream of the file's bytes, read once. */
	readonly open: () => Promise<Readable> | Readable;
	/** The file's size in bytes, where known: how many partitions its charges are kept aside in. */
	readonly size?: number;
}

export interface ImportDeps extends TableDeps {
	readonly actor: string;
	readonly now?: () => Date;
}

export interface ImportProgress {
	readonly phase: "checking" | "writing";
	readonly file: string;
	readonly rows: number;
	readonly done: boolean;
}

export type { KindCounts } from "./plan.js";

export interface ImportOptions {
	readonly dryRun?: boolean;
	readonly onProgress?: (p: ImportProgress) => void;
	/** Rows (of every file) one import may take, where it runs against a clock (a Lambda's 15 minutes). */
	readonly maxRows?: number;
}

export interface ImportResult {
	readonly importId: string;
	readonly dryRun: boolean;
	readonly files: { readonly name: string; readonly kind: ImportKind; readonly rows: number }[];
	readonly counts: Partial<Record<ImportKind, KindCounts>>;
	/** Rows imported with something to correct (an address delivery would refuse). */
	readonly warnings: string[];
}

const PROGRESS_EVERY = 10_000;
/** Warnings the import's record keeps (the result carries all of them). */
const MAX_WARNINGS_KEPT = 100;
const CONCURRENCY = 8;

export { ImportRefused } from "./problems.js";

/** `--kind`, else the file name's prefix (accounts-2026.csv is accounts). */
export function importKindOf(fileName: string, explicit?: string): ImportKind {
	const kind = explicit ?? IMPORT_KINDS.find((k) => (fileName.split(/[\\/]/).at(-1) ?? "").toLowerCase().startsWith(k));
	if (kind === undefined || !IMPORT_KINDS.includes(kind as ImportKind)) {
		throw new ValidationError(
			explicit === undefined
				? `${fileName}: cannot tell what it holds from its name; start the name with ${IMPORT_KINDS.join(", ")} or give --kind`
				: `--kind must be one of ${IMPORT_KINDS.join(", ")}`,
		);
	}
	return kind as ImportKind;
}

/** A file's rows, each read and checked on its own (pass 1); its bad rows go to `problems`. Answers the rows read. */
export async function* rowsOf(
	source: ImportSource,
	problems: Problems,
	phase: ImportProgress["phase"],
	onProgress?: (p: ImportProgress) => void,
): AsyncGenerator<KindRow, number> {
	let rows = 0;
	try {
		for await (const raw of readRows(await source.open(), source.format, columnsOf(source.kind), COLUMNS[source.kind].required)) {
			rows++;
			if (rows % PROGRESS_EVERY === 0) onProgress?.({ phase, file: source.name, rows, done: false });
			const read = readRow(source.kind, raw);
			if ("errors" in read) for (const e of read.errors) problems.add(source.name, e);
			else yield read;
		}
	} catch (err) {
		if (!(err instanceof ImportFileError)) throw err;
		problems.add(source.name, err);
	}
	onProgress?.({ phase, file: source.name, rows, done: true });
	return rows;
}

export async function importFiles(deps: ImportDeps, sources: readonly ImportSource[], options: ImportOptions = {}): Promise<ImportResult> {
	const chargeFiles = sources.filter((s) => s.kind === "charges");
	const knownSize = chargeFiles.every((s) => s.size !== undefined);
	const spill = new ChargeSpill(knownSize ? chargeFiles.reduce((n, s) => n + (s.size ?? 0), 0) : undefined);
	try {
		return await importSpilling(deps, sources, spill, options);
	} finally {
		spill.close();
	}
}

async function importSpilling(
	deps: ImportDeps,
	sources: readonly ImportSource[],
	spill: ChargeSpill,
	options: ImportOptions,
): Promise<ImportResult> {
	const ordered = [...sources].sort((a, b) => IMPORT_KINDS.indexOf(a.kind) - IMPORT_KINDS.indexOf(b.kind));
	const problems = new Problems(sources.length > 1);
	const warnings: string[] = [];
	const files: ImportResult["files"] = [];
	const accounts = new Map<string, AccountRow & { file: string }>();
	const plans = new Map<string, PlanRow & { file: string }>();
	const subscriptions = new Map<string, SubscriptionRow & { file: string }>();
	const chargeAccounts = new Set<string>();
	const firstLines = new Map<string, number>();
	const once = (file: string, kind: string, id: string, line: number, field: string): boolean => {
		const key = `${kind}#${id}`;
		const first = firstLines.get(key);
		if (first === undefined) {
			firstLines.set(key, line);
			return true;
		}
		problems.add(file, { line, field, reason: `${id} appears twice (also on line ${first})` });
		return false;
	};

	let rowsRead = 0;
	// Pass 1: every row read and checked on its own; ids must be unique within the import.
	// Charges are kept aside by account (a charge id twice for one account is found there).
	for (const source of ordered) {
		const file = source.name;
		const rows = rowsOf(source, problems, "checking", options.onProgress);
		let next = await rows.next();
		for (; !next.done; next = await rows.next()) {
			if (options.maxRows !== undefined && ++rowsRead > options.maxRows) {
				throw new ValidationError(
					`${file}: more than ${options.maxRows.toLocaleString("en-US")} rows, more than one import here finishes within its time; nothing written. Split the file, or import it with billing import (any size)`,
				);
			}
			const read = next.value;
			if (read.kind === "accounts") {
				const row = read.row;
				if (once(file, "account", row.accountId, row.line, "account_id")) accounts.set(row.accountId, { ...row, file });
				const warning = emailWarning(row);
				if (warning) warnings.push(`${sources.length > 1 ? `${file}: ` : ""}line ${warning.line}: email: ${warning.reason}`);
			} else if (read.kind === "plans") {
				if (once(file, "plan", read.row.planCode, read.row.line, "plan_code")) plans.set(read.row.planCode, { ...read.row, file });
			} else if (read.kind === "subscriptions") {
				const row = read.row;
				if (once(file, "subscription", row.subscriptionId, row.line, "subscription_id"))
					subscriptions.set(row.subscriptionId, { ...row, file });
			} else {
				const spilling = spill.add({ ...read.row, file });
				if (spilling) await spilling;
				chargeAccounts.add(read.row.accountId);
			}
		}
		files.push({ name: file, kind: source.kind, rows: next.value });
	}

	// What is stored under every id the files name, read once; the charges a partition at a time.
	const state = await readStoredState(deps, accounts, plans, subscriptions, chargeAccounts);
	const createdAt = (deps.now?.() ?? new Date()).toISOString();
	const currencyOfAccount = (id: string) => accounts.get(id)?.currency ?? state.accounts.get(id)?.currency;
	const currencyOfPlan = (code: string) => plans.get(code)?.currency ?? state.plans.get(code)?.currency;

	const accountDecisions = decideAll(accounts, problems, (row) => decideAccount(row, state, createdAt));
	const planDecisions = decideAll(plans, problems, (row) => decidePlan(row, state));
	const subscriptionDecisions = decideAll(subscriptions, problems, (row) =>
		decideSubscription(row, state, currencyOfAccount, currencyOfPlan),
	);
	await checkCharges(deps, spill, state, currencyOfAccount, problems);
	problems.refuseIfAny();

	const importId = randomUUID();
	const at = new Date().toISOString();
	const audit = (file: string): ImportAudit => ({ actor: deps.actor, at, reason: `import ${file}` });
	const again = async <K extends keyof StoredState, V>(kind: K, id: string, read: Promise<V | undefined>): Promise<StoredState> => {
		const stored = await read;
		return { ...state, [kind]: new Map(stored === undefined ? [] : [[id, stored]]) };
	};
	const write = async <R extends { file: string }, T extends Record<string, unknown>>(
		decided: readonly { row: R; decision: Decision<T> }[],
		target: (row: R) => RecordTarget<T>,
	): Promise<Decision<T>[]> =>
		options.dryRun
			? decided.map((d) => d.decision)
			: pMap(decided, ({ row, decision }) => writeDecision(deps, decision, target(row), audit(row.file)), { concurrency: CONCURRENCY });
	const writing = options.dryRun
		? undefined
		: await ImportWriting.start(deps, { importId, actor: deps.actor, files: files.map((f) => f.name) });
	try {
		const done = {
			accounts: await write(accountDecisions, (row) => {
				// The account as last read: a change is written on it, and its event carries it changed.
				let stored = state.accounts.get(row.accountId);
				return {
					key: keys.account(row.accountId),
					subject: { subject: "account", subjectId: row.accountId },
					created: (account: Account, audited) => importedAccountCreated(deps.tableName, account, audited),
					changed: (change, audited) => {
						if (!stored) throw new Error(`account ${row.accountId} changed without being read`);
						return importedAccountChanged(deps.tableName, stored, change, audited);
					},
					decideAgain: async () => {
						stored = await getAccount(deps, row.accountId);
						return decideAccount(row, await again("accounts", row.accountId, Promise.resolve(stored)), createdAt);
					},
				};
			}),
			plans: await write(planDecisions, (row) => ({
				key: keys.plan(row.planCode),
				listing: keys.planListing(row.planCode),
				subject: { subject: "plan", subjectId: row.planCode },
				decideAgain: async () => decidePlan(row, await again("plans", row.planCode, getPlan(deps, row.planCode))),
			})),
			subscriptions: await write(subscriptionDecisions, (row) => ({
				key: keys.subscription(row.subscriptionId),
				listing: keys.subscriptionListing(row.accountId, row.subscriptionId),
				subject: { subject: "subscription", subjectId: row.subscriptionId },
				decideAgain: async () =>
					decideSubscription(
						row,
						await again("subscriptions", row.subscriptionId, getSubscription(deps, row.subscriptionId)),
						currencyOfAccount,
						currencyOfPlan,
					),
			})),
		};
		const counts: ImportResult["counts"] = {};
		for (const kind of ["accounts", "plans", "subscriptions"] as const)
			if (files.some((f) => f.kind === kind)) counts[kind] = count(done[kind]);
		const chargeFileNames = files.filter((f) => f.kind === "charges").map((f) => f.name);
		if (chargeFileNames.length > 0) {
			counts.charges = await writeCharges(deps, spill, state, currencyOfAccount, {
				importId,
				dryRun: options.dryRun ?? false,
				audit,
				onProgress: (rows, done) => options.onProgress?.({ phase: "writing", file: chargeFileNames.join(", "), rows, done }),
			});
		}
		const result: ImportResult = { importId, dryRun: options.dryRun ?? false, files, counts, warnings };
		if (!options.dryRun)
			await importRunPut(deps, { importId, actor: deps.actor, at, files, counts, warnings: warnings.slice(0, MAX_WARNINGS_KEPT) });
		return result;
	} finally {
		await writing?.end();
	}
}

function decideAll<R extends { line: number; file: string }, T>(
	rows: ReadonlyMap<string, R>,
	problems: Problems,
	decide: (row: R) => Decision<T> | FieldError,
): { row: R; decision: Decision<T> }[] {
	const decided: { row: R; decision: Decision<T> }[] = [];
	for (const row of rows.values()) {
		const decision = decide(row);
		if ("reason" in decision) problems.add(row.file, decision);
		else decided.push({ row, decision });
	}
	return decided;
}

function count(decisions: readonly Decision<unknown>[]): KindCounts {
	const counts: KindCounts = { created: 0, updated: 0, unchanged: 0 };
	for (const d of decisions) counts[d.action === "create" ? "created" : d.action === "update" ? "updated" : "unchanged"]++;
	return counts;
}

/** What is stored under every id an import names (charges excepted: charges.ts reads them a partition at a time). */
export async function readStoredState(
	deps: TableDeps,
	accounts: ReadonlyMap<string, AccountRow>,
	plans: ReadonlyMap<string, PlanRow>,
	subscriptions: ReadonlyMap<string, SubscriptionRow>,
	chargeAccounts: ReadonlySet<string>,
): Promise<StoredState> {
	const accountIds = new Set([...accounts.keys(), ...[...subscriptions.values()].map((s) => s.accountId), ...chargeAccounts]);
	const [storedAccounts, storedPlans, storedSubscriptions] = await Promise.all([
		getAccounts(deps, accountIds),
		getPlans(deps, [...plans.keys(), ...[...subscriptions.values()].map((s) => s.planCode)]),
		getSubscriptions(deps, subscriptions.keys()),
	]);
	const existing = [...new Set([...accounts.keys(), ...chargeAccounts])].filter((id) => storedAccounts.has(id));
	const invoicedPeriods = new Map<string, ReadonlySet<string>>();
	await pMap(existing, async (accountId) => invoicedPeriods.set(accountId, await listInvoicedPeriods(deps, accountId)), {
		concurrency: CONCURRENCY,
	});
	// The charges stored are read a partition of accounts at a time (charges.ts), not here.
	return {
		accounts: storedAccounts,
		plans: storedPlans,
		subscriptions: storedSubscriptions,
		invoicedPeriods,
		charges: new Map(),
		chargeBooks: new Map(),
	};
}
