import type { CfnElement } from "aws-cdk-lib";
import { Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { buildBillingApp } from "../../infra/billing-app.js";
import {
	cdkJson,
	deskStack,
	type Json,
	ofType,
	only,
	publicBuckets,
	type Resource,
	statementsOf,
	stubDeskAppDir,
} from "../support/desk-stack.js";

/**
 * DESIGN.md section 12, deployed: the desk's user pool (no self sign-up, a group per role) and
 * its API routes behind a JWT authorizer of that pool, built in a stack of their own around the
 * webhook HTTP API and a stand-in function (test/support/desk-stack.ts, with the hosting of
 * test/infra/desk-hosting.test.ts); the pool is also checked as the billing stack builds it.
 */

/** The desk routes (`<METHOD> /desk...`) of a template that are not behind a JWT authorizer. */
function unauthorizedDeskRoutes(resources: Record<string, Resource>): string[] {
	return ofType(resources, "AWS::ApiGatewayV2::Route")
		.map(([, r]) => r.Properties)
		.filter((route) => String(route.RouteKey).split(" ")[1]?.startsWith("/desk"))
		.filter((route) => route.AuthorizationType !== "JWT" || route.AuthorizerId === undefined)
		.map((route) => String(route.RouteKey));
}

const desk = deskStack();
const { resources, logicalId, users } = desk;
const poolId = logicalId(users.userPool);
const clientId = logicalId(users.client);
const resolve = (value: unknown) => desk.stack.resolve(value);

describe("the desk's user pool (DeskUsers)", () => {
	const pool = resources[poolId] as Resource;

	it("lets only an admin create users, who sign in with their email address as the username itself (not an alias)", () => {
		expect(pool.Properties.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
		// With UsernameAttributes or AliasAttributes the username would be a UUID or something else than the email.
		expect(pool.Properties).not.toHaveProperty("UsernameAttributes");
		expect(pool.Properties).not.toHaveProperty("AliasAttributes");
		expect(pool.Properties.UsernameConfiguration).toEqual({ CaseSensitive: false });
		expect(pool.Properties.Schema).toEqual([{ Name: "email", Required: true, Mutable: true }]);
		expect(pool.Properties.AccountRecoverySetting).toEqual({ RecoveryMechanisms: [{ Name: "verified_email", Priority: 1 }] });
	});

	it("asks for a strong password, with a temporary one valid 7 days, and refuses breached passwords and high-risk sign-ins (Plus plan)", () => {
		expect(pool.Properties.Policies).toEqual({
			PasswordPolicy: {
				MinimumLength: 12,
				RequireLowercase: true,
				RequireUppercase: true,
				RequireNumbers: true,
				RequireSymbols: true,
				PasswordHistorySize: 5,
				TemporaryPasswordValidityDays: 7,
			},
		});
		expect(pool.Properties.UserPoolTier).toBe("PLUS");
		expect(pool.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: "ENFORCED" });
		const [, risk] = only(resources, "AWS::Cognito::UserPoolRiskConfigurationAttachment");
		expect(risk).toEqual({
			UserPoolId: { Ref: poolId },
			ClientId: "ALL",
			CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: "BLOCK" } },
			AccountTakeoverRiskConfiguration: {
				Actions: {
					HighAction: { EventAction: "BLOCK", Notify: false },
					MediumAction: { EventAction: "NO_ACTION", Notify: false },
					LowAction: { EventAction: "NO_ACTION", Notify: false },
				},
			},
		});
	});

	it("outlives the stack: deletion protection and a Retain policy", () => {
		expect(pool.Properties.DeletionProtection).toBe("ACTIVE");
		expect(pool.DeletionPolicy).toBe("Retain");
	});

	it("has the groups admin, billing and viewer, each described, the stronger role first", () => {
		const groups = ofType(resources, "AWS::Cognito::UserPoolGroup").map(([, r]) => r.Properties);
		expect(groups.map((g) => [g.GroupName, g.Precedence]).sort()).toEqual([
			["admin", 0],
			["billing", 1],
			["viewer", 2],
		]);
		for (const group of groups) {
			expect(group.UserPoolId).toEqual({ Ref: poolId });
			expect(String(group.Description).length).toBeGreaterThan(20);
		}
	});

	it("has one client, for the browser: no secret, USER_PASSWORD_AUTH and refresh only, no OAuth, 1-hour access tokens", () => {
		const [, client] = only(resources, "AWS::Cognito::UserPoolClient");
		expect(client).toMatchObject({
			UserPoolId: { Ref: poolId },
			GenerateSecret: false,
			ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
			AllowedOAuthFlowsUserPoolClient: false,
			PreventUserExistenceErrors: "ENABLED",
			EnableTokenRevocation: true,
			AccessTokenValidity: 60,
			TokenValidityUnits: { AccessToken: "minutes" },
		});
		expect(client).not.toHaveProperty("AllowedOAuthFlows");
	});

	it("names its issuer as the pool's tokens carry it", () => {
		expect(resolve(users.issuerUrl)).toEqual({
			"Fn::Join": ["", ["https://cognito-idp.", { Ref: "AWS::Region" }, ".", { Ref: "AWS::URLSuffix" }, "/", { Ref: poolId }]],
		});
	});

	it("grants user administration as exactly the actions `billing users` needs, on this pool only", () => {
		const roleId = logicalId(desk.userAdmin);
		const statements = ofType(resources, "AWS::IAM::Policy")
			.filter(([, r]) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
			.flatMap(([, r]) => statementsOf(r));
		expect(statements).toEqual([
			{
				Effect: "Allow",
				Action: [
					"cognito-idp:AdminAddUserToGroup",
					"cognito-idp:AdminCreateUser",
					"cognito-idp:AdminDisableUser",
					"cognito-idp:AdminListGroupsForUser",
					"cognito-idp:ListUsers",
					"cognito-idp:ListUsersInGroup",
				],
				Resource: { "Fn::GetAtt": [poolId, "Arn"] },
			},
		]);
	});
});

