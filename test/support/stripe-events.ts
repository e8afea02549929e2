/**
 * Stripe events as a test posts them, signed by the caller: each builder numbers its events
 * (`evt_<prefix>_<n>`) so a file's ids never meet another's in a shared table.
 */
export function stripeEvents(prefix: string) {
	let seq = 0;
	const event = (type: string, object: Record<string, unknown>) => {
		seq += 1;
		return { id: `evt_${prefix}_${seq}`, object: "event", type, created: Math.floor(Date.now() / 1000), data: { object } };
	};
	return {
		event,
		paymentIntent: (id: string, amount: number, metadata: Record<string, string>, currency = "usd") =>
			event("payment_intent.succeeded", { id, object: "payment_intent", amount_received: amount, currency, metadata }),
		refund: (pi: string, amountRefunded: number) =>
			event("charge.refunded", { id: `ch_${pi}`, object: "charge", amount_refunded: amountRefunded, currency: "usd", payment_intent: pi }),
		dispute: (type: "created" | "closed", pi: string, amount: number, status: string) =>
			event(`charge.dispute.${type}`, {
				id: `dp_${pi}`,
				object: "dispute",
				amount,
				currency: "usd",
				charge: `ch_${pi}`,
				payment_intent: pi,
				reason: "fraudulent",
				status,
			}),
	};
}
