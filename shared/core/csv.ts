/** RFC 4180 CSV: fields with a comma, quote or line break are quoted; lines end in \n. */
export function toCsvText(rows: readonly (readonly (string | number)[])[]): string {
	const field = (v: string | number) => {
		const s = String(v);
		return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
	};
	return rows
		.map((cols) => cols.map(field).join(","))
		.join("\n")
		.concat("\n");
}
