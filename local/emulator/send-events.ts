import { LOCAL_ACCOUNT, LOCAL_REGION } from "./lambda-runtime.js";
import type { AcceptedMessage } from "./ses-mail-log.js";

/**
 * SES's send events, embedded: each message the local SES accepted through this stack's
 * configuration set (its mail log, ses-mail-log.ts) is handed to the EmailEvents handler as
 * the "Email Sent" event SES publishes to EventBridge deployed, so the same code settles the
 * deliveries a crash left claimed and unmarked. From the log's start, each time the stack
 * starts (the handler is idempotent), then as messages arrive.
 */

const POLL_MS = 250;

/** The event SES puts on EventBridge for a message it accepted (the fields the handler reads, and their neighbours). */
function sesSendEvent(message: AcceptedMessage, configurationSet: string): Record<string, unknown> {
	const tags: Record<string, string[]> = { "ses:configuration-set": [configurationSet] };
	for (const [name, value] of Object.entries(message.tags)) tags[name] = [value];
	return {
		version: "0",
		id: crypto.randomUUID(),
		"detail-type": "Email Sent",
		source: "aws.ses",
		account: LOCAL_ACCOUNT,
		time: message.at,
		region: LOCAL_REGION,
		resources: [`arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:configuration-set/${configurationSet}`],
		detail: {
			eventType: "Send",
			mail: { timestamp: message.at, messageId: message.messageId, destination: message.destinations, tags },
			send: {},
		},
	};
}

export interface SendEventFeed {
	stop(): Promise<void>;
}

/** Feeds this stack's sends to `handle`; resolves once what the log held at the start is handled. */
export async function feedSendEvents(options: {
	readonly ses: string;
	readonly configurationSet: string;
	readonly handle: (event: Record<string, unknown>) => Promise<unknown>;
}): Promise<SendEventFeed> {
	let cursor = 0;
	let stopped = false;
	const feedOnce = async () => {
		const res = await fetch(`${options.ses}/sent?since=${cursor}`);
		if (!res.ok) throw new Error(`the SES mail log answered ${res.status}`);
		const { sent } = (await res.json()) as { sent: AcceptedMessage[] };
		for (const message of sent) {
			if (message.configurationSet === options.configurationSet) await options.handle(sesSendEvent(message, options.configurationSet));
			cursor++;
		}
	};
	// A failed round is said, and the next one tries again from where it stopped.
	const feed = () =>
		feedOnce().catch((err: unknown) => {
			process.stderr.write(`send events: ${(err as Error).message}; trying again\n`);
		});
	await feed();
	let running: Promise<void> = Promise.resolve();
	const timer = setInterval(() => {
		running = running.then(async () => {
			if (!stopped) await feed();
		});
	}, POLL_MS);
	timer.unref();
	return {
		async stop() {
			stopped = true;
			clearInterval(timer);
			await running;
		},
	};
}
