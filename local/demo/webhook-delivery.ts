import { postStripeEvent } from "../cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../emulator/environment.js";

/** One webhook the demo posted and what the webhook front answered. */
export interface WebhookDelivery {
	readonly kind: string;
	readonly invoiceNumber?: string;
	readonly status: number;
	/** The handler's result (e.g. applied, duplicate, unapplied), or "rejected" when it answered other than 200. */
	readonly result: string;
}

/** Posts a signed Stripe event to the webhook front, as Stripe would, and records the answer. */
export async function deliverStripeEvent(
	httpUrl: string,
	kind: string,
	event: unknown,
	invoiceNumber?: string,
	secret = LOCAL_STRIPE_WEBHOOK_SECRET,
): Promise<WebhookDelivery> {
	const res = await postStripeEvent(httpUrl, event, secret);
	const result = res.status === 200 ? String((JSON.parse(res.body) as { result: string }).result) : "rejected";
	return { kind, ...(invoiceNumber ? { invoiceNumber } : {}), status: res.status, result };
}
