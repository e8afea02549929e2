/**
 * @pdf-lib/standard-fonts as the functions' bundles carry it (infra/bundling.ts): the 14
 * standard fonts' names, which pdf-lib checks a font against, without their metrics and
 * encodings (130 kB). The documents embed Arimo (shared/documents/pdf-layout.ts), never a
 * standard font, so embedding one fails loudly instead.
 */

export const FontNames = {
	Courier: "Courier",
	CourierBold: "Courier-Bold",
	CourierOblique: "Courier-Oblique",
	CourierBoldOblique: "Courier-BoldOblique",
	Helvetica: "Helvetica",
	HelveticaBold: "Helvetica-Bold",
	HelveticaOblique: "Helvetica-Oblique",
	HelveticaBoldOblique: "Helvetica-BoldOblique",
	TimesRoman: "Times-Roman",
	TimesRomanBold: "Times-Bold",
	TimesRomanItalic: "Times-Italic",
	TimesRomanBoldItalic: "Times-BoldItalic",
	Symbol: "Symbol",
	ZapfDingbats: "ZapfDingbats",
} as const;

export const Encodings = {};

export const Font = {
	load(name: string): never {
		throw new Error(`the standard font ${name} is not in this function's bundle: its documents embed Arimo`);
	},
};
