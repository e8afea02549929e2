import Link from "@cloudscape-design/components/link";
import type { ReactNode } from "react";
import { BASE, useFollow } from "../app/follow.js";

/** A link to a page of the desk: `to` is the path under /desk, e.g. `/invoices/INV-2026-000042`. */
export function RouterLink({ to, children }: { readonly to: string; readonly children: ReactNode }) {
	const follow = useFollow();
	return (
		<Link href={`${BASE}${to}`} onFollow={follow}>
			{children}
		</Link>
	);
}

/** The path of a record's page, its id percent-encoded. */
export const recordPath = (list: "accounts" | "invoices" | "imports" | "runs" | "webhooks", id: string) =>
	`/${list}/${encodeURIComponent(id)}`;
