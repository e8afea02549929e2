import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { BillingStack } from "./billing-stack.js";

export const STACK_NAME = "BillingStack";

export interface BillingApp {
	readonly app: App;
	readonly stack: BillingStack;
	readonly nag: AwsSolutionsChecks;
}

/**
 * The CDK app: the billing stack plus cdk-nag's AWS Solutions checks. cdk-nag 3.x is a
 * CDK policy-validation plugin, so synthesis fails on any unacknowledged finding.
 */
export function buildBillingApp(props: AppProps & { readonly deskAppDir: string }): BillingApp {
	const { deskAppDir, ...appProps } = props;
	const app = new App(appProps);
	const stack = new BillingStack(app, STACK_NAME, {
		env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
		deskAppDir,
	});
	const nag = new AwsSolutionsChecks(app);
	Validations.of(app).addPlugins(nag);
	return { app, stack, nag };
}
