import { type EventTypeName, eventCatalog, eventJsonSchema, eventTypeNames } from "./catalog.js";

/** Where a type's JSON Schema is published, under docs/events/. */
export function schemaFileName(name: EventTypeName): string {
	return `${name}.v${eventCatalog[name].version}.schema.json`;
}

/** Every type's JSON Schema file as `npm run events:schemas` writes it: name and text. */
export function eventSchemaFiles(): { readonly name: string; readonly text: string }[] {
	return eventTypeNames.map((name) => ({ name: schemaFileName(name), text: `${JSON.stringify(eventJsonSchema(name), null, "\t")}\n` }));
}
