import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { type ServerEndpoints, startLocalServers } from "../local/emulator/servers.js";

declare module "vitest" {
	export interface ProvidedContext {
		servers: ServerEndpoints;
	}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	// The CLI's bundle, rebuilt now if a source changed since, so the first test that spawns `billing` does not pay for it
	// (bin/billing.mjs would rebuild it anyway: it never runs a stale one).
	execFileSync(process.execPath, [fileURLToPath(new URL("../bin/cli-build.mjs", import.meta.url))], {
		stdio: ["ignore", "ignore", "inherit"],
	});
	const servers = await startLocalServers();
	project.provide("servers", servers.endpoints);
	return () => servers.stop();
}
