import * as z from "zod";
import { BillingError } from "../../core/errors.js";
import { currencySchema } from "../../core/money.js";
import { applyPaymentByHand, unapplyPaymentByHand } from "../../payments/manual-application.js";
import { recordManualPayment } from "../../payments/providers/bank.js";
import { defineOperation } from "../operation.js";
import { accountId, invoiceNumber, isoDate, minorUnits, paymentId, provider, reason } from "./fields.js";

export const applyPayment = defineOperation({
	name: "payments.apply",
	title: "Apply payment",
	role: "billing",
	input: z.object({ provider, paymentId, invoiceNumber, amount: minorUnits.optional() }),
	run: (deps, input) => applyPaymentByHand(deps, input),
});

export const unapplyPayment = defineOperation({
	name: "payments.unapply",
	title: "Unapply payment",
	role: "billing",
	input: z.object({ provider, paymentId, invoiceNumber, reason }),
	run: (deps, input) => unapplyPaymentByHand(deps, input),
});

export const recordPayment = defineOperation({
	name: "payments.record",
	title: "Record payment",
	role: "billing",
	input: z.object({
		accountId,
		/** Major units as written on the cheque: "125.50". */
		amount: z.string().trim().min(1),
		currency: currencySchema,
		reference: z.string().trim().min(1, { message: "the cheque number or remittance text" }),
		received: isoDate.optional(),
	}),
	run: async (deps, input) => {
		const outcome = await recordManualPayment(deps, {
			accountId: input.accountId,
			amount: input.amount,
			currency: input.currency,
			reference: input.reference,
			...(input.received ? { receivedAt: `${input.received}T00:00:00.000Z` } : {}),
		});
		if (outcome.result === "duplicate_event") throw new BillingError("this payment was already recorded", 409);
		return outcome;
	},
	describe: () => "payment booked",
});
