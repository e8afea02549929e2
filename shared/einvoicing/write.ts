import { writeCii } from "./cii.js";
import type { EinvoiceDocument } from "./model.js";
import { writeUbl } from "./ubl.js";
import type { EinvoiceProfile } from "./validate.js";

/** The document in its profile's syntax: UBL for Peppol and XRechnung, CII for Factur-X. */
export function writeEinvoice(doc: EinvoiceDocument, profile: EinvoiceProfile): string {
	return profile === "facturx" ? writeCii(doc) : writeUbl(doc, profile);
}
