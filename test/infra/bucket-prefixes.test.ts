import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { bucketObjects, documentObjects } from "../../functions/catalog.js";

/**
 * The functions' bucket grants are per key prefix (functions/catalog.ts); embedded, nothing
 * enforces them. So a folder the code starts writing under without a grant would fail only
 * on AWS, with AccessDenied: this test names it first.
 */

const root = new URL("../../", import.meta.url).pathname;

/** Folders only the billing desk (the CLI, with the operator's own credentials) writes. */
const CLI_ONLY = new Map([["credit-memos", "credit memos are issued by `billing credit-memo create`, never by a function"]]);

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(path);
		return entry.name.endsWith(".ts") ? [path] : [];
	});
}

describe("the bucket's folders", () => {
	it("every folder the code puts keys under is one the catalog can grant, or written by the CLI only", () => {
		const granted = new Set(Object.values(bucketObjects).map((o) => o.keys.split("/")[0]));
		const used = new Map<string, string>();
		for (const file of [...sourceFiles(join(root, "shared")), ...sourceFiles(join(root, "functions"))]) {
			for (const match of readFileSync(file, "utf8").matchAll(/`([a-z][a-z-]*)\/\$\{/g)) {
				used.set(match[1] as string, relative(root, file));
			}
		}
		expect(used.size).toBeGreaterThan(5);
		const ungranted = [...used].filter(([folder]) => !granted.has(folder) && !CLI_ONLY.has(folder));
		expect(ungranted, "add the folder to bucketObjects in functions/catalog.ts and to the functions that write it").toEqual([]);
	});

	it("every document the code stores (a record's pdfKey) lies under documentObjects: written once, locked, never deleted", () => {
		const documents = new Set(Object.values(documentObjects).map((o) => o.keys.split("/")[0]));
		const stored = new Map<string, string>();
		for (const file of sourceFiles(join(root, "shared"))) {
			for (const match of readFileSync(file, "utf8").matchAll(/pdfKey: `([a-z][a-z-]*)\/\$\{/g)) {
				stored.set(match[1] as string, relative(root, file));
			}
		}
		expect([...stored.keys()].sort()).toEqual(["credit-memos", "invoices", "statements"]);
		const unlocked = [...stored].filter(([folder]) => !documents.has(folder));
		expect(unlocked, "add the folder to documentObjects in functions/catalog.ts").toEqual([]);
	});
});
