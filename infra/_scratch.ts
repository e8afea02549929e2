import { Validations } from "aws-cdk-lib";
import { readFileSync } from "node:fs";
const acked: string[] = [];
(Validations.prototype as any).acknowledge = function (...rules: { id: string }[]) { for (const r of rules) acked.push(`${r.id} @ ${(this as any).scope.node.path}`); };
const { buildBillingApp } = await import("./billing-app.js");
const cdkJson = JSON.parse(readFileSync("cdk.json", "utf8"));
const { app, nag } = buildBillingApp({ context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] } });
const report = nag.validateScope(app);
const found = new Set<string>();
for (const v of report.violations) for (const r of v.violatingResources) { console.log("FINDING", v.severity, v.ruleName, r.constructPath); found.add(v.ruleName); }
for (const a of acked) { const id = a.split(" @ ")[0]!; if (!found.has(id)) console.log("UNUSED ACK", a); }
