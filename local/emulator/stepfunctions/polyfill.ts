/**
 * aws-local-stepfunctions 3.0.0 calls `Promise.withResolvers` (Node 22+) in every Task
 * state; the project runs on Node 20. Import this module before the engine.
 */
interface PromiseWithResolversShape<T> {
	promise: Promise<T>;
	resolve: (value: T | PromiseLike<T>) => void;
	reject: (reason?: unknown) => void;
}

const PromiseCtor = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolversShape<T> };

if (typeof PromiseCtor.withResolvers !== "function") {
	Object.defineProperty(Promise, "withResolvers", {
		configurable: true,
		writable: true,
		value: function withResolvers<T>(): PromiseWithResolversShape<T> {
			let resolve!: (value: T | PromiseLike<T>) => void;
			let reject!: (reason?: unknown) => void;
			const promise = new Promise<T>((res, rej) => {
				resolve = res;
				reject = rej;
			});
			return { promise, resolve, reject };
		},
	});
}

export {};
