import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The Chromium the browser tests drive: CHROMIUM_PATH, or `chromium` / `chromium-browser` on the PATH (Debian's package). */
export function findChromium(): string | undefined {
	const fromEnv = process.env.CHROMIUM_PATH;
	if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
	for (const name of ["chromium", "chromium-browser"]) {
		try {
			const path = execFileSync("which", [name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
			if (path) return path;
		} catch {
			// not on the PATH under this name
		}
	}
	return undefined;
}
