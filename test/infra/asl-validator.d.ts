// asl-validator 4.0.0 ships no type declarations; this describes the part the infra tests use
// (node_modules/asl-validator/src/validator.ts).
declare module "asl-validator" {
	interface AslValidationError {
		readonly message?: string;
		readonly Message?: string;
		readonly "Error code"?: string;
	}
	interface AslValidationOptions {
		readonly checkPaths: boolean;
		readonly checkArn: boolean;
	}
	function validator(
		definition: unknown,
		options?: AslValidationOptions,
	): { isValid: boolean; errors: AslValidationError[]; errorsText: (separator?: string) => string };
	export = validator;
}
