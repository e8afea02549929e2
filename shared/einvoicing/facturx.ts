import { createHash } from "node:crypto";
import { SRGB_ICC_PROFILE_BASE64 } from "./srgb-profile.js";

/**
 * Turns the invoice or credit memo PDF into a Factur-X 1.0 / ZUGFeRD 2.x PDF in the EN 16931
 * profile: PDF/A-3b with the CII attached as factur-x.xml. Pure: the same PDF, CII and facts
 * give the same bytes, every date being the document's issue date, never the clock. The
 * fonts stay as the renderer embedded them (Arimo subsets), as PDF/A requires; what is not
 * checked here without veraPDF: docs/einvoices.md, "Factur-X".
 */

/** What Factur-X names the attachment; `billing einvoice validate` finds it by this name. */
const FACTURX_ATTACHMENT = "factur-x.xml";

/** The fx: properties of the XMP packet, from the Factur-X 1.0 extension schema. */
const FACTURX_XMP = { documentType: "INVOICE", documentFileName: FACTURX_ATTACHMENT, version: "1.0", conformanceLevel: "EN 16931" };

const FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

export interface FacturxInfo {
	/** The invoice or credit memo number. */
	readonly number: string;
	/** YYYY-MM-DD; the PDF's creation and modification dates and the attachment's. */
	readonly issueDate: string;
	/** The seller, as the document's author and creator. */
	readonly sellerName: string;
	/** The document title; the number when absent. */
	readonly title?: string;
}

export async function facturxPdf(pdf: Uint8Array, cii: string, info: FacturxInfo): Promise<Uint8Array> {
	// Imported on the first Factur-X PDF, not with the module: a function delivering only other e-invoices never loads pdf-lib.
	const { AFRelationship, PDFDocument, PDFHexString, PDFName, PDFString } = await import("pdf-lib");
	const doc = await PDFDocument.load(pdf, { updateMetadata: false });
	const issued = new Date(`${info.issueDate}T00:00:00Z`);
	const xml = Buffer.from(cii, "utf8");

	await doc.attach(xml, FACTURX_ATTACHMENT, {
		mimeType: "text/xml",
		description: `Factur-X EN 16931 e-invoice ${info.number}`,
		creationDate: issued,
		modificationDate: issued,
		// Factur-X 1.07: the XML is the invoice's "Alternative" form in the BASIC, EN 16931 and EXTENDED profiles; "Data" is for MINIMUM and BASIC WL, which are not invoices.
		afRelationship: AFRelationship.Alternative,
	});

	// PDF/A wants the Info dictionary and the XMP packet to say the same: both are written here.
	const meta: XmpFacts = {
		title: info.title ?? info.number,
		author: info.sellerName,
		subject: doc.getSubject(),
		keywords: doc.getKeywords(),
		creatorTool: info.sellerName,
		producer: "pdf-lib",
		date: `${info.issueDate}T00:00:00Z`,
	};
	doc.setTitle(meta.title);
	doc.setAuthor(meta.author);
	doc.setCreator(meta.creatorTool);
	doc.setProducer(meta.producer);
	doc.setCreationDate(issued);
	doc.setModificationDate(issued);

	const { context, catalog } = doc;
	catalog.set(
		PDFName.of("Metadata"),
		context.register(context.stream(Buffer.from(xmpPacket(meta), "utf8"), { Type: "Metadata", Subtype: "XML" })),
	);

	const profile = context.register(context.flateStream(Buffer.from(SRGB_ICC_PROFILE_BASE64, "base64"), { N: 3 }));
	const intent = context.obj({
		Type: "OutputIntent",
		S: "GTS_PDFA1",
		OutputConditionIdentifier: PDFString.of("sRGB"),
		Info: PDFString.of("sRGB IEC61966-2.1"),
		DestOutputProfile: profile,
	});
	catalog.set(PDFName.of("OutputIntents"), context.obj([context.register(intent)]));

	// PDF/A wants a file identifier; one derived from the content keeps the output deterministic.
	const id = PDFHexString.of(createHash("sha256").update(pdf).update(xml).digest("hex").slice(0, 32));
	context.trailerInfo.ID = context.obj([id, id]);

	return doc.save({ useObjectStreams: false });
}

interface XmpFacts {
	readonly title: string;
	readonly author: string;
	readonly subject: string | undefined;
	readonly keywords: string | undefined;
	readonly creatorTool: string;
	readonly producer: string;
	/** Creation, modification and metadata date, ISO 8601. */
	readonly date: string;
}

function escapeXml(text: string): string {
	return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** A property of the Factur-X extension schema, as PDF/A requires each custom property to be described. */
function fxProperty(name: string, description: string): string {
	return `<rdf:li rdf:parseType="Resource">
            <pdfaProperty:name>${name}</pdfaProperty:name>
            <pdfaProperty:valueType>Text</pdfaProperty:valueType>
            <pdfaProperty:category>external</pdfaProperty:category>
            <pdfaProperty:description>${description}</pdfaProperty:description>
          </rdf:li>`;
}

/** The XMP packet: PDF/A-3B identification, Dublin Core and XMP basics matching the Info dictionary, and the Factur-X facts with their schema. */
function xmpPacket(facts: XmpFacts): string {
	const alt = (value: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(value)}</rdf:li></rdf:Alt>`;
	const description = facts.subject === undefined ? "" : `\n      <dc:description>${alt(facts.subject)}</dc:description>`;
	const keywords = facts.keywords === undefined ? "" : `\n      <pdf:Keywords>${escapeXml(facts.keywords)}</pdf:Keywords>`;
	return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
      <pdfaid:part>3</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <dc:format>application/pdf</dc:format>
      <dc:title>${alt(facts.title)}</dc:title>
      <dc:creator><rdf:Seq><rdf:li>${escapeXml(facts.author)}</rdf:li></rdf:Seq></dc:creator>${description}
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
      <pdf:Producer>${escapeXml(facts.producer)}</pdf:Producer>${keywords}
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
      <xmp:CreatorTool>${escapeXml(facts.creatorTool)}</xmp:CreatorTool>
      <xmp:CreateDate>${facts.date}</xmp:CreateDate>
      <xmp:ModifyDate>${facts.date}</xmp:ModifyDate>
      <xmp:MetadataDate>${facts.date}</xmp:MetadataDate>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
      <pdfaExtension:schemas>
        <rdf:Bag>
          <rdf:li rdf:parseType="Resource">
            <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
            <pdfaSchema:namespaceURI>${FX_NAMESPACE}</pdfaSchema:namespaceURI>
            <pdfaSchema:prefix>fx</pdfaSchema:prefix>
            <pdfaSchema:property>
              <rdf:Seq>
          ${fxProperty("DocumentFileName", "The name of the embedded XML document")}
          ${fxProperty("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER")}
          ${fxProperty("Version", "The actual version of the standard applying to the embedded XML document")}
          ${fxProperty("ConformanceLevel", "The conformance level of the embedded XML document")}
              </rdf:Seq>
            </pdfaSchema:property>
          </rdf:li>
        </rdf:Bag>
      </pdfaExtension:schemas>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:fx="${FX_NAMESPACE}">
      <fx:DocumentType>${FACTURX_XMP.documentType}</fx:DocumentType>
      <fx:DocumentFileName>${FACTURX_XMP.documentFileName}</fx:DocumentFileName>
      <fx:Version>${FACTURX_XMP.version}</fx:Version>
      <fx:ConformanceLevel>${FACTURX_XMP.conformanceLevel}</fx:ConformanceLevel>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}
