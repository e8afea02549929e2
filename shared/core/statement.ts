import * as z from "zod";
import { AGING_BUCKETS, type AgingBucket } from "./aging.js";
import { billToSchema, isoDateSchema, ledgerEntryTypeSchema, periodSchema } from "./model.js";
import { currencySchema, minorUnitsSchema } from "./money.js";

/** A ledger entry as the statement shows it: on its effective date, in the order it was recorded. */
export const statementActivitySchema = z.object({
	effectiveDate: isoDateSchema,
	recordedAt: z.string(),
	type: ledgerEntryTypeSchema,
	reference: z.string(),
	amount: minorUnitsSchema,
});
export type StatementActivity = z.infer<typeof statementActivitySchema>;

/** An account's statement for a period: opening balance, the ledger's activity since the previous one, closing balance, aging. */
export const statementSchema = z.object({
	accountId: z.string(),
	period: periodSchema,
	statementDate: isoDateSchema,
	currency: currencySchema,
	billTo: billToSchema,
	openingBalance: minorUnitsSchema,
	activity: z.array(statementActivitySchema),
	closingBalance: minorUnitsSchema,
	aging: z.object(Object.fromEntries(AGING_BUCKETS.map((b) => [b, minorUnitsSchema])) as Record<AgingBucket, typeof minorUnitsSchema>),
	/** Ledger entries recorded up to this instant are on this statement or an earlier one; later ones on the next. */
	cutoff: z.string(),
	pdfKey: z.string(),
});
export type Statement = z.infer<typeof statementSchema>;
