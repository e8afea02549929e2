import type { ReactNode } from "react";
import { AccountPage } from "../pages/accounts/account-page.js";
import { AccountsPage } from "../pages/accounts/accounts-page.js";
import { BooksPage } from "../pages/books/books-page.js";
import { ImportPage } from "../pages/imports/import-page.js";
import { ImportsPage } from "../pages/imports/imports-page.js";
import { InvoicePage } from "../pages/invoices/invoice-page.js";
import { InvoicesPage } from "../pages/invoices/invoices-page.js";
import { PaymentsPage } from "../pages/payments/payments-page.js";
import { RunPage } from "../pages/runs/run-page.js";
import { RunsPage } from "../pages/runs/runs-page.js";
import { UsersPage } from "../pages/users/users-page.js";
import { EndpointPage } from "../pages/webhooks/endpoint-page.js";
import { WebhooksPage } from "../pages/webhooks/webhooks-page.js";
import { WorklistPage } from "../pages/worklist/worklist-page.js";

/**
 * Every page of the desk, once: the router, the side navigation and the breadcrumbs are
 * built from this table. Paths are under /desk/ and fixed (deep links are shared and
 * bookmarked). `needs` hides a page the role may not use; the API refuses it anyway.
 */
export interface DeskRoute {
	readonly path: string;
	readonly title: string;
	/** A list page in the side navigation; a detail page names its list instead. */
	readonly list?: string;
	readonly needs?: string;
	readonly element: ReactNode;
}

export const DESK_ROUTES: readonly DeskRoute[] = [
	{ path: "worklist", title: "Worklist", element: <WorklistPage /> },
	{ path: "accounts", title: "Accounts", element: <AccountsPage /> },
	{ path: "accounts/:accountId", title: "Account", list: "accounts", element: <AccountPage /> },
	{ path: "invoices", title: "Invoices", element: <InvoicesPage /> },
	{ path: "invoices/:number", title: "Invoice", list: "invoices", element: <InvoicePage /> },
	{ path: "payments", title: "Unapplied cash", element: <PaymentsPage /> },
	{ path: "imports", title: "Imports", element: <ImportsPage /> },
	{ path: "imports/:importId", title: "Import", list: "imports", element: <ImportPage /> },
	{ path: "books", title: "Books", element: <BooksPage /> },
	{ path: "users", title: "Users", needs: "users.add", element: <UsersPage /> },
	{ path: "webhooks", title: "Webhooks", needs: "webhooks.add", element: <WebhooksPage /> },
	{ path: "webhooks/:endpointId", title: "Webhook endpoint", list: "webhooks", needs: "webhooks.add", element: <EndpointPage /> },
	{ path: "runs", title: "Runs", element: <RunsPage /> },
	{ path: "runs/:name", title: "Run", list: "runs", element: <RunPage /> },
];

export const HOME = "/worklist";

/** The side navigation's pages: the lists. */
export const NAVIGATION = DESK_ROUTES.filter((r) => r.list === undefined);
