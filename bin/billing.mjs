#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx billing` needs no build step.
import { register } from "tsx/esm/api";

// The project pins SDK versions that run on Node 20; the SDK's upgrade notice is noise on stderr here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
await import("../local/cli/cli.ts");
