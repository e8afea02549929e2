import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The vendored official rule sets (einvoice-rules/, README.md there names each source and
 * version) and where their compiled form lives. SaxonJS runs a stylesheet only as SEF, and
 * compiling one takes about 30 s, so `bin/compile-einvoice-rules.mjs` (npm's `prepare`)
 * compiles each set once into einvoice-rules/compiled/, named by a SHA-256 of everything
 * that went into it: a vendored file changed without a new compile is never run stale.
 */

export type RuleSetId = "cen-ubl" | "cen-cii" | "peppol-ubl" | "xrechnung-ubl";

export interface RuleSet {
	readonly title: string;
	/** xslt: shipped as XSLT; schematron: compiled by SchXslt first; xrechnung: KoSIT's Peppol merge, then SchXslt. */
	readonly build: "xslt" | "schematron" | "xrechnung";
	/** The file the build starts from, and every file or folder the result depends on, relative to einvoice-rules/. */
	readonly main: string;
	readonly inputs: readonly string[];
}

const SCHXSLT = "schxslt/xslt/2.0";
const PEPPOL_UBL = "peppol/PEPPOL-EN16931-UBL.sch";

export const RULE_SETS: Readonly<Record<RuleSetId, RuleSet>> = {
	"cen-ubl": {
		title: "CEN EN 16931 UBL 1.3.16",
		build: "xslt",
		main: "cen/ubl/EN16931-UBL-validation.xslt",
		inputs: ["cen/ubl/EN16931-UBL-validation.xslt"],
	},
	"cen-cii": {
		title: "CEN EN 16931 CII 1.3.16",
		build: "xslt",
		main: "cen/cii/EN16931-CII-validation.xslt",
		inputs: ["cen/cii/EN16931-CII-validation.xslt"],
	},
	"peppol-ubl": { title: "Peppol BIS Billing 3.0.19", build: "schematron", main: PEPPOL_UBL, inputs: [PEPPOL_UBL, SCHXSLT] },
	"xrechnung-ubl": {
		title: "KoSIT XRechnung 3.0.2 UBL (schematron 2.5.0)",
		build: "xrechnung",
		main: "xrechnung/src/validation/schematron/ubl/XRechnung-UBL-validation.sch",
		inputs: ["xrechnung/src", PEPPOL_UBL, SCHXSLT],
	},
};

export const RULES_DIR = fileURLToPath(new URL("../../einvoice-rules/", import.meta.url));

export const COMPILE_COMMAND = "node bin/compile-einvoice-rules.mjs";

/** The compiler's version is part of the key: a SEF from another SaxonJS is not reused. */
function compilerVersion(): string {
	const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../node_modules/xslt3/package.json", import.meta.url)), "utf8")) as {
		version: string;
	};
	return pkg.version;
}

function filesUnder(path: string): string[] {
	if (!statSync(path).isDirectory()) return [path];
	return readdirSync(path)
		.sort()
		.flatMap((name) => filesUnder(join(path, name)));
}

/** SHA-256 over the set's inputs (path and bytes of each file, in order) and the compiler's version. */
export function ruleSetKey(id: RuleSetId, rulesDir: string = RULES_DIR): string {
	const hash = createHash("sha256").update(`xslt3 ${compilerVersion()}\0`);
	for (const input of RULE_SETS[id].inputs) {
		for (const file of filesUnder(join(rulesDir, input))) {
			hash
				.update(`${relative(rulesDir, file)}\0`)
				.update(readFileSync(file))
				.update("\0");
		}
	}
	return hash.digest("hex");
}

/** Where the compiled set is (or is to be) kept. */
export function compiledRulePath(id: RuleSetId, key: string, rulesDir: string = RULES_DIR): string {
	return join(rulesDir, "compiled", `${id}.${key.slice(0, 16)}.sef.json`);
}

/**
 * Where a deployed function's bundle carries the compiled sets, relative to its index.mjs:
 * `einvoice-rules/<set>.sef.json`. The bundling (infra/bundling.ts) copies the current ones
 * there and refuses stale ones, since a bundle has no vendored files to check them against.
 */
export const BUNDLED_RULES_DIR = "einvoice-rules";

/** The compiled set as a bundle carries it beside the running module; in the repository nothing is there. */
export function bundledRulePath(id: RuleSetId): string {
	return fileURLToPath(new URL(`./${BUNDLED_RULES_DIR}/${id}.sef.json`, import.meta.url));
}
