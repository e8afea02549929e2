/** The items in runs of at most `size`, in order: what a batch API takes per call. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
	const runs: T[][] = [];
	for (let start = 0; start < items.length; start += size) runs.push(items.slice(start, start + size));
	return runs;
}
