/** The part of SaxonJS 2 (no types shipped) the validator uses: a synchronous transform of a compiled (SEF) stylesheet. */
declare module "saxon-js" {
	interface TransformOptions {
		stylesheetInternal: unknown;
		sourceText: string;
		destination: "serialized";
	}
	const SaxonJS: {
		transform(options: TransformOptions, mode: "sync"): { principalResult: string };
	};
	export default SaxonJS;
}
