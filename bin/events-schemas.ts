// `npm run events:schemas`: writes each billing event type's JSON Schema, generated from the
// catalog's zod schemas (shared/events/catalog.ts), to docs/events/. A test fails when the
// committed files differ from what the catalog generates, so run this after changing it.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { eventSchemaFiles } from "../shared/events/json-schemas.js";

const dir = fileURLToPath(new URL("../docs/events/", import.meta.url));
mkdirSync(dir, { recursive: true });
const files = eventSchemaFiles();
for (const file of files) writeFileSync(`${dir}${file.name}`, file.text);
process.stdout.write(`wrote ${files.length} schemas to docs/events/\n`);
