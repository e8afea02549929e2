/**
 * @pdf-lib/upng as the functions' bundles carry it (infra/bundling.ts): pdf-lib reaches it
 * only to embed a PNG image (25 kB), which no document does, so embedding one fails loudly.
 */

function notCarried(): never {
	throw new Error("PNG images are not in this function's bundle: no document embeds one");
}

export default { decode: notCarried, toRGBA8: notCarried };
