#!/usr/bin/env node
// `npm run arch`: checks the folders given (default: all of them) against the layout rules in
// .dependency-cruiser.cjs and prints the violations as `depcruise --config .dependency-cruiser.cjs` does.
// dependency-cruiser's own CLI refuses to start on Node 20 (its engines field asks for 22+), while its
// JavaScript API, which test/architecture.test.ts uses too, runs on it; so this calls the API.
import { fileURLToPath } from "node:url";
import { cruise } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const folders = args.length > 0 ? args : ["shared", "functions", "local", "infra", "bench"];
const options = await extractDepcruiseOptions("./.dependency-cruiser.cjs");
const result = await cruise(folders, { ...options, outputType: "err" }, {}, { tsConfig: extractTSConfig("tsconfig.json") });
process.stdout.write(String(result.output));
process.exitCode = result.exitCode;
