import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const TESTS = readdirSync("test", { recursive: true, encoding: "utf8" })
	.filter((file) => file.endsWith(".test.ts"))
	.map((file) => `test/${file}`);

/**
 * What a file does that would leak into the next file of a worker that shares its modules:
 * stubbing an SDK client or a module, or changing the environment a module reads at import.
 */
const PATCHES_GLOBALS =
	/mockClient\(|vi\.mock\(|vi\.stub(Env|Global)\(|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|Object\.assign\(process\.env|delete process\.env/;

/**
 * Files that patch globals keep a fresh module graph each. The rest share one per worker,
 * which spares each the 1–2 s of loading the SDK, CDK and domain modules again: about a third
 * of the suite's time when every file was isolated. Stacks started one after another in a
 * worker each get their own configuration (shared/platform/per-stack.ts).
 */
const ISOLATED = TESTS.filter((file) => PATCHES_GLOBALS.test(readFileSync(file, "utf8")));

export default defineConfig({
	test: {
		// DynamoDB Local, the S3 server and the SES server start once per test run (both projects share them).
		globalSetup: ["test/global-setup.ts"],
		testTimeout: 60_000,
		// Most of a test's time is waiting on the local servers, so two files at once pay off even
		// on 2 cores (Vitest's default there is one worker: the suite ran file after file).
		maxWorkers: 2,
		hookTimeout: 120_000,
		allowOnly: false,
		env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
		projects: [
			{ extends: true, test: { name: "isolated", include: ISOLATED } },
			{ extends: true, test: { name: "shared", include: TESTS.filter((file) => !ISOLATED.includes(file)), isolate: false } },
		],
	},
});
