import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { ValidationError } from "../core/errors.js";

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "billing" });

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
 * the Lambda context, the domain call, a small typed output.
 */
export function stepHandler<S extends z.ZodType, O>(name: string, schema: S, run: (input: z.infer<S>, context: Context) => Promise<O>) {
	return middy(async (event: unknown, context: Context): Promise<O> => {
		const input = parseInput(schema, event, name);
		const output = await run(input, context);
		logger.info(`${name} done`, { output: output as Record<string, unknown> });
		return output;
	}).use(injectLambdaContext(logger, { resetKeys: true }));
}
