import type { Context } from "aws-lambda";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";

/** What a step handler writes, returns and throws: no customer email address in any of it (DESIGN.md section 11). */

type StepHandler = typeof import("../../../shared/platform/lambda.js").stepHandler;
let stepHandler: StepHandler;
let logger: typeof import("../../../shared/platform/lambda.js").logger;

beforeAll(async () => {
	process.env.POWERTOOLS_LOG_LEVEL = "INFO";
	({ stepHandler, logger } = await import("../../../shared/platform/lambda.js"));
});

afterEach(() => {
	vi.restoreAllMocks();
});

const context = { functionName: "Step", awsRequestId: "req-1", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** What the logger writes: info to stdout, errors to stderr. */
function captureOutput(): string[] {
	const lines: string[] = [];
	for (const stream of [process.stdout, process.stderr]) {
		vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
			lines.push(String(chunk));
			return true;
		});
	}
	return lines;
}

describe("stepHandler and the logger", () => {
	it("masks addresses in the step's output and in the log line that reports it", async () => {
		const lines = captureOutput();
		const handler = stepHandler("Deliver", z.object({}), async () => ({
			failedAccounts: [{ accountId: "ACC-7", reason: 'invoice INV-1 not delivered: invalid email address "ap@acme.example.com"' }],
		}));
		const output = await handler({}, context);
		expect(output.failedAccounts[0]?.reason).toBe('invoice INV-1 not delivered: invalid email address "a***@acme.example.com"');
		const logged = lines.join("");
		expect(logged).toContain("Deliver done");
		expect(logged).toContain("a***@acme.example.com");
		expect(logged).not.toContain("ap@acme.example.com");
	});

	it("masks addresses in the error the state's Cause shows", async () => {
		captureOutput();
		const handler = stepHandler("Deliver", z.object({}), async () => {
			throw new Error("sending invoice INV-1 failed: Email address is not verified: ap@acme.example.com");
		});
		const error = await handler({}, context).catch((err: unknown) => err as Error);
		expect(error.message).toBe("sending invoice INV-1 failed: Email address is not verified: a***@acme.example.com");
		expect(error.stack).not.toContain("ap@acme.example.com");
	});

	it("masks addresses in whatever a function logs, errors included", () => {
		const lines = captureOutput();
		logger.error("delivery failed", { recipient: "ap@acme.example.com", error: new Error("rejected ap@acme.example.com") });
		const logged = lines.join("");
		expect(logged).toContain("a***@acme.example.com");
		expect(logged).not.toContain("ap@acme.example.com");
	});
});
