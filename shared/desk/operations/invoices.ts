import * as z from "zod";
import { reverseWriteOff, writeOffInvoice } from "../../collections/write-off.js";
import type { Invoice } from "../../core/model.js";
import { deliverInvoice } from "../../delivery/email-delivery.js";
import { resendInvoice } from "../../delivery/resend.js";
import { createCreditMemo } from "../../invoicing/credit-memos.js";
import { holdInvoice, releaseInvoice } from "../../invoicing/holds.js";
import { issueOneOffInvoice } from "../../invoicing/one-off.js";
import { reissueInvoice } from "../../invoicing/reissue.js";
import { voidInvoice } from "../../invoicing/void.js";
import { recordRunFailure } from "../../store/run-failures.js";
import { defineOperation, type OperationDeps } from "../operation.js";
import { accountId, invoiceNumber, isoDate, minorUnits, optionalReason, reason, today } from "./fields.js";

/** An invoice issued by hand goes out by its account's channel at once; a failure is recorded like the cycle's. */
async function deliveredAtOnce(deps: OperationDeps, invoice: Invoice) {
	const delivery = await deliverInvoice(deps, invoice.number, (failedAccountId, why, stage = "deliver") =>
		recordRunFailure(deps, { period: invoice.period, accountId: failedAccountId, stage, reason: why }),
	);
	return { invoice, delivery };
}

export const issueInvoice = defineOperation({
	name: "invoices.issue",
	title: "Issue one-off invoice",
	role: "billing",
	input: z.object({
		accountId,
		lines: z
			.array(
				z.object({
					description: z.string().trim().min(1, { message: "a description" }),
					quantity: z.number().int().positive(),
					/** Major units as a person types them ("250.00"), priced in the account's currency. */
					unitPrice: z.string().trim().min(1),
				}),
			)
			.min(1, { message: "at least one line" }),
		date: isoDate.optional(),
	}),
	run: async (deps, input) =>
		deliveredAtOnce(deps, await issueOneOffInvoice(deps, input.accountId, input.lines, input.date ?? today(deps.now))),
	describe: (result) => `${result.invoice.number} booked`,
});

export const reissue = defineOperation({
	name: "invoices.reissue",
	title: "Reissue invoice",
	role: "billing",
	input: z.object({ number: invoiceNumber, asOf: isoDate.optional() }),
	run: async (deps, input) => deliveredAtOnce(deps, await reissueInvoice(deps, input.number, input.asOf ?? today(deps.now))),
	describe: (result) => `${result.invoice.number} booked`,
});

export const hold = defineOperation({
	name: "invoices.hold",
	title: "Hold invoice",
	role: "billing",
	input: z.object({ number: invoiceNumber, reason }),
	run: async (deps, input) => ({ invoiceNumber: input.number, outcome: await holdInvoice(deps, input.number, input.reason) }),
});

export const release = defineOperation({
	name: "invoices.release",
	title: "Release hold",
	role: "billing",
	input: z.object({ number: invoiceNumber, reason: optionalReason }),
	run: async (deps, input) => ({ invoiceNumber: input.number, outcome: await releaseInvoice(deps, input.number, input.reason) }),
});

export const resend = defineOperation({
	name: "invoices.resend",
	title: "Resend invoice",
	role: "billing",
	input: z.object({ number: invoiceNumber, channel: z.enum(["email"]).default("email"), reason }),
	run: (deps, input) => resendInvoice(deps, input.number, input.reason),
});

export const voidOperation = defineOperation({
	name: "invoices.void",
	title: "Void invoice",
	role: "billing",
	input: z.object({ number: invoiceNumber, reason }),
	run: (deps, input) => voidInvoice(deps, input.number, input.reason),
});

export const creditMemo = defineOperation({
	name: "invoices.credit-memo",
	title: "Issue credit memo",
	role: "billing",
	input: z.object({ number: invoiceNumber, amount: minorUnits, reason }),
	run: (deps, input) => createCreditMemo(deps, { invoiceNumber: input.number, amount: input.amount, reason: input.reason }),
});

export const writeOff = defineOperation({
	name: "invoices.write-off",
	title: "Write off invoice",
	role: "billing",
	input: z.object({ number: invoiceNumber, reason, asOf: isoDate.optional() }),
	run: (deps, input) =>
		writeOffInvoice(deps, input.number, input.reason, input.asOf ? new Date(`${input.asOf}T12:00:00.000Z`) : deps.now()),
	describe: (_result, input) => `${input.number} written off`,
});

export const reverseWriteOffOperation = defineOperation({
	name: "invoices.reverse-write-off",
	title: "Reverse write-off",
	role: "billing",
	input: z.object({ number: invoiceNumber, reason }),
	run: (deps, input) => reverseWriteOff(deps, input.number, input.reason),
});
