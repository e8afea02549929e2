import type { Page } from "playwright-core";
import { desk, within } from "./selectors.js";

/**
 * The desk around every page: the side navigation, the notices, the page's heading. The
 * base is the HTTP front's URL (`http://127.0.0.1:PORT`); paths are under /desk.
 */
export class DeskShell {
	constructor(
		readonly page: Page,
		readonly base: string,
	) {}

	async open(path: string): Promise<void> {
		await this.page.goto(`${this.base}/desk${path}`);
	}

	/** The path under /desk of the page shown, with its query. */
	path(): string {
		const url = new URL(this.page.url());
		return `${url.pathname.replace(/^\/desk/, "")}${url.search}`;
	}

	/** Follows a link of the side navigation, opening it first if the layout closed it (Cloudscape does when space runs short). */
	async follow(title: string): Promise<void> {
		const link = this.page.locator(desk.findSideNavigation().toSelector()).getByRole("link", { name: title, exact: true });
		if (!(await link.isVisible())) await this.page.locator(desk.findAppLayout().findNavigationToggle().toSelector()).click();
		await link.click();
	}

	/** The side navigation's links, its header ("Billing desk") first. */
	async navigationLinks(): Promise<string[]> {
		return this.page.locator(desk.findSideNavigation().toSelector()).getByRole("link").allTextContents();
	}

	/** Waits for the page whose h1 has this text, and for its reads to finish (no spinner, no table still loading); its h1's text. */
	async heading(name: string | RegExp): Promise<string> {
		const h1 = this.page.getByRole("heading", { level: 1, name });
		await h1.first().waitFor();
		await this.page.locator(desk.findSpinner().toSelector()).first().waitFor({ state: "detached" });
		await this.page.locator(desk.findTable().findLoadingText().toSelector()).first().waitFor({ state: "detached" });
		return (await h1.first().textContent()) ?? "";
	}

	/** Picks an action of the page's header ButtonDropdown (an invoice's actions), by operation name. */
	async takeAction(operation: string): Promise<void> {
		const header = this.page.locator(desk.findContentLayout().findHeader().toSelector());
		await header.locator(within.findButtonDropdown().findNativeButton().toSelector()).click();
		// The open menu may render outside the header; only the open one has items.
		await this.page.locator(desk.findButtonDropdown().findItemById(operation).toSelector()).click();
	}

	async notices(type: "success" | "error" | "info" | "warning" = "success"): Promise<string[]> {
		return this.page.locator(desk.findFlashbar().findItemsByType(type).toSelector()).allTextContents();
	}

	async signOut(): Promise<void> {
		await this.page.locator(desk.findTopNavigation().findUtility(1).toSelector()).getByRole("button").click();
		await this.page.getByRole("menuitem", { name: "Sign out" }).click();
	}
}
