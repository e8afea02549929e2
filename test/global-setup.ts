import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { type ServerEndpoints, startLocalServers } from "../local/emulator/servers.js";

declare module "vitest" {
	export interface ProvidedContext {
		servers: ServerEndpoints;
	}
}

/**
 * The suite's two projects (vitest.config.ts) each run this setup; they share one set of
 * servers, kept on globalThis because each project loads this module on its own, and the
 * last teardown stops them.
 */
const shared = globalThis as typeof globalThis & {
	billingTestServers?: { started: ReturnType<typeof startServers>; users: number };
};

async function startServers() {
	// The CLI's bundle, rebuilt now if a source changed since, so the first test that spawns `billing` does not pay for it
	// (bin/billing.mjs would rebuild it anyway: it never runs a stale one).
	execFileSync(process.execPath, [fileURLToPath(new URL("../bin/cli-build.mjs", import.meta.url))], {
		stdio: ["ignore", "ignore", "inherit"],
	});
	return startLocalServers();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	shared.billingTestServers ??= { started: startServers(), users: 0 };
	const run = shared.billingTestServers;
	run.users += 1;
	const servers = await run.started;
	project.provide("servers", servers.endpoints);
	return async () => {
		run.users -= 1;
		if (run.users > 0) return;
		shared.billingTestServers = undefined;
		await servers.stop();
	};
}
