import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { XMLParser } from "fast-xml-parser";
import type SaxonJSModule from "saxon-js";
import { BillingError } from "../core/errors.js";
import { bundledRulePath, COMPILE_COMMAND, compiledRulePath, RULE_SETS, RULES_DIR, type RuleSetId, ruleSetKey } from "./rule-sets.js";

/**
 * Runs the official rules on an e-invoice: per profile the CEN EN 16931 rules of its syntax
 * plus the profile's own (DESIGN.md section 13). Each compiled rule set is read once per
 * process; a run over one document then takes a fraction of a second.
 */

export type EinvoiceProfile = "peppol" | "xrechnung" | "facturx";

export const EINVOICE_PROFILES: readonly EinvoiceProfile[] = ["peppol", "xrechnung", "facturx"];

export const PROFILE_RULE_SETS: Readonly<Record<EinvoiceProfile, readonly RuleSetId[]>> = {
	peppol: ["cen-ubl", "peppol-ubl"],
	xrechnung: ["cen-ubl", "xrechnung-ubl"],
	facturx: ["cen-cii"],
};

export interface Finding {
	readonly ruleId: string;
	readonly severity: "fatal" | "warning";
	/** The element the rule is about, as a path with the usual prefixes: /Invoice[1]/cac:AccountingCustomerParty[1]. */
	readonly location: string;
	readonly message: string;
	/** The rule set that reported it. */
	readonly ruleSet: RuleSetId;
}

export interface ValidationResult {
	readonly profile: EinvoiceProfile;
	readonly findings: readonly Finding[];
	/** True when no finding is fatal: the document may be delivered. */
	readonly valid: boolean;
}

/** The compiled rules are missing or older than the vendored ones; they are never compiled on the fly. */
export class EinvoiceRulesMissingError extends BillingError {
	constructor(message: string) {
		super(message, 500);
		this.name = "EinvoiceRulesMissingError";
	}
}

/** A compiled rule set, read from `rulesDir`; refused with the command to run when it is missing or stale. */
export function readCompiledRuleSet(id: RuleSetId, rulesDir: string = RULES_DIR): unknown {
	if (!existsSync(rulesDir)) {
		throw new EinvoiceRulesMissingError(
			`the compiled e-invoice rules ${id} (${RULE_SETS[id].title}) are neither beside the bundle (${bundledRulePath(id)}) nor in the repository (${rulesDir})`,
		);
	}
	const path = compiledRulePath(id, ruleSetKey(id, rulesDir), rulesDir);
	if (!existsSync(path)) {
		throw new EinvoiceRulesMissingError(
			`the compiled e-invoice rules ${id} (${RULE_SETS[id].title}) are missing or older than the vendored ones in ${rulesDir}; run \`${COMPILE_COMMAND}\` (npm install runs it)`,
		);
	}
	return JSON.parse(readFileSync(path, "utf8"));
}

/** The compiled set a deployed function's bundle carries (infra/bundling.ts); undefined outside one. */
function readBundledRuleSet(id: RuleSetId): unknown {
	const path = bundledRulePath(id);
	return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

const loaded = new Map<RuleSetId, unknown>();

function compiledRules(id: RuleSetId): unknown {
	const cached = loaded.get(id) ?? readBundledRuleSet(id) ?? readCompiledRuleSet(id);
	loaded.set(id, cached);
	return cached;
}

let saxon: typeof SaxonJSModule | undefined;

/**
 * SaxonJS, loaded by the first validation. Required rather than imported: a bundled function
 * keeps it out of its bundle (it assigns undeclared variables, which an ES module's strict
 * mode refuses) and so loads it from its node_modules only when it meets an e-invoice.
 */
function saxonJs(): typeof SaxonJSModule {
	saxon ??= createRequire(import.meta.url)("saxon-js") as typeof SaxonJSModule;
	return saxon;
}

/** Reads each of the profile's compiled rule sets now, so the first document does not pay for it. */
export function loadEinvoiceRules(profile: EinvoiceProfile): void {
	for (const id of PROFILE_RULE_SETS[profile]) compiledRules(id);
}

const PREFIXES: Readonly<Record<string, string>> = {
	"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac:",
	"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc:",
	"urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext:",
	"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm:",
	"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram:",
	"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt:",
	"urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt:",
	"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "",
	"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "",
};

/**
 * The CEN stylesheets write `/*:Invoice[namespace-uri()='…'][1]`, SchXslt `/Q{…}Invoice[1]`;
 * both become `/Invoice[1]/cac:…`, what a person reading the XML recognises.
 */
export function readableLocation(location: string): string {
	return location
		.replace(/\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]/g, (_all, name: string, uri: string) => `${PREFIXES[uri] ?? ""}${name}`)
		.replace(/Q\{([^}]*)\}([\w.-]+)/g, (_all, uri: string, name: string) => `${PREFIXES[uri] ?? ""}${name}`);
}

