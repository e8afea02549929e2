import { describe, expect, it } from "vitest";
import { isSesThrottle, SendingPace, sendPaced } from "../../../shared/delivery/sending-pace.js";
import { sendingRate } from "../../../shared/platform/config.js";

const throttle = () => Object.assign(new Error("Maximum sending rate exceeded."), { name: "Throttling" });

describe("sendingRate (SES_MAX_SEND_RATE, SES_CONCURRENT_SENDERS)", () => {
	it("reads the rate and the senders that share it; unset, nothing is paced", () => {
		expect(sendingRate({ SES_MAX_SEND_RATE: "14.5", SES_CONCURRENT_SENDERS: "100" })).toEqual({ perSecond: 14.5, senders: 100 });
		expect(sendingRate({ SES_MAX_SEND_RATE: "200" })).toEqual({ perSecond: 200, senders: 1 });
		expect(sendingRate({})).toBeUndefined();
	});

	it("names the variable that is wrong", () => {
		expect(() => sendingRate({ SES_MAX_SEND_RATE: "0" })).toThrow(/SES_MAX_SEND_RATE must be a positive number/);
		expect(() => sendingRate({ SES_MAX_SEND_RATE: "10", SES_CONCURRENT_SENDERS: "0" })).toThrow(/SES_CONCURRENT_SENDERS/);
	});
});

describe("SendingPace", () => {
	it("gives each sender its share of the rate, one email at a time", async () => {
		// 200 a second shared by 4: 50 each, one every 20 ms.
		const pace = new SendingPace({ perSecond: 200, senders: 4 });
		expect(pace.share).toBe(50);
		const started = Date.now();
		await Promise.all(Array.from({ length: 11 }, () => pace.turn()));
		// The first goes at once, the other 10 each 20 ms after the one before.
		expect(Date.now() - started).toBeGreaterThanOrEqual(195);
	});
});

describe("sendPaced", () => {
	it("sends again what SES throttled, and answers the send that went", async () => {
		let calls = 0;
		const id = await sendPaced(undefined, async () => {
			calls += 1;
			if (calls <= 2) throw throttle();
			return "message-1";
		});
		expect(id).toBe("message-1");
		expect(calls).toBe(3);
	});

	it("leaves any other error to the delivery (a permanent rejection is recorded, not retried here)", async () => {
		let calls = 0;
		const rejected = Object.assign(new Error("Email address is not verified."), { name: "MessageRejected" });
		await expect(
			sendPaced(undefined, async () => {
				calls += 1;
				throw rejected;
			}),
		).rejects.toBe(rejected);
		expect(calls).toBe(1);
	});

	it("knows SES's throttling answer by its code or its message", () => {
		expect(isSesThrottle(throttle())).toBe(true);
		expect(isSesThrottle(new Error("Maximum sending rate exceeded."))).toBe(true);
		expect(isSesThrottle(Object.assign(new Error("x"), { name: "MessageRejected" }))).toBe(false);
	});
});
