import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { degrees, drawLinesOfText, PDFDocument, type PDFFont, type PDFName, type PDFPage, type RGB, rgb } from "pdf-lib";
import { FONT_FILES } from "./font-files.js";

/**
 * What the invoice, statement and credit memo PDFs have in common: the A4 page with its
 * margins and colours, the Arimo font embedded, and setting text in it — making a string
 * drawable, then fitting, truncating and wrapping lines of it.
 */

const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;
export const PAGE_SIZE: [number, number] = [PAGE_WIDTH, PAGE_HEIGHT];
const MARGIN = 50;
export const LEFT = MARGIN;
export const RIGHT = PAGE_WIDTH - MARGIN;
export const CONTENT_WIDTH = RIGHT - LEFT;
export const TOP = PAGE_HEIGHT - MARGIN;
export const FOOTER_Y = 30;

export const BLACK = rgb(0, 0, 0);
export const GREY = rgb(0.38, 0.38, 0.38);
const RULE = rgb(0.8, 0.8, 0.8);

const MIN_FIT_SIZE = 6;
const ELLIPSIS = "\u2026";

export interface Fonts {
	readonly regular: PDFFont;
	readonly bold: PDFFont;
	/** The code points drawn as they are: both weights have a glyph for them, see drawableCodePoints. */
	readonly charset: ReadonlySet<number>;
}

type Fontkit = Parameters<PDFDocument["registerFontkit"]>[0];
type Font = ReturnType<Fontkit["create"]>;

/**
 * The embedded fonts' names: a subset's name starts with a tag of six capital letters
 * (ISO 32000-1, 9.6.4), one per subset in a file; fixed, so the same input gives the same bytes.
 */
const FONT_NAMES = { regular: "ARIREG+Arimo-Regular", bold: "ARIBLD+Arimo-Bold" } as const;

/**
 * Code points with a glyph that still are not drawn as they are: control characters, and
 * Hebrew letters and the bidirectional controls, since lines are set left to right only.
 */
