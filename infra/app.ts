import { buildBillingApp } from "./billing-app.js";

// `npx cdk synth` / `npx cdk deploy` run this file (cdk.json "app"); the CLI synthesizes it.
buildBillingApp();
