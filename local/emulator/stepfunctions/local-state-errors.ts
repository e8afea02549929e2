/** Runtime errors raised by the local states the adapter inserts. */

export const EXCEED_THRESHOLD = "States.ExceedToleratedFailureThreshold";
export const ITEM_READER_FAILED = "States.ItemReaderFailed";

/** An error the engine's Retry/Catch match by `name`, as AWS matches the error code. */
export function namedError(name: string, message: string): Error {
	const error = new Error(message);
	error.name = name;
	return error;
}

/** States.Runtime: neither retried nor caught, as on AWS. */
export function runtimeError(message: string): Error {
	const error = namedError("States.Runtime", message);
	Object.defineProperties(error, {
		isRetryable: { value: false },
		isCatchable: { value: false },
	});
	return error;
}
