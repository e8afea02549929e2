import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { BillingEvent, EventTypeName } from "../../shared/events/catalog.js";
import { schemaFileName } from "../../shared/events/json-schemas.js";

/*
 * Validates events against their published JSON Schemas (docs/events/), as a receiver would,
 * with Ajv (draft 2020-12). Formats are not checked by Ajv itself (no ajv-formats here): the
 * schemas' patterns say the same for dates and times.
 */
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const root = new URL("../../docs/events/", import.meta.url);

const validators = new Map<EventTypeName, ReturnType<typeof ajv.compile>>();

/** The schema's complaints about the event; none when it validates. */
export function schemaErrors(event: BillingEvent): string[] {
	let validate = validators.get(event.type);
	if (!validate) {
		validate = ajv.compile(JSON.parse(readFileSync(new URL(schemaFileName(event.type), root), "utf8")));
		validators.set(event.type, validate);
	}
	return validate(event) ? [] : (validate.errors ?? []).map((e) => `${event.type} ${e.instancePath} ${e.message ?? ""}`);
}
