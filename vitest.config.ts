import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: ["test/**/*.test.ts"],
		// DynamoDB Local, the S3 server and the SES server start once per test run.
		globalSetup: ["test/global-setup.ts"],
		testTimeout: 60_000,
		// Most of a test's time is waiting on the local servers, so two files at once pay off even
		// on 2 cores (Vitest's default there is one worker: the suite ran file after file).
		maxWorkers: 2,
		hookTimeout: 120_000,
		allowOnly: false,
		env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
	},
});
