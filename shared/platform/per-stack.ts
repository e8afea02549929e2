/**
 * What a handler reads from its environment (its table, bucket, seller, schedules): read at
 * its first invocation and kept, as a Lambda container keeps its module state, and read again
 * when the environment names another table. On Lambda a container's environment never
 * changes; an embedded process that serves one stack after another (the tests do) would
 * otherwise send the second stack's work to the first one's table.
 */
export function perStack<T>(read: () => T): () => T {
	let kept: { tableName: string | undefined; value: T } | undefined;
	return () => {
		const tableName = process.env.TABLE_NAME;
		if (!kept || kept.tableName !== tableName) kept = { tableName, value: read() };
		return kept.value;
	};
}