const svrlParser = new XMLParser({
	ignoreAttributes: false,
	attributeNamePrefix: "",
	removeNSPrefix: true,
	isArray: (name) => name === "failed-assert" || name === "successful-report",
});

interface SvrlEntry {
	id?: string;
	flag?: string;
	location?: string;
	text?: unknown;
}

function textOf(value: unknown): string {
	if (typeof value === "string" || typeof value === "number") return String(value);
	if (value && typeof value === "object" && "#text" in value) return String((value as { "#text": unknown })["#text"]);
	return "";
}

/** The failed asserts and successful reports of an SVRL report as findings. */
export function findingsOfSvrl(svrl: string, ruleSet: RuleSetId): Finding[] {
	const report = (svrlParser.parse(svrl) as { "schematron-output"?: Record<string, SvrlEntry[] | undefined> })["schematron-output"] ?? {};
	return [...(report["failed-assert"] ?? []), ...(report["successful-report"] ?? [])].map((entry) => ({
		ruleId: entry.id ?? "(no id)",
		severity: entry.flag === "warning" || entry.flag === "information" ? "warning" : "fatal",
		location: readableLocation(entry.location ?? ""),
		message: textOf(entry.text).replace(/\s+/g, " ").trim(),
		ruleSet,
	}));
}

/** ISO 13616's check: the rearranged IBAN as a number, mod 97, is 1. */
export function validIban(iban: string): boolean {
	const compact = iban.replace(/\s+/g, "").toUpperCase();
	if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(compact)) return false;
	const digits = [...`${compact.slice(4)}${compact.slice(0, 4)}`].map((c) => (c >= "A" ? String(c.charCodeAt(0) - 55) : c)).join("");
	return BigInt(digits) % 97n === 1n;
}

/**
 * XRechnung's BR-DE-19 and Peppol's DE-R-019 (warnings) test the IBAN's check digits as an
 * xs:integer of some 24 digits, beyond what SaxonJS computes exactly (2^53), so they fire
 * for every IBAN. When every payment account in the document passes the same check done
 * exactly, those two findings are the engine's, not the document's, and are left out.
 */
const IBAN_CHECKS = new Set(["BR-DE-19", "DE-R-019"]);

function withoutFalseIbanFindings(xml: string, findings: Finding[]): Finding[] {
	if (!findings.some((f) => IBAN_CHECKS.has(f.ruleId))) return findings;
	const accounts = [...xml.matchAll(/<cac:PayeeFinancialAccount>\s*<cbc:ID>([^<]*)<\/cbc:ID>/g)].map((m) => m[1] ?? "");
	if (accounts.length === 0 || !accounts.every(validIban)) return findings;
	return findings.filter((f) => !IBAN_CHECKS.has(f.ruleId));
}

/** Runs every rule set of the profile on the document. */
export function validateEinvoice(xml: string, profile: EinvoiceProfile): ValidationResult {
	const reported = PROFILE_RULE_SETS[profile].flatMap((id) => {
		const { principalResult } = saxonJs().transform(
			{ stylesheetInternal: compiledRules(id), sourceText: xml, destination: "serialized" },
			"sync",
		);
		return findingsOfSvrl(principalResult, id);
	});
	const findings = withoutFalseIbanFindings(xml, reported);
	return { profile, findings, valid: !findings.some((f) => f.severity === "fatal") };
}
