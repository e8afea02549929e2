import type { Page } from "playwright-core";
import { desk } from "./selectors.js";

/** The sign-in page: email and password, then a new password when the user pool asks for one. */
export class SignInPage {
	constructor(readonly page: Page) {}

	async waitFor(): Promise<void> {
		await this.page.getByRole("heading", { level: 1, name: /Sign in|Set a new password/ }).waitFor();
	}

	async signIn(email: string, password: string): Promise<void> {
		await this.waitFor();
		await this.page.getByLabel("Email").fill(email);
		await this.page.getByLabel("Password", { exact: true }).fill(password);
		await this.page.getByRole("button", { name: "Sign in" }).click();
	}

	async setNewPassword(password: string): Promise<void> {
		await this.page.getByRole("heading", { level: 1, name: "Set a new password" }).waitFor();
		await this.page.getByLabel("New password", { exact: true }).fill(password);
		await this.page.getByLabel("Confirm new password").fill(password);
		await this.page.getByRole("button", { name: "Set password and sign in" }).click();
	}

	async errorText(): Promise<string> {
		const error = this.page.locator(desk.findForm().findError().toSelector());
		await error.waitFor();
		return (await error.textContent()) ?? "";
	}
}
