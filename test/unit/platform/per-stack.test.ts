import { afterEach, describe, expect, it, vi } from "vitest";
import { perStack } from "../../../shared/platform/per-stack.js";

afterEach(() => {
	vi.unstubAllEnvs();
});

describe("perStack", () => {
	it("reads a handler's configuration once per stack: again only when the environment names another table", () => {
		let reads = 0;
		const config = perStack(() => ({ read: ++reads, tableName: process.env.TABLE_NAME }));
		vi.stubEnv("TABLE_NAME", "billing-a");
		expect(config()).toEqual({ read: 1, tableName: "billing-a" });
		expect(config()).toEqual({ read: 1, tableName: "billing-a" });
		vi.stubEnv("TABLE_NAME", "billing-b");
		expect(config()).toEqual({ read: 2, tableName: "billing-b" });
		vi.stubEnv("TABLE_NAME", "billing-a");
		expect(config()).toEqual({ read: 3, tableName: "billing-a" });
		expect(reads).toBe(3);
	});
});
