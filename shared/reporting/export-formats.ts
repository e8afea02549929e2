/** The journal's file layouts (book-files.ts writes them), apart from the writing: the CLI offers them as it parses its options. */
export const EXPORT_FORMATS = ["csv", "quickbooks", "xero"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
