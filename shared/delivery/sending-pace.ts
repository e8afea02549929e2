import { setTimeout as sleep } from "node:timers/promises";
import type { SendingRate } from "../platform/config.js";

/**
 * One sender's share of the account's SES sending rate (DESIGN.md section 11): the
 * Distributed Map runs up to `senders` deliveries at once, each sends at most
 * `perSecond / senders` emails a second, so all of them together stay under SES's rate.
 * A token bucket holding one token: a sender never sends two emails closer together than
 * its interval, so its burst is a single email.
 */
export class SendingPace {
	/** Emails a second this sender may send. */
	readonly share: number;
	private tokens = 1;
	private refilledAt: number;

	constructor(
		rate: SendingRate,
		private readonly clock: () => number = Date.now,
	) {
		this.share = rate.perSecond / rate.senders;
		this.refilledAt = clock();
	}

	/** Waits until this sender may send its next email, and takes the turn. */
	async turn(): Promise<void> {
		for (;;) {
			const now = this.clock();
			this.tokens = Math.min(1, this.tokens + ((now - this.refilledAt) / 1000) * this.share);
			this.refilledAt = now;
			if (this.tokens >= 1) {
				this.tokens -= 1;
				return;
			}
			await sleep(Math.ceil(((1 - this.tokens) / this.share) * 1000));
		}
	}
}

/** SES's answer when a send goes over the account's rate ("Maximum sending rate exceeded"). */
export function isSesThrottle(err: unknown): boolean {
	const name = (err as { name?: string } | undefined)?.name;
	return (
		name === "Throttling" ||
		name === "ThrottlingException" ||
		/maximum sending rate exceeded/i.test((err as Error | undefined)?.message ?? "")
	);
}

/** Throttled sends are tried again this many times, waiting longer each time, before the batch gives up as transient. */
const THROTTLE_RETRIES = 6;
const THROTTLE_BACKOFF_MS = 250;

/**
 * Sends when the pace allows (at once without one); a send SES throttles waits (backing
 * off, with jitter) and goes again. Its delivery stays claimed meanwhile, so nothing else
 * sends it; after the last retry the throttle is thrown, the claim released and the state
 * machine's retry sends it later: never dropped, never sent twice.
 */
export async function sendPaced<T>(pace: SendingPace | undefined, send: () => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		await pace?.turn();
		try {
			return await send();
		} catch (err) {
			if (!isSesThrottle(err) || attempt >= THROTTLE_RETRIES) throw err;
			await sleep(THROTTLE_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2));
		}
	}
}
