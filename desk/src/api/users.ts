import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";

export const ROLE_OPTIONS = [
	{ value: "viewer", label: "viewer", description: "Reads everything" },
	{ value: "billing", label: "billing", description: "Performs every desk action" },
	{ value: "admin", label: "admin", description: "Also closes periods and manages users" },
] as const;

export interface DeskUser {
	readonly email: string;
	readonly role: string;
	readonly enabled: boolean;
	/** The user pool's status, e.g. CONFIRMED or FORCE_CHANGE_PASSWORD. */
	readonly status: string;
}

export const usersQuery = queryOptions({
	queryKey: ["users"],
	queryFn: ({ signal }) => apiGet<{ items: DeskUser[] }>("users", { signal }),
});

/** The answer carries the generated password when the pool does not email one: shown once. */
export const addUser = (input: { email: string; role: string }) =>
	apiSend<{ email: string; role: string; password?: string }>("POST", "users", input);

export const disableUser = (email: string) => apiSend<unknown>("POST", apiPath`users/${email}/disable`, {});
