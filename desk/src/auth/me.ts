import { queryOptions, useQuery } from "@tanstack/react-query";
import { apiGet } from "../api/client.js";

/** Who is signed in, and the operations their role may use ("invoices.void", and "users.add" for admins). */
export interface Me {
	readonly email: string;
	readonly subject: string;
	readonly role: "admin" | "billing" | "viewer";
	readonly capabilities: readonly string[];
}

const meQuery = queryOptions({
	queryKey: ["me"],
	queryFn: ({ signal }) => apiGet<Me>("me", { signal }),
	staleTime: Number.POSITIVE_INFINITY,
});

export function useMe() {
	return useQuery(meQuery);
}

/**
 * Whether to show a control for an operation. Only a hint for the screen: the API checks the
 * role of every request and answers 403 with the role it needs.
 */
export function useCan(): (operation: string) => boolean {
	const { data } = useMe();
	return (operation) => data?.capabilities.includes(operation) ?? false;
}
