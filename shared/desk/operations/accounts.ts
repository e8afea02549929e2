import * as z from "zod";
import {
	buyerReferenceInput,
	cityInput,
	countryInput,
	einvoiceKindInput,
	peppolIdInput,
	postalCodeInput,
	vatIdInput,
} from "../../core/einvoice-account.js";
import { closeAccount, updateAccountDetails } from "../../invoicing/accounts.js";
import { refundAccountCredit } from "../../payments/credit-refund.js";
import { defineOperation } from "../operation.js";
import { accountId, isoDate, minorUnits, optionalReason, reason } from "./fields.js";

export const updateAccount = defineOperation({
	name: "accounts.update",
	title: "Update account",
	role: "billing",
	input: z.object({
		accountId,
		email: z.string().trim().min(1).optional(),
		addressLines: z.array(z.string().trim()).min(1).optional(),
		delivery: z.enum(["email", "postal"]).optional(),
		/** The address SES reported bounced or complained from works again. */
		emailConfirmed: z.boolean().optional(),
		/** The e-invoice it needs (DESIGN.md section 13); none takes it off. */
		einvoice: einvoiceKindInput.optional(),
		/** The e-invoice fields, checked as the import checks them; null clears one. */
		vatId: vatIdInput.nullable().optional(),
		peppolId: peppolIdInput.nullable().optional(),
		buyerReference: buyerReferenceInput.nullable().optional(),
		/** The buyer's city, post code and country (ISO 3166-1 alpha-2) for its e-invoices; null clears one. */
		city: cityInput.nullable().optional(),
		postalCode: postalCodeInput.nullable().optional(),
		country: countryInput.nullable().optional(),
		reason: optionalReason,
	}),
	run: (deps, input) =>
		updateAccountDetails(
			deps,
			input.accountId,
			{
				...(input.email !== undefined ? { email: input.email } : {}),
				...(input.addressLines !== undefined ? { addressLines: input.addressLines } : {}),
				...(input.delivery !== undefined ? { delivery: input.delivery } : {}),
				...(input.einvoice !== undefined ? { einvoice: input.einvoice === "none" ? null : input.einvoice } : {}),
				...(input.vatId !== undefined ? { vatId: input.vatId } : {}),
				...(input.peppolId !== undefined ? { peppolId: input.peppolId } : {}),
				...(input.buyerReference !== undefined ? { buyerReference: input.buyerReference } : {}),
				...(input.city !== undefined ? { city: input.city } : {}),
				...(input.postalCode !== undefined ? { postalCode: input.postalCode } : {}),
				...(input.country !== undefined ? { country: input.country } : {}),
			},
			input.reason,
			{ confirmEmail: input.emailConfirmed === true },
		),
});

export const closeAccountOperation = defineOperation({
	name: "accounts.close",
	title: "Close account",
	role: "billing",
	input: z.object({ accountId, on: isoDate, reason: optionalReason }),
	run: (deps, input) => closeAccount(deps, input.accountId, input.on, input.reason),
});

export const refundCredit = defineOperation({
	name: "accounts.refund-credit",
	title: "Refund account credit",
	role: "billing",
	input: z.object({ accountId, amount: minorUnits, reason }),
	run: (deps, input) => refundAccountCredit(deps, input.accountId, input.amount, input.reason),
});
