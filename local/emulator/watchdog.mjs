// Runs a command (DynamoDB Local's java, cognito-local) as this process's only child and ends it
// when the process that started this one dies, however it dies: `node watchdog.mjs COMMAND [ARGS...]`
// with stdin a pipe from that parent. The child's pid is the first line on stdout.
//
// Why stdin: the kernel closes the parent's end of the pipe whenever the parent ends (exit,
// crash, SIGKILL, the OOM killer, a closed terminal), so end-of-file here is a certain and
// immediate sign of its death, with no polling and no pid that could be reused. java never
// reads its stdin, so it cannot watch it itself; prctl(PR_SET_PDEATHSIG) (`setpriv
// --pdeathsig`) would, but it is Linux-only and fires when the spawning thread ends, not the
// process. Plain JavaScript, so it starts in a few tens of milliseconds without a compiler.
import { spawn } from "node:child_process";
import { constants } from "node:os";

const [command, ...args] = process.argv.slice(2);
if (!command) {
	process.stderr.write("usage: node watchdog.mjs COMMAND [ARGS...]\n");
	process.exit(2);
}

const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
let stopping = false;

/** SIGTERM lets DynamoDB Local close its files; SIGKILL if it has not gone 5 s later. */
function stop() {
	if (stopping || child.exitCode !== null || child.signalCode !== null) return;
	stopping = true;
	child.kill("SIGTERM");
	setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
}

child.once("spawn", () => process.stdout.write(`${child.pid}\n`));
child.once("error", (err) => {
	process.stderr.write(`${err.message}\n`);
	// 127: the command could not be run (the shell's convention), which the parent reports as such.
	process.exit(127);
});
child.once("exit", (code, signal) => process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));

// The parent is gone (or asked for the end by closing the pipe).
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
// Asked to stop (the parent's stop(), Ctrl-C or a hang-up sent to the whole process group).
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, stop);
