import { type SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";

/** A composed MIME message (attachments included) and its one recipient. */
export interface RawEmail {
	readonly to: string;
	readonly raw: Uint8Array;
}

/** Sends through SES from the seller's address; answers SES's message id. */
export async function sendRawEmail(ses: SESClient, from: string, email: RawEmail): Promise<string | undefined> {
	const out = await ses.send(new SendRawEmailCommand({ Source: from, Destinations: [email.to], RawMessage: { Data: email.raw } }));
	return out.MessageId;
}
