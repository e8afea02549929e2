/** An instant as the desk shows it: `2026-11-01 09:30:00 UTC` (UTC, as the ledger and the audit trail record it). */
export function formatInstant(iso: string | undefined): string {
	return iso ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "";
}
