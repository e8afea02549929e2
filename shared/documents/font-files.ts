/**
 * The font files the PDFs embed, as paths inside their npm package: Arimo regular and bold
 * (SIL OFL 1.1; docs/fonts.md), Helvetica's metrics. The renderers read them at run time;
 * a bundle takes them along with their licence (infra/bundling.ts).
 */
export const FONT_FILES = {
	regular: "@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf",
	bold: "@expo-google-fonts/arimo/700Bold/Arimo_700Bold.ttf",
} as const;

/** The fonts' licence, which the OFL asks to go wherever the font files go. */
export const FONT_LICENCE = "@expo-google-fonts/arimo/LICENSE_FONT";
