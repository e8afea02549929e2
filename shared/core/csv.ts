/** What a spreadsheet runs as a formula when a cell starts with it (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal amount (-12.50, -1200): importers must read it as a number, so it is written as it is. */
const PLAIN_AMOUNT = /^-?\d+(\.\d+)?$/;

/**
 * RFC 4180 CSV: fields with a comma, quote or line break are quoted; lines end in \n
 * (or `lineEnd`). Text a spreadsheet would run as a formula (a customer named
 * `=HYPERLINK(...)`) gets a leading single quote, so it shows as text; numbers and plain
 * decimal amounts do not. Every CSV file the system writes goes through here.
 */
export function toCsvText(rows: readonly (readonly (string | number)[])[], lineEnd: "\n" | "\r\n" = "\n"): string {
	const field = (v: string | number) => {
		const text = String(v);
		const s = typeof v === "string" && FORMULA_START.test(text) && !PLAIN_AMOUNT.test(text) ? `'${text}` : text;
		return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
	};
	return rows
		.map((cols) => cols.map(field).join(","))
		.join(lineEnd)
		.concat(lineEnd);
}
