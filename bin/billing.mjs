#!/usr/bin/env node
// The CLI is TypeScript, run from its esbuild bundle (bin/cli-build.mjs): built at install, and
// rebuilt here before it runs when any file it was built from has changed, so it never runs stale.
import { buildCli, claimCliBuild, currentCliBuild } from "./cli-build.mjs";

// The project pins SDK versions that run on Node 20; the SDK's upgrade notice is noise on stderr here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

let cli = currentCliBuild();
if (!cli) {
	process.stderr.write("billing: building the CLI from its sources (dist/cli)...\n");
	try {
		cli = await buildCli();
	} catch (err) {
		// A checkout this user cannot write to: run from the sources, compiled on the fly (slower, never stale).
		if (!["EACCES", "EPERM", "EROFS"].includes(err.code)) throw err;
	}
}
if (cli) {
	claimCliBuild(cli.build);
	await import(cli.entryUrl);
} else {
	const { register } = await import("tsx/esm/api");
	register();
	await import("../local/cli/cli.ts");
}
