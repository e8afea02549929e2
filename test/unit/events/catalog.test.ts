import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { billingEvent, eventCatalog, eventTypeNames } from "../../../shared/events/catalog.js";
import { newEventId } from "../../../shared/events/ids.js";
import { eventSchemaFiles, schemaFileName } from "../../../shared/events/json-schemas.js";
import { invoiceView } from "../../../shared/events/views.js";
import { schemaErrors } from "../../support/event-schemas.js";

const docs = new URL("../../../docs/", import.meta.url);

describe("the event catalog", () => {
	it("has the 20 types of DESIGN.md section 14, each at version 1", () => {
		expect(eventTypeNames).toHaveLength(20);
		expect(eventTypeNames).toEqual(
			expect.arrayContaining([
				"invoice.issued",
				"invoice.written_off",
				"payment.unapplied",
				"dispute.closed",
				"billing_run.failed",
				"books.closed",
			]),
		);
		for (const name of eventTypeNames) expect(eventCatalog[name].version).toBe(1);
	});

	it("publishes exactly the JSON Schemas the catalog generates now (run npm run events:schemas after changing it)", () => {
		const generated = eventSchemaFiles();
		const committed = readdirSync(new URL("events/", docs)).sort();
		expect(committed).toEqual(generated.map((f) => f.name).sort());
		for (const file of generated) expect(readFileSync(new URL(`events/${file.name}`, docs), "utf8"), file.name).toBe(file.text);
	});

	it("lists every type in docs/events.md with a link to its schema", () => {
		const page = readFileSync(new URL("events.md", docs), "utf8");
		for (const name of eventTypeNames) expect(page).toContain(`| \`${name}\` | ${eventCatalog[name].objectType} |`);
		for (const name of eventTypeNames) expect(page).toContain(`(events/${schemaFileName(name)})`);
	});

	it("makes ids that sort by time, and events that validate against their published schema", () => {
		const earlier = newEventId(new Date("2026-12-01T10:00:00.000Z"));
		const later = newEventId(new Date("2026-12-01T10:00:00.001Z"));
		expect(earlier < later).toBe(true);
		const sameMillisecond = Array.from({ length: 100 }, () => newEventId(new Date("2026-12-01T10:00:00.002Z")));
		expect([...sameMillisecond].sort()).toEqual(sameMillisecond);
		const invoice = {
			number: "INV-2026-000001",
			accountId: "ACC-1",
			period: "2026-11",
			currency: "KWD",
			status: "partially_paid" as const,
			issueDate: "2026-12-01",
			dueDate: "2026-12-31",
			billTo: { name: "Acme", email: "ap@acme.example", addressLines: [] },
			lines: [{ description: "Pro plan", quantity: 1, unitAmount: 9125, amount: 9125, taxRatePpm: 0, tax: 0 }],
			subtotal: 9125,
			tax: 0,
			total: 9125,
			amountPaid: 125,
			amountDue: 9000,
			pdfKey: "invoices/2026-11/INV-2026-000001.pdf",
			createdAt: "2026-12-01T00:00:00.000Z",
		};
		const event = billingEvent("invoice.partially_paid", invoice.number, invoiceView(invoice), "2026-12-02T09:30:00.000Z");
		expect(event).toMatchObject({ type: "invoice.partially_paid", version: 1, objectType: "invoice", objectId: "INV-2026-000001" });
		expect(event.data).toMatchObject({ total: 9125, amountPaid: 125, amountDue: 9000, currency: "KWD", onHold: false });
		expect(schemaErrors(event)).toEqual([]);
		expect(schemaErrors({ ...event, data: { ...event.data, amountDue: 90.5 } })).not.toEqual([]);
	});

	it("refuses to build an event whose data does not fit its type", () => {
		expect(() => billingEvent("account.created", "ACC-1", { accountId: "ACC-1" } as never, "2026-12-02T09:30:00.000Z")).toThrow();
	});
});
