/** The record with `changes` made, as an update expression makes them: a value sets its field, null removes it, undefined leaves it. */
export function withChanges<T extends object>(record: T, changes: object): T {
	const result = { ...record } as Record<string, unknown>;
	for (const [field, value] of Object.entries(changes)) {
		if (value === null) delete result[field];
		else if (value !== undefined) result[field] = value;
	}
	return result as T;
}
