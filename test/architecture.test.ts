import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The layout's import rules (DESIGN.md section 2), as written in .dependency-cruiser.cjs:
 * no import cycle anywhere, and in shared/ imports only point down its layers
 * (core < platform < store < documents < contexts); shared/ imports nothing around it,
 * functions/ no local/ or infra/, and so on. `npm run arch` prints the same list.
 */
const FOLDERS = ["shared", "functions", "local", "infra", "bench"];

/** One line per violation: the import (from → to), the rule, and for a cycle the whole cycle. */
function describeViolation(v: IViolation): string {
	const cycle = v.cycle?.length ? ` [cycle: ${[v.from, ...v.cycle.map((step) => step.name)].join(" → ")}]` : "";
	const typeOnly = v.dependencyTypes?.includes("type-only") ? " (type-only import)" : "";
	return `${v.from} → ${v.to}${typeOnly}: ${v.rule.name}${cycle}`;
}

describe("architecture", () => {
	let result: ICruiseResult;

	beforeAll(async () => {
		const options = await extractDepcruiseOptions("./.dependency-cruiser.cjs");
		const cruised = await cruise(FOLDERS, options, {}, { tsConfig: extractTSConfig("tsconfig.json") });
		if (typeof cruised.output === "string") throw new Error("dependency-cruiser returned text, expected its result object");
		result = cruised.output;
	});

	it("reads every folder and resolves its imports, type-only ones included", () => {
		const sources = result.modules.map((m) => m.source);
		for (const folder of FOLDERS)
			expect(
				sources.some((s) => s.startsWith(`${folder}/`)),
				`no module cruised in ${folder}/`,
			).toBe(true);
		expect(result.summary.ruleSetUsed?.forbidden?.map((r) => r.name)).toContain("no-circular");
		// A relative import resolved to its .ts file (imports are written with .js), and type-only imports are seen.
		const local = result.modules.flatMap((m) => m.dependencies.filter((d) => d.dependencyTypes.includes("local")));
		expect(local.length).toBeGreaterThan(100);
		expect(local.every((d) => d.resolved.endsWith(".ts") && !d.couldNotResolve)).toBe(true);
		expect(local.some((d) => d.dependencyTypes.includes("type-only"))).toBe(true);
	});

	it("has no import cycle and no import pointing up the layers", () => {
		const violations = result.summary.violations.map(describeViolation).sort();
		expect(
			violations,
			`${violations.length} import(s) break the layout rules (.dependency-cruiser.cjs):\n${violations.join("\n")}\n`,
		).toEqual([]);
	});
});
