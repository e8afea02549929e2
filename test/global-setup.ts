import type { TestProject } from "vitest/node";
import { type ServerEndpoints, startLocalServers } from "../local/emulator/servers.js";

declare module "vitest" {
	export interface ProvidedContext {
		servers: ServerEndpoints;
	}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const servers = await startLocalServers();
	project.provide("servers", servers.endpoints);
	return () => servers.stop();
}
