import * as z from "zod";
import { accountIdSchema, isoDateSchema, periodSchema } from "../../core/model.js";

/** The fields desk operations share, each with the message a person reads when it is wrong. */
export const invoiceNumber = z.string().trim().min(1, { message: "an invoice number, e.g. INV-2026-000042" });
export const accountId = accountIdSchema;
export const isoDate = isoDateSchema;
export const period = periodSchema;
/** A judgement's reason: required, not blank. */
export const reason = z.string().trim().min(1, { message: "a reason is required" }).max(1000);
export const optionalReason = z.string().trim().max(1000).optional();
/** Amounts in the API are integer minor units of the record's currency. */
export const minorUnits = z.number().int({ message: "a whole number of minor units" }).positive({ message: "more than zero" }).safe();
/** `stripe`, `gocardless`, `bank` with the provider's own id, as `billing payments list` shows them. */
export const provider = z.string().regex(/^[a-z]+$/, { message: "a provider name such as stripe, gocardless or bank" });
export const paymentId = z.string().trim().min(1, { message: "the provider's payment id" });

/** Today as the operation sees it (YYYY-MM-DD), from its clock. */
export function today(now: () => Date): string {
	return now().toISOString().slice(0, 10);
}
