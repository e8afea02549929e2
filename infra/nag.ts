import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * cdk-nag 3.x findings are acknowledged with CDK's own `Validations.of(c).acknowledge`,
 * which covers the construct and everything under it. Every acknowledgement here has a
 * written reason; granular findings (IAM5) are acknowledged one by one, never by rule.
 */
export interface NagAcknowledgement {
	readonly id: string;
	readonly reason: string;
}

export function acknowledge(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
	Validations.of(scope).acknowledge(...acknowledgements);
}

/** `AwsSolutions-IAM5[Action::<action>]` */
export function wildcardAction(action: string, reason: string): NagAcknowledgement {
	return { id: `AwsSolutions-IAM5[Action::${action}]`, reason };
}

/** `AwsSolutions-IAM5[Resource::<resource>]`, with tokens rendered the way cdk-nag renders them. */
export function wildcardResource(scope: IConstruct, resource: string, reason: string): NagAcknowledgement {
	return { id: `AwsSolutions-IAM5[Resource::${nagText(Stack.of(scope).resolve(resource))}]`, reason };
}

/** Mirrors cdk-nag's flattening of CloudFormation references in granular finding ids. */
function nagText(node: unknown): string {
	if (node === undefined) return "";
	if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/}/g, ">");
	if (typeof node === "object" && node !== null) {
		const fn = node as Record<string, unknown>;
		const join = fn["Fn::Join"];
		if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
			return join[1].map(nagText).join(join[0]);
		}
		if ("Fn::Sub" in fn) return nagText(fn["Fn::Sub"]);
		const getAtt = fn["Fn::GetAtt"];
		if (Array.isArray(getAtt)) return `<${nagText(getAtt[0])}.${nagText(getAtt[1])}>`;
		if ("Fn::ImportValue" in fn) return nagText(fn["Fn::ImportValue"]);
		if ("Ref" in fn) return `<${nagText(fn.Ref)}>`;
	}
	return JSON.stringify(node);
}
