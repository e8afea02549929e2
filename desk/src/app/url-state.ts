import { useLocation, useNavigate, useSearchParams } from "react-router";
import type { z } from "zod";

/**
 * A list's filters and page live in the URL, so a filtered list can be bookmarked, shared
 * and reloaded. Filters are parsed with zod (a value that does not parse is dropped); a
 * change of filter goes back to the first page.
 */
export function useUrlFilters<Schema extends z.ZodType<Record<string, string | undefined>>>(
	schema: Schema,
): [z.output<Schema>, (next: Partial<z.output<Schema>>) => void] {
	const [params] = useSearchParams();
	const navigate = useNavigate();
	const filters = schema.parse(Object.fromEntries(params)) as z.output<Schema>;
	const setFilters = (next: Partial<z.output<Schema>>) => {
		const merged = new URLSearchParams();
		for (const [key, value] of Object.entries({ ...filters, ...next })) {
			if (key !== "cursor" && typeof value === "string" && value !== "") merged.set(key, value);
		}
		const search = merged.toString();
		navigate({ search: search ? `?${search}` : "" });
	};
	return [filters, setFilters];
}

/**
 * Cursor paging: the current page's cursor in the URL, the cursors of the pages before it in
 * the history entry's state (it survives a reload), so Previous and the page numbers work.
 */
export function useCursorPages(): {
	cursor: string | undefined;
	page: number;
	goTo: (page: number, nextCursor: string | undefined) => void;
} {
	const [params] = useSearchParams();
	const location = useLocation();
	const navigate = useNavigate();
	const cursor = params.get("cursor") ?? undefined;
	const state = location.state as { trail?: unknown } | null;
	// A link with a cursor but no history (shared, bookmarked): its previous page is taken as the first.
	const trail = cursor ? (Array.isArray(state?.trail) ? (state.trail as string[]) : [""]) : [];
	const page = trail.length + 1;
	const goTo = (target: number, nextCursor: string | undefined) => {
		const search = new URLSearchParams(params);
		const all = [...trail, cursor ?? ""];
		const targetCursor = target === page + 1 ? nextCursor : all[target - 1];
		if (targetCursor) search.set("cursor", targetCursor);
		else search.delete("cursor");
		navigate({ search: `?${search}` }, { state: { trail: all.slice(0, target - 1) } });
	};
	return { cursor, page, goTo };
}