const NOT_DRAWN = /[\p{Cc}\u0590-\u05ff\ufb1d-\ufb4f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** The code points both fonts have a glyph for, less those NOT_DRAWN. */
function drawableCodePoints(regular: Font, bold: Font): Set<number> {
	const inBold = new Set(bold.characterSet);
	return new Set(regular.characterSet.filter((code) => inBold.has(code) && !NOT_DRAWN.test(String.fromCodePoint(code))));
}

interface FontData {
	readonly regular: Uint8Array;
	readonly bold: Uint8Array;
	readonly charset: ReadonlySet<number>;
	/** Hands pdf-lib the fonts parsed once per process: parsing both files anew took most of a render's time. */
	readonly fontkit: Fontkit;
}

let fontData: Promise<FontData> | undefined;

/**
 * The font files (Arimo: Helvetica's metrics, so the layout is Helvetica's, in files a PDF
 * can embed as PDF/A requires), found as package files from this module wherever it runs,
 * read and parsed once per process; and the code points both weights can draw.
 */
function loadFonts(): Promise<FontData> {
	fontData ??= readFonts();
	return fontData;
}

async function readFonts(): Promise<FontData> {
	// Imported on the first document, not with the module: fontkit takes a few hundred milliseconds to load, which a function that renders nothing need not wait for.
	const { default: fontkit } = await import("@pdf-lib/fontkit");
	const resolve = createRequire(import.meta.url).resolve;
	const regular = readFileSync(resolve(FONT_FILES.regular));
	const bold = readFileSync(resolve(FONT_FILES.bold));
	const [regularFont, boldFont] = [unshaped(fontkit.create(regular)), unshaped(fontkit.create(bold))];
	const parsed = new Map<Uint8Array, Font>([
		[regular, regularFont],
		[bold, boldFont],
	]);
	const charset = drawableCodePoints(regularFont, boldFont);
	const cached: Fontkit = { create: (bytes) => parsed.get(bytes) ?? fontkit.create(bytes) };
	return { regular, bold, charset, fontkit: cached };
}

/**
 * The font with each code point drawn as its own glyph, as Helvetica drew them. pdf-lib lays
 * out every string it measures or draws with fontkit's OpenType shaping, which cost most of
 * a render once parsing was done; Arimo's shaping of Latin text (ccmp, locl, no ligatures)
 * gives the same glyphs, and pdf-lib's widths ignore kerning either way.
 */
function unshaped(font: Font): Font {
	font.layout = (text: string) => ({ glyphs: font.glyphsForString(text) }) as ReturnType<Font["layout"]>;
	return font;
}

/**
 * A new document with Arimo and Arimo Bold embedded, each as the subset of glyphs the
 * document draws. Its metadata is the caller's to set, dates included, which come from the
 * document itself so the same input renders the same bytes.
 */
export async function createDocument(): Promise<{ doc: PDFDocument; fonts: Fonts }> {
	const data = await loadFonts();
	const doc = await PDFDocument.create({ updateMetadata: false });
	doc.registerFontkit(data.fontkit);
	const regular = await doc.embedFont(data.regular, { subset: true, customName: FONT_NAMES.regular });
	const bold = await doc.embedFont(data.bold, { subset: true, customName: FONT_NAMES.bold });
	return { doc, fonts: { regular, bold, charset: data.charset } };
}

/** How `PageWriter.text` draws a line: aligned right (x is where it ends), in a colour, on a page other than the current one. */
interface TextStyle {
	readonly align?: "right";
	readonly color?: RGB;
	readonly page?: PDFPage;
}

/** Pages filled from the top down: the page being drawn on, how far down it is, and text on it made drawable and fitted to a width. */
export class PageWriter {
	page: PDFPage;
	y = TOP;
	readonly pages: PDFPage[] = [];

	constructor(
		private readonly doc: PDFDocument,
		readonly fonts: Fonts,
	) {
		this.page = this.addPage();
	}

	/** Starts drawing on a new page; `y` is left for the caller, who knows what heads the page. */
	addPage(): PDFPage {
		this.page = this.doc.addPage(PAGE_SIZE);
		this.pages.push(this.page);
		return this.page;
	}

	/** Draws one line at x, shrinking and then truncating it to fit maxWidth; aligned right, the line ends at x. */
	text(value: string, x: number, y: number, font: PDFFont, size: number, maxWidth: number, style: TextStyle = {}): void {
		const { align, color = BLACK, page = this.page } = style;
		const fitted = fitLine(this.clean(value), font, size, maxWidth);
		if (align === "right") drawTextRight(page, fitted.text, x, y, font, fitted.size, color);
		else drawText(page, fitted.text, { x, y, size: fitted.size, font, color });
	}

	rule(from: number, to: number, y: number): void {
		drawRule(this.page, from, to, y);
	}

	wrap(value: string, font: PDFFont, size: number, maxWidth: number): string[] {
		return wrapLines(this.clean(value), font, size, maxWidth);
	}

	clean(value: string): string {
		return drawable(value, this.fonts.charset);
	}
}

/** Draws drawable text so that it ends at `right`. */
export function drawTextRight(
	page: PDFPage,
	text: string,
	right: number,
	y: number,
	font: PDFFont,
	size: number,
	color: RGB = BLACK,
): void {
	drawText(page, text, { x: right - font.widthOfTextAtSize(text, size), y, size, font, color });
}

/**
 * The resource name of each font on each page. pdf-lib's page.drawText with a font names it
 * anew on the page at every call, and the page's font before it once more (two more entries
 * in the page's font dictionary, each found unique by a scan of it): one name per font and
 * page is all a PDF needs, and keeps rendering time linear in the text drawn.
 */
const fontNames = new WeakMap<PDFPage, Map<PDFFont, PDFName>>();

/** pdf-lib's default line height, which page.drawText sets for the lines it draws. */
const LINE_HEIGHT = 24;

/** Draws text as page.drawText does (its operators, line breaks and tabs), naming each font once per page. */
export function drawText(
	page: PDFPage,
	text: string,
	options: { readonly x: number; readonly y: number; readonly size: number; readonly font: PDFFont; readonly color?: RGB },
): void {
	const { font } = options;
	const names = fontNames.get(page) ?? new Map<PDFFont, PDFName>();
	fontNames.set(page, names);
	const name = names.get(font) ?? page.node.newFontDictionary(font.name, font.ref);
	names.set(font, name);
	const lines = text
		.replace(/\t|\u0085|\u2028|\u2029/g, "    ")
		.replace(/[\b\v]/g, "")
		.split(/\r\n|\r|\n/);
	page.pushOperators(
		...drawLinesOfText(
			lines.map((line) => font.encodeText(line)),
			{
				color: options.color ?? BLACK,
				font: name,
				size: options.size,
				rotate: degrees(0),
				xSkew: degrees(0),
				ySkew: degrees(0),
				x: options.x,
				y: options.y,
				lineHeight: LINE_HEIGHT,
			},
		),
	);
}

/** A thin grey horizontal line from `from` to `to`. */
export function drawRule(page: PDFPage, from: number, to: number, y: number): void {
	page.drawLine({
		start: { x: from, y },
		end: { x: to, y },
		thickness: 0.5,
		color: RULE,
	});
}

/**
 * Arimo cannot draw every character a customer's name may hold (Chinese, Arabic, emoji); on
 * the statement and credit memo those become "?" (the invoice's `drawable` tries look-alikes
 * first). Composed first (NFC), so a letter and its combining accent draw as one glyph.
 */
export function replaceUndrawable(value: string, charset: ReadonlySet<number>): string {
	return [...value.normalize("NFC")].map((c) => (charset.has(c.codePointAt(0) ?? 0) ? c : "?")).join("");
}

const REPLACEMENTS: Readonly<Record<string, string>> = {
	"\u2212": "-",
	"\u2010": "-",
	"\u2011": "-",
	"\u2012": "-",
	"\u2009": " ",
	"\u202f": " ",
	"\u2007": " ",
	"\u2192": "->",
	"\u2264": "<=",
	"\u2265": ">=",
};

/**
 * Text as the fonts can draw it: composed first (NFC); control characters become spaces;
 * a character without a glyph becomes a look-alike, or its base letter without the accent,
 * or else "?" (an embedded font would draw nothing visible for it).
 */
function drawable(value: string, charset: ReadonlySet<number>): string {
	let out = "";
	for (const char of value.normalize("NFC")) {
		const code = char.codePointAt(0) ?? 0;
		if (code < 0x20 || code === 0x7f) {
			if (!out.endsWith(" ")) out += " ";
			continue;
		}
		if (charset.has(code)) {
			out += char;
			continue;
		}
		const replacement = REPLACEMENTS[char];
		if (replacement !== undefined) {
			out += replacement;
			continue;
		}
		const stripped = char.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
		const encodable = stripped.length > 0 && [...stripped].every((c) => charset.has(c.codePointAt(0) ?? 0)) ? stripped : "?";
		out += encodable;
	}
	return out;
}

/** One line of drawable text at a size that fits maxWidth: shrunk first, then truncated. */
function fitLine(text: string, font: PDFFont, size: number, maxWidth: number): { text: string; size: number } {
	const width = font.widthOfTextAtSize(text, size);
	if (width <= maxWidth) return { text, size };
	const shrunk = Math.max(MIN_FIT_SIZE, Math.floor(((size * maxWidth) / width) * 10) / 10);
	if (font.widthOfTextAtSize(text, shrunk) <= maxWidth) return { text, size: shrunk };
	return { text: truncateLine(text, font, shrunk, maxWidth), size: shrunk };
}

/** Drawable text cut short enough that it fits maxWidth with an ellipsis after it. */
export function truncateLine(text: string, font: PDFFont, size: number, maxWidth: number): string {
	let base = text;
	while (base.length > 0 && font.widthOfTextAtSize(`${base}${ELLIPSIS}`, size) > maxWidth) {
		base = base.slice(0, -1);
	}
	return `${base.trimEnd()}${ELLIPSIS}`;
}

/** Greedy word wrap of drawable text; a word wider than the line is broken between characters. */
function wrapLines(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
	const words = text.split(" ").filter(Boolean);
	const lines: string[] = [];
	let current = "";
	const fits = (candidate: string) => font.widthOfTextAtSize(candidate, size) <= maxWidth;
	for (const word of words) {
		const candidate = current === "" ? word : `${current} ${word}`;
		if (fits(candidate)) {
			current = candidate;
			continue;
		}
		if (current !== "") lines.push(current);
		current = "";
		let rest = word;
		while (rest.length > 1 && !fits(rest)) {
			let cut = rest.length - 1;
			while (cut > 1 && !fits(rest.slice(0, cut))) cut -= 1;
			lines.push(rest.slice(0, cut));
			rest = rest.slice(cut);
		}
		current = rest;
	}
	if (current !== "") lines.push(current);
	return lines;
}
