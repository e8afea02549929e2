import { useMutation, useQueryClient } from "@tanstack/react-query";
import { isExpected, isSignedOut } from "../api/client.js";
import { flash } from "./flash.js";

/**
 * A desk action as a hook that owns the call, the notice and the reload: on success a
 * notice says what happened; either way every cached read is refetched (an action can change
 * the worklist, the account, its invoices and the books at once, and a batch can fail half
 * way); an unexpected failure goes to the Flashbar with Retry; an expected refusal (400,
 * 403, 409) is left in `error` for the dialog's errorText.
 */
export function useDeskMutation<Input, Result>(options: {
	readonly run: (input: Input) => Promise<Result>;
	readonly done: (result: Result, input: Input) => string;
}) {
	const queryClient = useQueryClient();
	const mutation = useMutation<Result, unknown, Input>({
		mutationFn: options.run,
		onSuccess: (result, input) => {
			flash.success(options.done(result, input));
		},
		onError: (err, input) => {
			if (!isExpected(err) && !isSignedOut(err)) flash.error(err, () => mutation.mutate(input));
		},
		onSettled: () => void queryClient.invalidateQueries(),
	});
	return mutation;
}
