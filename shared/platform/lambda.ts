import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { ValidationError } from "../core/errors.js";
import { maskEmailAddresses, maskEmailAddressesIn } from "../core/redact.js";

/**
 * The functions' logger. Every string it writes has its email addresses masked (failure
 * reasons name the address delivery refused, errors quote what they could not parse), so a
 * log line never carries a customer's address (DESIGN.md section 11).
 */
export const logger = new Logger({
	serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "billing",
	jsonReplacerFn: (_key, value) => (typeof value === "string" ? maskEmailAddresses(value) : value),
});

/** The error as Lambda reports it (the state's Cause in the execution history), its addresses masked. */
function masked(err: unknown): unknown {
	if (err instanceof Error) {
		err.message = maskEmailAddresses(err.message);
		if (err.stack) err.stack = maskEmailAddresses(err.stack);
	}
	return err;
}

export function parseInput<S extends z.ZodType>(schema: S, event: unknown, what: string): z.infer<S> {
	const result = schema.safeParse(event);
	if (!result.success) {
		const details = result.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ");
		throw new ValidationError(`invalid ${what} input: ${details}`);
	}
	return result.data;
}

/**
 * A Step Functions task: input validated with the step's schema, Powertools logger with
 * the Lambda context, the domain call, a small typed output. The output and the error go
 * into the execution's history, so their email addresses are masked.
 */
export function stepHandler<S extends z.ZodType, O>(name: string, schema: S, run: (input: z.infer<S>, context: Context) => Promise<O>) {
	return middy(async (event: unknown, context: Context): Promise<O> => {
		let output: O;
		try {
			const input = parseInput(schema, event, name);
			output = maskEmailAddressesIn(await run(input, context));
		} catch (err) {
			throw masked(err);
		}
		logger.info(`${name} done`, { output: output as Record<string, unknown> });
		return output;
	}).use(injectLambdaContext(logger, { resetKeys: true }));
}
