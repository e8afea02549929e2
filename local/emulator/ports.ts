import { createServer } from "node:net";

/** Where `billing serve` listens unless told otherwise: the webhook front, the console and the desk. */
export const DEFAULT_HTTP_PORT = 4600;

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
		});
	});
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (await probe().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}
