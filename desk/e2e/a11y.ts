import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";

/** What fails an accessibility scan of the desk: axe's serious and critical findings against WCAG 2.1 A and AA. */
export async function seriousViolations(page: Page): Promise<string[]> {
	const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
	return result.violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
