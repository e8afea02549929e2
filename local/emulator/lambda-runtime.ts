import type { Context } from "aws-lambda";
import { type FunctionSpec, functionCatalog } from "../../functions/catalog.js";

export const LOCAL_ACCOUNT = "000000000000";
export const LOCAL_REGION = "us-east-1";

export function localFunctionArn(id: string): string {
	return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${id}`;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const loaded = new Map<string, Promise<Handler>>();

function specForArn(arn: string): FunctionSpec {
	const id = arn.split(":").at(-1);
	const spec = functionCatalog.find((f) => f.id === id);
	if (!spec) throw new Error(`no function ${id} in functions/catalog.ts (ARN ${arn})`);
	return spec;
}

function loadHandler(spec: FunctionSpec): Promise<Handler> {
	let handler = loaded.get(spec.id);
	if (!handler) {
		// Imported on first use, after the embedded stack has set the environment the handlers read.
		handler = import(`../../functions/${spec.dir}/handler.ts`).then((m: { handler: Handler }) => m.handler);
		loaded.set(spec.id, handler);
	}
	return handler;
}

function contextFor(spec: FunctionSpec): Context {
	const requestId = crypto.randomUUID();
	const deadline = Date.now() + spec.timeoutSeconds * 1000;
	return {
		callbackWaitsForEmptyEventLoop: false,
		functionName: spec.id,
		functionVersion: "$LATEST",
		invokedFunctionArn: localFunctionArn(spec.id),
		memoryLimitInMB: String(spec.memoryMb),
		awsRequestId: requestId,
		logGroupName: `/aws/lambda/${spec.id}`,
		logStreamName: `local/${requestId}`,
		getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
		done: () => undefined,
		fail: () => undefined,
		succeed: () => undefined,
	};
}

/**
 * Invokes a handler as Lambda would: JSON in, JSON out, the error's name kept as the
 * error type so the state machine's Retry and Catch match as on AWS.
 */
export async function invokeLocalFunction(arn: string, payload: unknown): Promise<unknown> {
	const spec = specForArn(arn);
	const handler = await loadHandler(spec);
	const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
	const result = await handler(event, contextFor(spec));
	return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
}
