import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { ValidationError } from "../../../shared/core/errors.js";
import type { EinvoiceProfile, Finding } from "../../../shared/einvoicing/validate.js";
import { jsonOption, printJson, table } from "./common.js";

const PROFILES: readonly EinvoiceProfile[] = ["peppol", "xrechnung", "facturx"];

function findingRows(findings: readonly Finding[]) {
	return findings.map((f) => ({ severity: f.severity, rule: f.ruleId, location: f.location, message: f.message }));
}

/** E-invoices (DESIGN.md section 13): check any UBL, CII or Factur-X file against the official rules. */
export function registerEinvoiceCommands(program: Command): void {
	const einvoice = program.command("einvoice").description("Structured e-invoices: Peppol BIS 3 and XRechnung (UBL), Factur-X (CII)");
	einvoice
		.command("validate")
		.description(
			"Validate a UBL or CII e-invoice, or a Factur-X PDF, against the vendored EN 16931, Peppol BIS 3 and XRechnung rules; exit 1 on a fatal finding",
		)
		.argument("<file>", "a UBL Invoice or CreditNote, a CII CrossIndustryInvoice, or a PDF with factur-x.xml attached")
		.addOption(
			new Option(
				"--profile <profile>",
				"the rules to apply (default: XRechnung or Peppol for UBL by its customization id, Factur-X for CII)",
			).choices(PROFILES),
		)
		.addOption(jsonOption())
		.action(async (file: string, opts: { profile?: EinvoiceProfile; json?: boolean }) => {
			let bytes: Buffer;
			try {
				bytes = readFileSync(file);
			} catch (err) {
				throw new ValidationError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
			}
			// pdf-lib, SaxonJS and the compiled rules load only for this command, so every other command starts without them.
			const { PROFILE_SYNTAX, profileOf, readEinvoiceFile } = await import("../../../shared/einvoicing/read.js");
			const { PROFILE_RULE_SETS, validateEinvoice } = await import("../../../shared/einvoicing/validate.js");
			const { RULE_SETS } = await import("../../../shared/einvoicing/rule-sets.js");
			const document = await readEinvoiceFile(bytes, file);
			const profile = opts.profile ?? profileOf(document);
			if (PROFILE_SYNTAX[profile] !== document.syntax) {
				throw new ValidationError(
					`${file} is ${document.syntax.toUpperCase()}; the ${profile} rules are for ${PROFILE_SYNTAX[profile].toUpperCase()}`,
				);
			}
			const result = validateEinvoice(document.xml, profile);
			const fatal = result.findings.filter((f) => f.severity === "fatal").length;
			const warnings = result.findings.length - fatal;
			const rules = PROFILE_RULE_SETS[profile].map((id) => RULE_SETS[id].title);
			if (opts.json) {
				printJson({
					file,
					...(document.attachment ? { attachment: document.attachment } : {}),
					syntax: document.syntax,
					profile,
					rules,
					valid: result.valid,
					fatal,
					warnings,
					findings: result.findings,
				});
			} else {
				if (result.findings.length > 0)
					process.stdout.write(`${table(findingRows(result.findings), ["severity", "rule", "location", "message"])}\n`);
				const source = document.attachment ? `${file} (${document.attachment})` : file;
				process.stdout.write(
					`${source}: ${result.valid ? "valid" : "refused"}, ${fatal} fatal, ${warnings} warning${warnings === 1 ? "" : "s"} (${profile}: ${rules.join(", ")})\n`,
				);
			}
			if (!result.valid) process.exitCode = 1;
		});
}
