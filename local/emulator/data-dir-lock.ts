import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BillingError } from "../../shared/core/errors.js";
import { isDynamoDbLocal, isRunning, processStartTime, stopProcess } from "./processes.js";

/**
 * One embedded stack per data dir: the process that starts the servers on a data dir holds
 * DATA_DIR/servers.lock, naming itself and its DynamoDB Local. A second start while that
 * process lives is refused (two DynamoDB Locals on the same files corrupt them); a lock left by
 * a process that died is cleared, and its DynamoDB Local stopped if it is somehow still there
 * (its watchdog, which normally ends it, killed too).
 */
const LOCK_FILE = "servers.lock";

export interface DataDirHolder {
	readonly pid: number;
	/** The holder's start time (Linux), so a pid reused by another process is not taken for it. */
	readonly startTime?: string;
	readonly command: string;
	readonly startedAt: string;
	readonly dynamoDbLocal?: { readonly pid: number; readonly dbPath: string };
}

export interface DataDirLock {
	/** Names the DynamoDB Local this stack runs, so the next start can stop it if this process dies and it does not. */
	recordDynamoDbLocal(pid: number, dbPath: string): void;
	release(): void;
}

function readRaw(path: string): string | undefined {
	try {
		return readFileSync(path, "utf8");
	} catch {
		return undefined;
	}
}

function parse(raw: string | undefined): DataDirHolder | undefined {
	try {
		const held = JSON.parse(raw ?? "") as DataDirHolder;
		return Number.isInteger(held.pid) ? held : undefined;
	} catch {
		return undefined;
	}
}

/** The process holding the data dir, as its lock names it (alive or not). */
export function dataDirHolder(dataDir: string): DataDirHolder | undefined {
	return parse(readRaw(join(dataDir, LOCK_FILE)));
}

/**
 * Writes the record whole or not at all: through a temporary file, then link (fails if the
 * lock exists: an atomic test-and-create) or rename (replaces it).
 */
function writeRecord(path: string, record: DataDirHolder, exclusive: boolean): boolean {
	const tmp = `${path}.${process.pid}.tmp`;
	writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
	try {
		if (!exclusive) renameSync(tmp, path);
		else linkSync(tmp, path);
		return true;
	} catch (err) {
		if (exclusive && (err as NodeJS.ErrnoException).code === "EEXIST") return false;
		throw err;
	} finally {
		rmSync(tmp, { force: true });
	}
}

function thisCommand(): string {
	const script = basename(process.argv[1] ?? "node").replace(/\.[mc]?[jt]s$/, "");
	return [script, ...process.argv.slice(2)].join(" ").slice(0, 200);
}

function refusal(dataDir: string, held: DataDirHolder): BillingError {
	return new BillingError(
		`${dataDir} is in use: pid ${held.pid} (${held.command}, since ${held.startedAt}) runs DynamoDB Local on its files, and a second stack on the same files would corrupt them. Stop that process first (Ctrl-C in its terminal, or kill ${held.pid}), or use another --data-dir.`,
		409,
	);
}

/** A lock left by a process that died: stop its DynamoDB Local if that is still running on the files. */
async function clearLeftovers(dataDir: string, held: DataDirHolder): Promise<void> {
	const java = held.dynamoDbLocal;
	if (!java || !isDynamoDbLocal(java.pid, java.dbPath)) return;
	process.stderr.write(`stopping DynamoDB Local (pid ${java.pid}) left running on ${dataDir} by pid ${held.pid}, which has ended\n`);
	if (!(await stopProcess(java.pid, () => isDynamoDbLocal(java.pid, java.dbPath)))) {
		throw new BillingError(
			`DynamoDB Local (pid ${java.pid}) left running on ${dataDir} does not stop; end it with kill -9 ${java.pid}`,
			409,
		);
	}
}

/** Takes the data dir for this process's servers, or refuses if a live process holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
	mkdirSync(dataDir, { recursive: true });
	const path = join(dataDir, LOCK_FILE);
	let record: DataDirHolder = {
		pid: process.pid,
		startTime: processStartTime(process.pid),
		command: thisCommand(),
		startedAt: new Date().toISOString(),
	};
	for (let attempt = 1; !writeRecord(path, record, true); attempt++) {
		const raw = readRaw(path);
		const held = parse(raw);
		if (held && isRunning(held.pid, held.startTime)) throw refusal(dataDir, held);
		if (attempt > 3) throw new BillingError(`could not lock ${dataDir}: ${path} keeps changing; is another stack starting on it?`, 409);
		if (held) await clearLeftovers(dataDir, held);
		// Only the stale lock read above goes: another start may have cleared it and taken the dir meanwhile.
		if (raw !== undefined && readRaw(path) === raw) rmSync(path, { force: true });
	}
	const ours = (held: DataDirHolder | undefined) => held?.pid === record.pid && held.startedAt === record.startedAt;
	return {
		recordDynamoDbLocal(pid, dbPath) {
			record = { ...record, dynamoDbLocal: { pid, dbPath } };
			if (ours(dataDirHolder(dataDir))) writeRecord(path, record, false);
		},
		release() {
			if (ours(dataDirHolder(dataDir))) rmSync(path, { force: true });
		},
	};
}
