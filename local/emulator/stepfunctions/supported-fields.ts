/**
 * What the embedded engine runs: the fields of each state type, retrier, catcher, choice rule
 * and (nested) state machine, and the Task resources. Anything else is refused.
 */

export const STATE_TYPES = ["Task", "Parallel", "Map", "Pass", "Wait", "Choice", "Succeed", "Fail"] as const;
export type StateType = (typeof STATE_TYPES)[number];

const COMMON = ["Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"];
/** The fields Task, Parallel and Map share besides COMMON. */
const RESULT_AND_TRANSITION = ["ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End"];
/** The Map fields that make it a Distributed Map (besides ProcessorConfig.Mode), all rewritten by the adapter. */
export const DISTRIBUTED_MAP_FIELDS = [
	"ItemReader",
	"ItemBatcher",
	"ToleratedFailurePercentage",
	"ToleratedFailurePercentagePath",
	"ToleratedFailureCount",
	"ToleratedFailureCountPath",
	"ResultWriter",
];
export const SUPPORTED_FIELDS: Record<StateType, readonly string[]> = {
	Task: [...COMMON, "Resource", "Parameters", ...RESULT_AND_TRANSITION, "TimeoutSeconds", "TimeoutSecondsPath"],
	Parallel: [...COMMON, "Branches", "Parameters", ...RESULT_AND_TRANSITION],
	Map: [
		...COMMON,
		"ItemProcessor",
		"Iterator",
		"ItemsPath",
		"ItemSelector",
		"Parameters",
		"MaxConcurrency",
		"MaxConcurrencyPath",
		...RESULT_AND_TRANSITION,
		// Rewritten (Distributed Map):
		...DISTRIBUTED_MAP_FIELDS,
	],
	Pass: [...COMMON, "Result", "ResultPath", "Parameters", "Next", "End"],
	Wait: [...COMMON, "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Next", "End"],
	Choice: [...COMMON, "Choices", "Default"],
	Succeed: [...COMMON],
	Fail: ["Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath", "CausePath"],
};

/** Why a field is refused, where there is more to say than "not supported". */
export const FIELD_HINTS: Record<string, string> = {
	Assign: "workflow variables are not implemented by aws-local-stepfunctions, which would silently ignore them",
	Arguments: "JSONata is not implemented; use JSONPath (Parameters)",
	Output: "JSONata is not implemented; use JSONPath (ResultSelector/ResultPath/OutputPath)",
	Condition: "JSONata is not implemented; use JSONPath choice rules",
	Items: "JSONata is not implemented; use ItemsPath",
	HeartbeatSeconds: "the engine would silently ignore it",
	HeartbeatSecondsPath: "the engine would silently ignore it",
	Credentials: "the engine would silently ignore it",
	WriterConfig:
		"the embedded engine writes the results as JSON files (AWS's default); JSONL output and transformations are not implemented",
	Label: "the engine would silently ignore it",
	ItemsPointer: "JSONata is not implemented",
};

export const RETRIER_FIELDS = [
	"ErrorEquals",
	"IntervalSeconds",
	"MaxAttempts",
	"BackoffRate",
	"MaxDelaySeconds",
	"JitterStrategy",
	"Comment",
];
export const CATCHER_FIELDS = ["ErrorEquals", "Next", "ResultPath", "Comment"];

export const COMPARISON_OPERATORS = [
	"StringEquals",
	"StringEqualsPath",
	"StringLessThan",
	"StringLessThanPath",
	"StringGreaterThan",
	"StringGreaterThanPath",
	"StringLessThanEquals",
	"StringLessThanEqualsPath",
	"StringGreaterThanEquals",
	"StringGreaterThanEqualsPath",
	"StringMatches",
	"NumericEquals",
	"NumericEqualsPath",
	"NumericLessThan",
	"NumericLessThanPath",
	"NumericGreaterThan",
	"NumericGreaterThanPath",
	"NumericLessThanEquals",
	"NumericLessThanEqualsPath",
	"NumericGreaterThanEquals",
	"NumericGreaterThanEqualsPath",
	"BooleanEquals",
	"BooleanEqualsPath",
	"TimestampEquals",
	"TimestampEqualsPath",
	"TimestampLessThan",
	"TimestampLessThanPath",
	"TimestampGreaterThan",
	"TimestampGreaterThanPath",
	"TimestampLessThanEquals",
	"TimestampLessThanEqualsPath",
	"TimestampGreaterThanEquals",
	"TimestampGreaterThanEqualsPath",
	"IsNull",
	"IsPresent",
	"IsNumeric",
	"IsString",
	"IsBoolean",
	"IsTimestamp",
];
export const TYPE_TESTS = new Set(["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]);

export const LAMBDA_FUNCTION_ARN =
	/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,140}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
export const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

export type MachineKind = "root" | "branch" | "processor";

export const MACHINE_FIELDS: Record<MachineKind, readonly string[]> = {
	root: ["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"],
	branch: ["StartAt", "States", "Comment"],
	processor: ["StartAt", "States", "Comment", "ProcessorConfig"],
};
