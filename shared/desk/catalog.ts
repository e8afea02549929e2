import type { DeskOperation } from "./operation.js";
import { closeAccountOperation, refundCredit, updateAccount } from "./operations/accounts.js";
import { closeBooks } from "./operations/books.js";
import {
	creditMemo,
	hold,
	issueInvoice,
	reissue,
	release,
	resend,
	reverseWriteOffOperation,
	voidOperation,
	writeOff,
} from "./operations/invoices.js";
import { applyPayment, recordPayment, unapplyPayment } from "./operations/payments.js";
import { addUserOperation, disableUserOperation } from "./operations/users.js";
import {
	addWebhookEndpoint,
	disableWebhookEndpoint,
	enableWebhookEndpoint,
	replayWebhookEvents,
	rotateWebhookSecret,
} from "./operations/webhooks.js";
import { assignItem } from "./operations/worklist.js";

/**
 * Every action a person takes at the desk (DESIGN.md sections 9, 10 and 12), once. The
 * CLI's commands and the desk API are adapters over these; `GET /desk/api/me` lists the
 * names the caller's role may use.
 */
export const deskOperations = [
	updateAccount,
	closeAccountOperation,
	refundCredit,
	issueInvoice,
	reissue,
	hold,
	release,
	resend,
	voidOperation,
	creditMemo,
	writeOff,
	reverseWriteOffOperation,
	applyPayment,
	unapplyPayment,
	recordPayment,
	assignItem,
	closeBooks,
	addUserOperation,
	disableUserOperation,
	addWebhookEndpoint,
	disableWebhookEndpoint,
	enableWebhookEndpoint,
	rotateWebhookSecret,
	replayWebhookEvents,
] as const satisfies readonly DeskOperation[];

export function findOperation(name: string): DeskOperation | undefined {
	return (deskOperations as readonly DeskOperation[]).find((o) => o.name === name);
}
