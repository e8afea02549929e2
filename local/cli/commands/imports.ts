import { type Command, Option } from "commander";
import type { ImportProgress, ImportResult } from "../../../shared/imports/import.js";
import { IMPORT_KINDS } from "../../../shared/imports/rows.js";
import { progress } from "../progress.js";
import { actorOption, dataDirOption, jsonOption, printJson, withSession } from "./common.js";

/** `billing import FILE...`: the company's accounts, plans, subscriptions and charges (DESIGN.md section 8). */

/** One stderr line per 10,000 rows and per file, with the rate. */
export function progressPrinter(): (p: ImportProgress) => void {
	const started = Date.now();
	return (p) => {
		const seconds = (Date.now() - started) / 1000;
		const rate = seconds > 0 ? `, ${Math.round(p.rows / seconds).toLocaleString("en-US")} rows/s` : "";
		progress(`${p.phase} ${p.file}: ${p.rows.toLocaleString("en-US")} rows${p.done ? " (done)" : ""}${rate}`);
	};
}

export function importSummary(result: ImportResult): string {
	const lines = [`${result.dryRun ? "dry run, nothing written" : `import ${result.importId}`}:`];
	for (const file of result.files) {
		const c = result.counts[file.kind];
		lines.push(
			`  ${file.name} (${file.kind}): ${file.rows} rows${c ? `; ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged` : ""}`,
		);
	}
	for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
	return lines.join("\n");
}

export function registerImportCommands(program: Command): void {
	program
		.command("import")
		.description(
			"Import accounts, plans, subscriptions or charges from CSV or JSON Lines; all or nothing, the same files again change nothing",
		)
		.argument("<files...>", "files; their kind from the name's prefix (accounts, plans, subscriptions, charges)")
		.addOption(new Option("--kind <kind>", "what every file holds, whatever its name").choices([...IMPORT_KINDS]))
		.option("--dry-run", "check everything and say what would change, write nothing")
		.addOption(jsonOption())
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (files: string[], opts: { kind?: string; dryRun?: boolean; json?: boolean; actor: string; dataDir: string }) => {
			const [{ importFiles }, { fileSource }] = await Promise.all([
				import("../../../shared/imports/import.js"),
				import("../../../shared/imports/sources.js"),
			]);
			const sources = files.map((file) => fileSource(file, opts.kind));
			const result = await withSession(opts.dataDir, (s) =>
				importFiles({ ddb: s.clients.ddb, tableName: s.tableName, actor: opts.actor }, sources, {
					dryRun: opts.dryRun ?? false,
					onProgress: progressPrinter(),
				}),
			);
			if (opts.json) printJson(result);
			else process.stdout.write(`${importSummary(result)}\n`);
		});
}
