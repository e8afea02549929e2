import * as z from "zod";
import { billToSchema, isoDateSchema } from "./model.js";
import { currencySchema, minorUnitsSchema } from "./money.js";

export const caseInvoiceSchema = z.object({
	number: z.string(),
	total: minorUnitsSchema,
	amountDue: minorUnitsSchema,
	dueDate: isoDateSchema,
	daysOverdue: z.number().int(),
	dunning: z.array(z.object({ stage: z.string(), status: z.string(), asOf: z.string() })),
});
export type CaseInvoice = z.infer<typeof caseInvoiceSchema>;

/** What the collections agency works from: who, how to reach them, what is owed and what was already tried. */
export const collectionsCaseSchema = z.object({
	caseId: z.string(),
	accountId: z.string(),
	status: z.enum(["open", "closed"]),
	openedOn: z.string(),
	updatedOn: z.string(),
	closedOn: z.string().optional(),
	closedReason: z.string().optional(),
	contact: billToSchema,
	currency: currencySchema,
	/** Sum of the open invoices' amounts due, minor units. */
	amountDue: minorUnitsSchema,
	invoices: z.array(caseInvoiceSchema),
});
export type CollectionsCase = z.infer<typeof collectionsCaseSchema>;
