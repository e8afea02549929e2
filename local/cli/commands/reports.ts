import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { addDays } from "../../../shared/core/period.js";
import { parseReportPeriod, type ReportPeriod } from "../../../shared/reporting/report-period.js";
import { progress } from "../progress.js";
import { dataDirOption, dateOption, printJson, withSession } from "./common.js";

function reportPeriodOption(value: string): ReportPeriod {
	try {
		return parseReportPeriod(value);
	} catch (err) {
		throw new InvalidArgumentError((err as Error).message);
	}
}

/** Monthly and quarterly reports on demand, written to S3 and copied out for reading. */
export function registerReportCommands(program: Command): void {
	program
		.command("report")
		.description("Produce the monthly (YYYY-MM) or quarterly (YYYY-Qn) billing report: CSV, JSON and HTML under reports/ in S3")
		.requiredOption("--period <YYYY-MM|YYYY-Qn>", "the month or quarter", reportPeriodOption)
		.option("--as-of <YYYY-MM-DD>", "the date aging and DSO count from (default: the day after the period ends)", dateOption)
		.addOption(dataDirOption())
		.action(async (opts: { period: ReportPeriod; asOf?: string; dataDir: string }) => {
			const lastDay = opts.period.months.at(-1)?.periodEnd as string;
			const asOf = opts.asOf ?? addDays(lastDay, 1);
			const [{ sellerName }, { readObjectBytes }, { publishReportFiles }] = await Promise.all([
				import("../../../shared/platform/config.js"),
				import("../../../shared/platform/s3-objects.js"),
				import("../../../shared/reporting/reports.js"),
			]);
			const result = await withSession(opts.dataDir, async (s) => {
				progress(`writing the ${opts.period.kind} report ${opts.period.label} as of ${asOf}...`);
				const files = await publishReportFiles(
					{ ddb: s.clients.ddb, s3: s.clients.s3, tableName: s.tableName, bucketName: s.bucketName, sellerName: sellerName() },
					opts.period,
					asOf,
				);
				const dir = join(s.dataDir, "artifacts", "reports", opts.period.label);
				mkdirSync(dir, { recursive: true });
				const local: Record<string, string> = {};
				for (const [format, key] of [
					["csv", files.csvKey],
					["json", files.jsonKey],
					["html", files.htmlKey],
				] as const) {
					const target = join(dir, basename(key));
					writeFileSync(target, await readObjectBytes(s.clients.s3, s.bucketName, key));
					local[format] = target;
				}
				return {
					period: opts.period.label,
					kind: opts.period.kind,
					asOf,
					bucket: s.bucketName,
					s3: { csv: files.csvKey, json: files.jsonKey, html: files.htmlKey },
					files: local,
				};
			});
			printJson(result);
		});
}
