import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** What this machine says about a process by pid: enough to tell a live one from a pid reused by another. */

/** The command line of a live process (arguments joined by spaces), or undefined when there is none. */
export function commandLine(pid: number): string | undefined {
	try {
		// A zombie's command line is empty: it is gone for every purpose here.
		return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim() || undefined;
	} catch {
		// No /proc (not Linux), or no such process.
	}
	try {
		return (
			execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined
		);
	} catch {
		return undefined;
	}
}

/** When the process started (clock ticks after boot, Linux); a pid reused later has another one. */
export function processStartTime(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// The fields after the command name (in parentheses, may hold spaces) start at field 3; starttime is field 22.
		return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
	} catch {
		return undefined;
	}
}

/** Whether the process that had this pid (and start time, when recorded) still runs. */
export function isRunning(pid: number, startTime?: string): boolean {
	try {
		process.kill(pid, 0);
	} catch (err) {
		// EPERM: it exists, under another user.
		if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
	}
	if (startTime === undefined) return true;
	const now = processStartTime(pid);
	return now === undefined || now === startTime;
}

/** Whether pid is java running DynamoDB Local (on dbPath's files, when given). */
export function isDynamoDbLocal(pid: number, dbPath?: string): boolean {
	const command = commandLine(pid);
	if (!command) return false;
	return (
		/(^|\/)java\s/.test(command) && command.includes("DynamoDBLocal.jar") && (dbPath === undefined || command.includes(`-dbPath ${dbPath}`))
	);
}

/** Ends a process that is not this one's child: SIGTERM, then SIGKILL; true once it is gone. */
export async function stopProcess(pid: number, stillThere: () => boolean, graceMs = 3_000): Promise<boolean> {
	for (const signal of ["SIGTERM", "SIGKILL"] as const) {
		if (!stillThere()) return true;
		try {
			process.kill(pid, signal);
		} catch {
			return !stillThere();
		}
		const deadline = Date.now() + graceMs;
		while (stillThere() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
	}
	return !stillThere();
}
