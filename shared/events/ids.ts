import { randomBytes } from "node:crypto";

/**
 * A new event id: `evt_` and a UUIDv7 (RFC 9562), whose first 48 bits are the Unix time in
 * milliseconds, so ids sort by when they were made. Built on Node's crypto: no package of the
 * project makes version 7 ids.
 */
export function newEventId(now: Date = new Date()): string {
	const bytes = randomBytes(16);
	const ms = BigInt(now.getTime());
	for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
	bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
	bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
	const hex = bytes.toString("hex");
	return `evt_${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
