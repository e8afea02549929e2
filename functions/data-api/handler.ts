import { IdempotencyAlreadyInProgressError, IdempotencyValidationError, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { TransientError, ValidationError } from "../../shared/core/errors.js";
import { ImportRefused, type ImportSource, importFiles } from "../../shared/imports/import.js";
import { jsonBodySource } from "../../shared/imports/sources.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { logger } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { requestIdempotency } from "../../shared/store/idempotency.js";
import { isCancelled } from "../../shared/store/transact.js";

const ddb = createDocumentClient();

/** Records a request may carry: one account (its id is the path's), up to 1,000 charges (DESIGN.md section 8). */
const MAX_CHARGES = 1000;

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
	return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The request as an import of one kind, or undefined for a route the API does not have. */
function sourceOf(event: APIGatewayProxyEventV2WithIAMAuthorizer, body: string): ImportSource | undefined {
	const route = `${event.requestContext.http.method} ${event.rawPath}`;
	const account = /^PUT \/accounts\/([^/]+)$/.exec(route);
	if (account) {
		let id: string;
		try {
			id = decodeURIComponent(account[1] as string);
		} catch {
			throw new ValidationError(`${account[1]} is not an account id`);
		}
		return jsonBodySource(`PUT /accounts/${id}`, "accounts", body, { max: 1, fields: { account_id: id } });
	}
	if (route === "POST /charges") {
		return jsonBodySource(`POST /charges ${event.requestContext.requestId}`, "charges", body, { max: MAX_CHARGES });
	}
	return undefined;
}

/** A request's answer once it is final: 200 with the counts, 400 with every error (nothing written), 404. */
async function answer(
	event: APIGatewayProxyEventV2WithIAMAuthorizer,
	caller: string,
	body: string,
): Promise<APIGatewayProxyStructuredResultV2> {
	try {
		const source = sourceOf(event, body);
		if (!source) return json(404, { message: "Not Found" });
		const result = await importFiles({ ddb, tableName: stack().tableName, actor: `iam:${caller}` }, [source]);
		logger.info("records imported", { route: source.name, importId: result.importId, counts: result.counts });
		return json(200, result);
	} catch (err) {
		// The errors quote the records' values (addresses among them): they go to the caller, not the log.
		if (err instanceof ImportRefused) {
			logger.info("records refused", { errorCount: err.errorCount });
			return json(400, { errors: err.errors, errorCount: err.errorCount });
		}
		if (err instanceof ValidationError) {
			logger.info("request refused", { errorCount: 1 });
			return json(400, { errors: [err.message], errorCount: 1 });
		}
		throw err;
	}
}

/** The table, and the answer kept under the caller's Idempotency-Key; what throws (409, 500) is not kept, so a retry runs again. */
const stack = perStack(() => {
	const tableName = getRequiredEnv("TABLE_NAME");
	const idempotency = requestIdempotency(tableName, "data-api");
	const answerOnce = makeIdempotent(
		(request: { caller: string; key: string; request: { route: string; body: string } }, event: APIGatewayProxyEventV2WithIAMAuthorizer) =>
			answer(event, request.caller, request.request.body),
		{ ...idempotency, dataIndexArgument: 0 },
	);
	return { tableName, idempotency, answerOnce };
});

/** What an Idempotency-Key may be: printable ASCII, as Stripe and the IETF draft allow. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The data API (IAM-authorized HTTP API, payload 2.0): `PUT /accounts/{id}` and
 * `POST /charges`, each an import of the posted records with the same fields, rules and
 * audit as a file, the caller's IAM identity as actor. 200 with the import's counts; 400
 * with every error (`line N` is record N) and nothing written; 409 when a record kept
 * changing while being written (send it again). With an `Idempotency-Key` header, a retry
 * of the same request gets the first answer (24 hours); the key with another request is 422,
 * and while the first is still running 409.
 */
export const handler = middy(
	async (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
		const caller = event.requestContext.authorizer?.iam?.userArn;
		// The routes are IAM-authorized: API Gateway passes nothing it has not authenticated.
		if (!caller) return json(403, { message: "Forbidden" });
		const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8").toString("utf8");
		const key = event.headers?.["idempotency-key"];
		try {
			if (key === undefined) return await answer(event, caller, body);
			if (!IDEMPOTENCY_KEY.test(key)) return json(400, { errors: ["Idempotency-Key: 1-255 printable ASCII characters"], errorCount: 1 });
			const { idempotency, answerOnce } = stack();
			idempotency.config.registerLambdaContext(context);
			return await answerOnce({ caller, key, request: { route: `${event.requestContext.http.method} ${event.rawPath}`, body } }, event);
		} catch (err) {
			if (isCancelled(err) || err instanceof TransientError) {
				logger.info("records changed while being written", { error: String(err) });
				return json(409, { errors: ["a record kept changing while this request was being written; send it again"], errorCount: 1 });
			}
			if (err instanceof IdempotencyAlreadyInProgressError) {
				return json(409, {
					errors: ["a request with this Idempotency-Key is still being answered; send it again when it is done"],
					errorCount: 1,
				});
			}
			if (err instanceof IdempotencyValidationError) {
				return json(422, { errors: ["this Idempotency-Key was used for another request; use a new key for a new request"], errorCount: 1 });
			}
			throw err;
		}
	},
)
	.use(injectLambdaContext(logger, { resetKeys: true }))
	// Anything else is ours: logged as an error (alarmed), answered 500 without its details.
	.use(httpErrorHandler({ logger: (err: unknown) => logger.error("data api failed", { error: err as Error }) }));
