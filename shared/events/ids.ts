import { randomBytes } from "node:crypto";

/** The last id's millisecond and counter: ids made in one millisecond by this process count up. */
let last = { ms: -1, counter: 0 };

/**
 * A new event id: `evt_` and a UUIDv7 (RFC 9562), whose first 48 bits are the Unix time in
 * milliseconds and next 12 a counter within the millisecond (the RFC's method 1), so ids sort
 * by when they were made, also the events of one transaction in the order they were built.
 * Built on Node's crypto: no package of the project makes version 7 ids.
 */
export function newEventId(now: Date = new Date()): string {
	const ms = Math.max(now.getTime(), last.ms);
	const bytes = randomBytes(16);
	// A new millisecond starts its counter low and random, leaving room to count up.
	const counter = ms === last.ms ? last.counter + 1 : bytes.readUInt16BE(6) & 0x7ff;
	last = counter > 0xfff ? { ms: ms + 1, counter: 0 } : { ms, counter };
	const time = BigInt(last.ms);
	for (let i = 0; i < 6; i++) bytes[i] = Number((time >> BigInt(8 * (5 - i))) & 0xffn);
	bytes[6] = 0x70 | (last.counter >> 8);
	bytes[7] = last.counter & 0xff;
	bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
	const hex = bytes.toString("hex");
	return `evt_${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
