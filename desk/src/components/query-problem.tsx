import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import { ApiError, refusalText } from "../api/client.js";

/** A read that failed, in place of what it would have shown: what the API said, and Retry (except for a 404: nothing to retry). */
export function QueryProblem({ error, retry, what }: { readonly error: unknown; readonly retry: () => void; readonly what: string }) {
	const notFound = error instanceof ApiError && error.status === 404;
	return (
		<Alert
			type={notFound ? "info" : "error"}
			header={notFound ? `No such ${what}` : `Could not load the ${what}`}
			action={notFound ? undefined : <Button onClick={retry}>Retry</Button>}
		>
			{refusalText(error)}
		</Alert>
	);
}
