import type { Locator, Page } from "playwright-core";
import { desk, thisModal, within } from "./selectors.js";

/** The dialog open on the page: fields by label, its main button, its inline error (errorText). */
export class ModalObject {
	readonly root: Locator;

	constructor(readonly page: Page) {
		this.root = page.locator(desk.findModal().toSelector()).filter({ visible: true });
	}

	async title(): Promise<string> {
		return (await this.root.locator(thisModal.findHeader().toSelector()).textContent()) ?? "";
	}

	field(label: string | RegExp): Locator {
		return this.root.getByLabel(label);
	}

	async fill(label: string | RegExp, value: string): Promise<void> {
		await this.field(label).fill(value);
	}

	async submit(name: string): Promise<void> {
		await this.root.getByRole("button", { name, exact: true }).click();
	}

	async cancel(): Promise<void> {
		await this.root.getByRole("button", { name: "Cancel" }).click();
		await this.root.waitFor({ state: "detached" });
	}

	async errorText(): Promise<string> {
		const error = this.root.locator(within.findForm().findError().toSelector());
		await error.waitFor();
		return (await error.textContent()) ?? "";
	}

	async closed(): Promise<void> {
		await this.root.waitFor({ state: "detached" });
	}
}
