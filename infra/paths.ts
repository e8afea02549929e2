import { fileURLToPath } from "node:url";

/** Repository root (the folder holding package.json, functions/, statemachines/). */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** The single source of truth for the billing cycle's orchestration (DESIGN.md section 2). */
export const billingCycleDefinitionFile = fileURLToPath(new URL("../statemachines/billing-cycle.asl.json", import.meta.url));

/** The import job's orchestration (a charge file too large for one invocation, docs/data-in.md). */
export const importJobDefinitionFile = fileURLToPath(new URL("../statemachines/import-job.asl.json", import.meta.url));