describe("the desk API's routes (DeskApi)", () => {
	const deskRoutes = ofType(resources, "AWS::ApiGatewayV2::Route")
		.map(([, r]) => r.Properties)
		.filter((route) => String(route.RouteKey).includes(" /desk"));

	it("sends every path under /desk/api/ to the desk function", () => {
		expect(deskRoutes.map((route) => route.RouteKey)).toEqual(["ANY /desk/api/{proxy+}"]);
		const [route] = deskRoutes as [Json];
		const integrationId = (route.Target as { "Fn::Join": [string, [string, { Ref: string }]] })["Fn::Join"][1][1].Ref;
		expect(resources[integrationId]?.Properties).toMatchObject({
			IntegrationType: "AWS_PROXY",
			PayloadFormatVersion: "2.0",
			IntegrationUri: { "Fn::GetAtt": [logicalId(desk.stack.node.findChild("Handler")), "Arn"] },
		});
	});

	it("lets no request to a desk route through without an access token of the desk's pool, issued to its client", () => {
		expect(unauthorizedDeskRoutes(resources)).toEqual([]);
		for (const route of deskRoutes) {
			// ID tokens have no scope, so this keeps them out.
			expect(route.AuthorizationScopes).toEqual(["aws.cognito.signin.user.admin"]);
			const authorizer = resources[(route.AuthorizerId as { Ref: string }).Ref]?.Properties;
			expect(authorizer).toEqual({
				ApiId: route.ApiId,
				AuthorizerType: "JWT",
				Name: "DeskUsers",
				IdentitySource: ["$request.header.Authorization"],
				JwtConfiguration: { Issuer: resolve(users.issuerUrl), Audience: [{ Ref: clientId }] },
			});
		}
	});

	it("finds a desk route left open (the check is live)", () => {
		expect(unauthorizedDeskRoutes(deskStack({ unauthorizedDeskRoute: true }).resources)).toEqual(["GET /desk/api/forgotten"]);
	});

	it("has no CORS and no OPTIONS route: the app calls it on its own origin, through the distribution", () => {
		const [, api] = only(resources, "AWS::ApiGatewayV2::Api");
		expect(api).not.toHaveProperty("CorsConfiguration");
		expect(deskRoutes.filter((route) => String(route.RouteKey).startsWith("OPTIONS"))).toEqual([]);
	});
});

