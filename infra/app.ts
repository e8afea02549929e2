import { join } from "node:path";
import { buildDesk } from "../desk/build.js";
import { buildBillingApp } from "./billing-app.js";
import { repoRoot } from "./paths.js";

// `npx cdk synth` / `npx cdk deploy` run this file (cdk.json "app"); the CLI synthesizes it.
// The desk app is built first: the desk's distribution serves that build.
const deskAppDir = join(repoRoot, "cdk.out", "desk-app");
await buildDesk({ outdir: deskAppDir });
buildBillingApp({ deskAppDir });
