#!/usr/bin/env node
// The CLI is TypeScript, run from its esbuild bundle (bin/cli-build.mjs): built at install, and
// rebuilt here before it runs when any file it was built from has changed, so it never runs stale.
import { cliBuildToRun } from "./cli-build.mjs";

// The project pins SDK versions that run on Node 20; the SDK's upgrade notice is noise on stderr here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const cli = await cliBuildToRun(() => process.stderr.write("billing: building the CLI from its sources (dist/cli)...\n")).catch((err) => {
	// esbuild's message names the file and line that does not compile.
	process.stderr.write(`billing: the CLI does not build: ${err.message}\n`);
	process.exit(1);
});
if (cli) await import(cli.entryUrl);
else {
	// A checkout this user cannot write to: the sources, compiled as they load (slower, as current).
	const { register } = await import("tsx/esm/api");
	register();
	await import("../local/cli/cli.ts");
}
