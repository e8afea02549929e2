#!/usr/bin/env node
// Compiles the vendored EN 16931 rule sets (einvoice-rules/) to SaxonJS's SEF form, once:
// about 30 s a set, so npm runs it at install (`prepare`), never a test or a request.
// A set whose compiled file for its current SHA-256 key exists is skipped.
//   CEN (shipped as XSLT):   xslt3 -export
//   Peppol (schematron):      SchXslt 1.10.1 → XSLT → xslt3 -export
//   XRechnung (schematron):   KoSIT's peppol-into-xr.xsl merge, as their build does → SchXslt → xslt3 -export
// `--force` compiles every set again.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { register } from "tsx/esm/api";

register();
const { RULE_SETS, RULES_DIR, compiledRulePath, ruleSetKey } = await import("../shared/einvoicing/rule-sets.ts");

const run = promisify(execFile);
const XSLT3 = fileURLToPath(new URL("../node_modules/xslt3/xslt3.js", import.meta.url));
const SCHXSLT_PIPELINE = join(RULES_DIR, "schxslt/xslt/2.0/pipeline-for-svrl.xsl");
/** The values KoSIT's build (build.xml, v2.5.0) writes into the schematron's @tokens@. */
const XRECHNUNG_TOKENS = { "xr-schematron.version.full": "2.5.0", "xrechnung.version": "3.0.2" };

async function xslt3(args) {
	await run(process.execPath, [XSLT3, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** The XSLT a set's SEF is compiled from: the shipped one, or one made from its schematron. */
async function stylesheetOf(set, work) {
	const main = join(RULES_DIR, set.main);
	if (set.build === "xslt") return main;
	let schematron = main;
	if (set.build === "xrechnung") {
		// KoSIT's layout, which peppol-into-xr.xsl's relative paths expect: src/xsl/ beside build/bis/.
		mkdirSync(join(work, "src/xsl"), { recursive: true });
		mkdirSync(join(work, "build/bis"), { recursive: true });
		mkdirSync(join(work, "build/schematron/ubl"), { recursive: true });
		for (const name of ["peppol-into-xr.xsl", "rule-list.xml"])
			copyFileSync(join(RULES_DIR, "xrechnung/src/xsl", name), join(work, "src/xsl", name));
		copyFileSync(join(RULES_DIR, "peppol/PEPPOL-EN16931-UBL.sch"), join(work, "build/bis/PEPPOL-EN16931-UBL.sch"));
		copyFileSync(join(RULES_DIR, "xrechnung/src/validation/schematron/common.sch"), join(work, "build/schematron/common.sch"));
		let text = readFileSync(main, "utf8");
		for (const [token, value] of Object.entries(XRECHNUNG_TOKENS)) text = text.replaceAll(`@${token}@`, value);
		const filtered = join(work, "XRechnung-UBL-validation.sch");
		writeFileSync(filtered, text);
		schematron = join(work, "build/schematron/ubl/XRechnung-UBL-validation.sch");
		await xslt3([`-xsl:${join(work, "src/xsl/peppol-into-xr.xsl")}`, `-s:${filtered}`, `-o:${schematron}`, "syntax=UBL"]);
	}
	const stylesheet = join(work, "rules.xsl");
	await xslt3([`-xsl:${SCHXSLT_PIPELINE}`, `-s:${schematron}`, `-o:${stylesheet}`]);
	return stylesheet;
}

async function compile(id, force) {
	const set = RULE_SETS[id];
	const key = ruleSetKey(id);
	const target = compiledRulePath(id, key);
	if (!force && existsSync(target)) {
		process.stderr.write(`einvoice rules: ${id} up to date (${set.title})\n`);
		return;
	}
	const started = performance.now();
	const work = mkdtempSync(join(tmpdir(), `einvoice-${id}-`));
	try {
		const stylesheet = await stylesheetOf(set, work);
		const partial = `${target}.partial`;
		await xslt3([`-xsl:${stylesheet}`, `-export:${partial}`, "-nogo"]);
		// Older compiled forms of the set go; the new one appears whole or not at all.
		for (const name of readdirSync(dirname(target))) {
			if (name.startsWith(`${id}.`) && name.endsWith(".sef.json")) unlinkSync(join(dirname(target), name));
		}
		copyFileSync(partial, target);
		unlinkSync(partial);
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
	process.stderr.write(`einvoice rules: ${id} compiled in ${((performance.now() - started) / 1000).toFixed(1)} s (${set.title})\n`);
}

const force = process.argv.includes("--force");
mkdirSync(join(RULES_DIR, "compiled"), { recursive: true });
// Two at a time: the machines this runs on have two cores.
const queue = Object.keys(RULE_SETS);
await Promise.all(
	[0, 1].map(async () => {
		for (let id = queue.shift(); id; id = queue.shift()) await compile(id, force);
	}),
);
