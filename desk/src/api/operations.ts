import { apiPath, apiSend } from "./client.js";

/**
 * How the desk asks for each operation of the catalog (shared/desk/catalog.ts) that takes a
 * reason, an amount or a date: its dialog's title and fields, the API call, and what the
 * notice says once it is done. `input` is the operation's input as the API names it (a
 * worklist item's action carries it; the pages build the same). Which operations a record
 * allows comes from the API (allowedActions); payments.apply and accounts.update have
 * dialogs of their own.
 */

export type OperationInput = Readonly<Record<string, unknown>>;

export interface OperationValues {
	readonly reason?: string;
	/** Minor units, from the amount typed in major units. */
	readonly amount?: number;
	/** YYYY-MM-DD. */
	readonly on?: string;
}

export interface OperationForm {
	readonly title: string;
	readonly reason: "required" | "optional" | "none";
	readonly amount?: true;
	readonly date?: true;
	/** What the dialog says before the fields. */
	readonly warning?: string;
	/** The record it acts on, for the dialog and the notice: "INV-2026-000042". */
	readonly subject: (input: OperationInput) => string;
	/** What the notice says after the subject: "voided". */
	readonly done: string;
	readonly send: (input: OperationInput, values: OperationValues) => Promise<unknown>;
}

const text = (value: unknown): string => (typeof value === "string" ? value : String(value ?? ""));
const reasonOnly = (values: OperationValues) => ({ reason: values.reason });
const optionalReason = (values: OperationValues) => (values.reason ? { reason: values.reason } : {});

function invoiceOperation(
	verb: string,
	form: Omit<OperationForm, "subject" | "send">,
	body: (values: OperationValues) => object,
): OperationForm {
	return {
		...form,
		subject: (input) => text(input.number),
		send: (input, values) => apiSend("POST", `${apiPath`invoices/${text(input.number)}`}/${verb}`, body(values)),
	};
}

function webhookOperation(verb: string, form: Pick<OperationForm, "title" | "done" | "warning">): OperationForm {
	return {
		...form,
		reason: "required",
		subject: (input) => text(input.endpointId),
		send: (input, values) => apiSend("POST", `${apiPath`webhooks/${text(input.endpointId)}`}/${verb}`, reasonOnly(values)),
	};
}

export const OPERATION_FORMS: Readonly<Record<string, OperationForm>> = {
	"invoices.void": invoiceOperation(
		"void",
		{ title: "Void invoice", reason: "required", done: "voided", warning: "A void cannot be undone." },
		reasonOnly,
	),
	"invoices.hold": invoiceOperation("hold", { title: "Hold invoice", reason: "required", done: "put on hold" }, reasonOnly),
	"invoices.release": invoiceOperation("release", { title: "Release hold", reason: "optional", done: "released" }, optionalReason),
	"invoices.resend": invoiceOperation("resend", { title: "Resend invoice", reason: "required", done: "resent" }, reasonOnly),
	"invoices.write-off": invoiceOperation("write-off", { title: "Write off invoice", reason: "required", done: "written off" }, reasonOnly),
	"invoices.reverse-write-off": invoiceOperation(
		"reverse-write-off",
		{ title: "Reverse write-off", reason: "required", done: "write-off reversed" },
		reasonOnly,
	),
	"invoices.reissue": invoiceOperation(
		"reissue",
		{ title: "Reissue invoice", reason: "none", done: "reissued", warning: "The invoice is issued again as of today and delivered." },
		() => ({}),
	),
	"invoices.credit-memo": invoiceOperation(
		"credit-memo",
		{ title: "Issue credit memo", reason: "required", amount: true, done: "credited" },
		(values) => ({ amount: values.amount, reason: values.reason }),
	),
	"accounts.close": {
		title: "Close account",
		reason: "optional",
		date: true,
		done: "closed",
		warning: "Billing stops after the closing date.",
		subject: (input) => text(input.accountId),
		send: (input, values) =>
			apiSend("POST", apiPath`accounts/${text(input.accountId)}/close`, { on: values.on, ...optionalReason(values) }),
	},
	"accounts.refund-credit": {
		title: "Refund account credit",
		reason: "required",
		amount: true,
		done: "credit refunded",
		subject: (input) => text(input.accountId),
		send: (input, values) =>
			apiSend("POST", apiPath`accounts/${text(input.accountId)}/refund-credit`, { amount: values.amount, reason: values.reason }),
	},
	"payments.unapply": {
		title: "Unapply payment",
		reason: "required",
		done: "unapplied",
		subject: (input) => `${text(input.provider)}:${text(input.paymentId)} from ${text(input.invoiceNumber)}`,
		send: (input, values) =>
			apiSend("POST", apiPath`payments/${`${text(input.provider)}:${text(input.paymentId)}`}/unapply`, {
				invoiceNumber: input.invoiceNumber,
				reason: values.reason,
			}),
	},
	"webhooks.disable": webhookOperation("disable", {
		title: "Disable endpoint",
		done: "disabled",
		warning: "Deliveries due while it is disabled are cancelled; once it is enabled again, Replay sends them.",
	}),
	"webhooks.enable": webhookOperation("enable", { title: "Enable endpoint", done: "enabled" }),
};

/** `stripe:pi_1` → the provider and its payment id, as the payment operations take them. */
export function paymentInput(id: string): { provider: string; paymentId: string } {
	const at = id.indexOf(":");
	return { provider: id.slice(0, at), paymentId: id.slice(at + 1) };
}
