import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pMap from "p-map";
import { startEmbeddedStack } from "./local/emulator/stack.js";
import { createClients } from "./shared/platform/clients.js";
import { addEndpoint } from "./shared/publishing/endpoints.js";
import { putAccount } from "./shared/store/accounts.js";
import { testAccount } from "./test/support/accounts.js";

let got = 0;
const server = createServer((req, res) => {
	got++;
	req.resume();
	req.on("end", () => res.writeHead(204).end());
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const stack = await startEmbeddedStack({ dataDir: mkdtempSync("/tmp/prof-"), httpPort: false });
const c = createClients();
const t = { ddb: c.ddb, tableName: stack.tableName };
await addEndpoint(t, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, events: ["*"] }, "x", new Date());
const N = Number(process.argv[2] ?? 500);
const t0 = performance.now();
await pMap(
	Array.from({ length: N }, (_, i) => i),
	(i) => putAccount(t, testAccount(`A${i}`, { createdAt: new Date().toISOString() })),
	{ concurrency: 8 },
);
const t1 = performance.now();
console.log(`wrote ${N} in ${((t1 - t0) / 1000).toFixed(1)}s`);
while (got < N) await new Promise((r) => setTimeout(r, 50));
console.log(`received all ${((performance.now() - t0) / 1000).toFixed(1)}s after start`);
await stack.stop();
server.close();
