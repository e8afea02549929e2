import { useSyncExternalStore } from "react";
import { sessionStore } from "../app/browser.js";

/**
 * The signed-in user's access token, kept in sessionStorage: it lasts as long as the tab,
 * survives a reload, and is not shared with other tabs. The API decides whether it is still
 * good; a 401 clears it (api/client.ts).
 */
export interface Session {
	readonly accessToken: string;
	readonly email: string;
}

const KEY = "billing-desk.session";
const listeners = new Set<() => void>();
let current: Session | undefined = read();

function read(): Session | undefined {
	try {
		const parsed = JSON.parse(sessionStore.getItem(KEY) ?? "null") as Partial<Session> | null;
		return typeof parsed?.accessToken === "string" && typeof parsed.email === "string"
			? { accessToken: parsed.accessToken, email: parsed.email }
			: undefined;
	} catch {
		return undefined;
	}
}

function changed(next: Session | undefined): void {
	current = next;
	for (const listener of listeners) listener();
}

export function currentSession(): Session | undefined {
	return current;
}

export function startSession(session: Session): void {
	sessionStore.setItem(KEY, JSON.stringify(session));
	changed(session);
}

export function endSession(): void {
	sessionStore.removeItem(KEY);
	changed(undefined);
}

export function useSession(): Session | undefined {
	return useSyncExternalStore(
		(listener) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		() => current,
	);
}
