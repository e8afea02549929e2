import type { Locator, Page } from "playwright-core";
import { desk, thisTable } from "./selectors.js";

/** A Cloudscape table of the page, by its header text (several tables share a page). */
export class TableObject {
	readonly root: Locator;

	constructor(page: Page, header: string | RegExp) {
		this.root = page
			.locator(desk.findTable().toSelector())
			.filter({ has: page.locator(thisTable.findHeaderSlot().toSelector()).getByText(header) });
	}

	rows(): Locator {
		return this.root.locator(thisTable.findRows().toSelector());
	}

	/** Each row's cells' text. */
	async rowTexts(): Promise<string[][]> {
		const rows = await this.rows().all();
		return Promise.all(rows.map((row) => row.locator("td").allTextContents()));
	}

	row(text: string | RegExp): Locator {
		return this.rows().filter({ hasText: text });
	}
}
