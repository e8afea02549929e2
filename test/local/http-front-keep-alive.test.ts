import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpFront, startHttpFront } from "../../local/emulator/http-front.js";

let front: HttpFront;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
	front = await startHttpFront({ port: 0 });
});

afterAll(async () => {
	agent.destroy();
	await front?.close();
});

function get(path: string): Promise<{ status: number; socket: Socket; reused: boolean }> {
	return new Promise((resolve, reject) => {
		const req = request(`${front.url}${path}`, { agent }, (res) => {
			res.resume();
			res.on("end", () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket, reused: req.reusedSocket }));
		});
		req.on("error", reject);
		req.end();
	});
}

describe("the embedded HTTP front's connections", () => {
	it("answers on a kept-alive connection reused after an idle pause past Node's default 5 s timeout (and its 1 s grace)", async () => {
		const first = await get("/nowhere");
		expect(first).toMatchObject({ status: 404, reused: false });
		await sleep(6_500);
		const second = await get("/nowhere");
		expect(second).toMatchObject({ status: 404, reused: true });
		expect(second.socket).toBe(first.socket);
	}, 15_000);
});
