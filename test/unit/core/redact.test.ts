import { describe, expect, it } from "vitest";
import { maskEmailAddresses, maskEmailAddressesIn } from "../../../shared/core/redact.js";

describe("maskEmailAddresses", () => {
	it("keeps the first character and the domain of every address", () => {
		expect(maskEmailAddresses("SES rejected ap@acme.example.com: Address blacklisted")).toBe(
			"SES rejected a***@acme.example.com: Address blacklisted",
		);
		expect(maskEmailAddresses('invalid email address "j.doe+billing@example.co.uk"')).toBe('invalid email address "j***@example.co.uk"');
		expect(maskEmailAddresses("to a@b.io and billing@x.org")).toBe("to a***@b.io and b***@x.org");
	});

	it("masks addresses that are not well formed too", () => {
		expect(maskEmailAddresses('invalid email address "ap@acme"')).toBe('invalid email address "a***@acme"');
		expect(maskEmailAddresses("ap@@acme.com")).toBe("a***@@acme.com");
	});

	it("is idempotent and leaves text without an address, and package paths, alone", () => {
		const once = maskEmailAddresses("ap@acme.example.com");
		expect(maskEmailAddresses(once)).toBe(once);
		for (const text of ["INV-2026-000001 not delivered", "at file:///app/node_modules/@aws-sdk/client-ses/dist/index.js:10", "@ alone"]) {
			expect(maskEmailAddresses(text)).toBe(text);
		}
	});

	it("masks every string of a JSON value and leaves the value itself unchanged", () => {
		const value = { failedAccounts: [{ accountId: "ACC-7", reason: "SES rejected ap@acme.example.com" }], count: 1, ok: true, none: null };
		expect(maskEmailAddressesIn(value)).toEqual({
			failedAccounts: [{ accountId: "ACC-7", reason: "SES rejected a***@acme.example.com" }],
			count: 1,
			ok: true,
			none: null,
		});
		expect(value.failedAccounts[0]?.reason).toBe("SES rejected ap@acme.example.com");
	});
});
