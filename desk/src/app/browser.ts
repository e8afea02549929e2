/**
 * The few browser objects the desk uses beyond what browsers and Node share (fetch, URL,
 * File, Blob), typed here rather than through TypeScript's DOM library: the root tsconfig
 * checks the desk together with the server code, whose types the DOM library would change.
 * desk/tsconfig.json checks these same sources against the real DOM.
 */

interface SessionStore {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
	removeItem(key: string): void;
}

interface Anchor {
	href: string;
	download: string;
	click(): void;
}

interface BrowserGlobals {
	readonly sessionStorage: SessionStore;
	readonly document: {
		getElementById(id: string): Element | null;
		createElement(tag: "a"): Anchor;
	};
}

const browser = globalThis as unknown as BrowserGlobals;

export const sessionStore: SessionStore = browser.sessionStorage;

export function appRoot(): Element {
	const root = browser.document.getElementById("root");
	if (!root) throw new Error("index.html has no #root element");
	return root;
}

/** Saves a downloaded file under `name`, as the browser's own download would. */
export function saveFile(blob: Blob, name: string): void {
	const url = URL.createObjectURL(blob);
	const anchor = browser.document.createElement("a");
	anchor.href = url;
	anchor.download = name;
	anchor.click();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