describe("cdk-nag (AwsSolutions) on the desk's constructs", () => {
	it("reports no unacknowledged errors or warnings, and every acknowledgement has a reason", () => {
		const report = desk.nag.validateScope(desk.app);
		expect(
			report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`),
		).toEqual([]);
		const acknowledgements = desk.app.node
			.findAll()
			.flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
			.flatMap((m) => Object.entries(m.data as Record<string, unknown>));
		for (const [id, reason] of acknowledgements) expect(typeof reason === "string" && reason.trim().length >= 40, id).toBe(true);
	});
});

describe("the billing stack's desk", () => {
	const { stack } = buildBillingApp({ deskAppDir: stubDeskAppDir(), context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] } });
	// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
	const template = Template.fromStack(stack);
	const billing = template.toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> };
	const billingId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

	it("has the desk's user pool with no self sign-up and the three groups", () => {
		const [id, pool] = only(billing.Resources, "AWS::Cognito::UserPool");
		expect(id).toBe(billingId(stack.deskUsers.userPool));
		expect(pool.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
		expect(
			ofType(billing.Resources, "AWS::Cognito::UserPoolGroup")
				.map(([, r]) => r.Properties.GroupName)
				.sort(),
		).toEqual(["admin", "billing", "viewer"]);
	});

	it("alarms on the desk API's 5xx answers, which the function's Errors metric never sees, on the operators' topic", () => {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/ApiGateway",
			MetricName: "5xx",
			Dimensions: [{ Name: "ApiId", Value: { Ref: billingId(stack.deskApi.api) } }],
			Statistic: "Sum",
			Period: 300,
			Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			TreatMissingData: "notBreaching",
			AlarmActions: [{ Ref: billingId(stack.monitoring.topic) }],
		});
	});

	it("tells the CLI the pool and its client (outputs)", () => {
		expect(billing.Outputs.DeskUserPoolId?.Value).toEqual({ Ref: billingId(stack.deskUsers.userPool) });
		expect(billing.Outputs.DeskUserPoolClientId?.Value).toEqual({ Ref: billingId(stack.deskUsers.client) });
	});

	it("leaves no bucket public", () => {
		expect(ofType(billing.Resources, "AWS::S3::Bucket").length).toBeGreaterThan(0);
		expect(publicBuckets(billing.Resources)).toEqual([]);
	});

	it("puts every desk route on the desk's own API behind the pool's JWT authorizer, and none on the webhooks' API", () => {
		const routes = ofType(billing.Resources, "AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties);
		const desk = routes.filter((r) => String(r.RouteKey).includes("/desk"));
		expect(desk.map((r) => r.RouteKey)).toEqual(["ANY /desk/api/{proxy+}"]);
		for (const route of desk) {
			expect(route).toMatchObject({ AuthorizationType: "JWT", ApiId: { Ref: billingId(stack.deskApi.api) } });
		}
		const [, authorizer] = only(billing.Resources, "AWS::ApiGatewayV2::Authorizer");
		expect(authorizer).toMatchObject({
			AuthorizerType: "JWT",
			ApiId: { Ref: billingId(stack.deskApi.api) },
			JwtConfiguration: { Audience: [{ Ref: billingId(stack.deskUsers.client) }] },
		});
		const webhookRoutes = routes.filter((r) => JSON.stringify(r.ApiId) === JSON.stringify({ Ref: billingId(stack.webhookApi.api) }));
		expect(webhookRoutes.map((r) => r.RouteKey).sort()).toEqual(["POST /webhooks/gocardless", "POST /webhooks/stripe"]);
	});

	it("gives the DeskApi function the pool to verify tokens and manage users with, and the billing cycle's runs to read, nothing wider", () => {
		const fnId = billingId(stack.functions.DeskApi?.function as IConstruct);
		const fn = billing.Resources[fnId] as Resource;
		const variables = (fn.Properties.Environment as { Variables: Json }).Variables;
		expect(variables).toMatchObject({
			DESK_USER_POOL_ID: { Ref: billingId(stack.deskUsers.userPool) },
			DESK_USER_POOL_CLIENT_ID: { Ref: billingId(stack.deskUsers.client) },
			STATE_MACHINE_ARN: expect.anything(),
		});
		const roleId = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
		const statements = ofType(billing.Resources, "AWS::IAM::Policy")
			.filter(([, r]) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
			.flatMap(([, r]) => statementsOf(r));
		const of = (prefix: string) => statements.filter((st) => [st.Action].flat().some((a) => String(a).startsWith(prefix)));
		expect(of("cognito-idp:")).toEqual([
			{
				Effect: "Allow",
				Action: [
					"cognito-idp:AdminAddUserToGroup",
					"cognito-idp:AdminCreateUser",
					"cognito-idp:AdminDisableUser",
					"cognito-idp:AdminListGroupsForUser",
					"cognito-idp:ListUsers",
					"cognito-idp:ListUsersInGroup",
				],
				Resource: { "Fn::GetAtt": [billingId(stack.deskUsers.userPool), "Arn"] },
			},
		]);
		const states = of("states:");
		expect(states.map((st) => st.Action)).toEqual([
			"states:ListExecutions",
			["states:DescribeExecution", "states:DescribeStateMachineForExecution", "states:GetExecutionHistory"],
		]);
		expect(JSON.stringify(states[0]?.Resource)).toContain(":stateMachine:");
		expect(JSON.stringify(states[1]?.Resource)).toMatch(/:execution:[^"]*:\*/);
	});
});
