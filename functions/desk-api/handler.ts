import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { SFNClient } from "@aws-sdk/client-sfn";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { handleDeskRequest } from "../../shared/desk/api.js";
import { bearerAuthenticator, userPoolConfig } from "../../shared/desk/identity.js";
import { deskRoutes } from "../../shared/desk/routes.js";
import { deskServices } from "../../shared/desk/services.js";
import { createClients } from "../../shared/platform/clients.js";
import { getRequiredEnv, storageConfig } from "../../shared/platform/config.js";
import { logger } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

/** Where the desk's routes are mounted, on the HTTP API and on the embedded front alike. */
export const DESK_API_BASE_PATH = "/desk/api";

const clients = createClients();
const sfn = new SFNClient({});
const deps = perStack(() => ({
	services: deskServices(clients, storageConfig()),
	authenticate: bearerAuthenticator(userPoolConfig()),
	runs: { sfn, stateMachineArn: getRequiredEnv("STATE_MACHINE_ARN") },
	reportFailure: (err: unknown) => logger.error("desk request failed", { error: err as Error }),
}));

/**
 * The desk API (HTTP API, payload 2.0, behind the pool's JWT authorizer deployed): the path
 * under /desk/api to shared/desk's routes, which verify the token again (the same check
 * embedded, where no authorizer runs) and check the caller's role per operation.
 */
export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
	const path = event.rawPath.startsWith(DESK_API_BASE_PATH) ? event.rawPath.slice(DESK_API_BASE_PATH.length) || "/" : event.rawPath;
	const body = event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8").toString("utf8");
	const response = await handleDeskRequest(deps(), deskRoutes, {
		method: event.requestContext.http.method,
		path,
		query: new URLSearchParams(event.rawQueryString ?? ""),
		...(event.headers?.authorization ? { authorization: event.headers.authorization } : {}),
		...(body !== undefined ? { body } : {}),
	});
	logger.info("desk request", { method: event.requestContext.http.method, route: path.split("/")[1], status: response.status });
	return { statusCode: response.status, headers: { ...response.headers }, body: response.body };
}).use(injectLambdaContext(logger, { resetKeys: true }));
