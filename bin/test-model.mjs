#!/usr/bin/env node
// `npm run test:model -- --runs 5000 [--seed N [--path P]] [--size small|medium|large] [--shrink]`: the model-based test of the money core
// (test/model) with more sequences than `npm test` runs; the seed and path fast-check prints replay a failure exactly.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
	options: {
		runs: { type: "string", default: "5000" },
		seed: { type: "string" },
		path: { type: "string" },
		size: { type: "string", default: "small" },
		shrink: { type: "boolean", default: false },
	},
});
for (const [name, value] of [
	["runs", values.runs],
	["seed", values.seed],
]) {
	if (value !== undefined && !/^\d+$/.test(value)) {
		process.stderr.write(`--${name} must be a whole number, got ${JSON.stringify(value)}\n`);
		process.exit(2);
	}
}
if (!["xsmall", "small", "medium", "large", "xlarge"].includes(values.size)) {
	process.stderr.write(`--size must be xsmall, small, medium, large or xlarge, got ${JSON.stringify(values.size)}\n`);
	process.exit(2);
}
const env = {
	...process.env,
	MODEL_RUNS: values.runs,
	MODEL_SIZE: values.size,
	...(values.seed ? { MODEL_SEED: values.seed } : {}),
	...(values.path ? { MODEL_PATH: values.path } : {}),
	...(values.shrink ? { MODEL_SHRINK: "1" } : {}),
};
const root = fileURLToPath(new URL("..", import.meta.url));
const result = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "test/model"], { cwd: root, env, stdio: "inherit" });
process.exitCode = result.status ?? 1;
