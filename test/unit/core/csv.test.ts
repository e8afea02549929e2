import { describe, expect, it } from "vitest";
import { toCsvText } from "../../../shared/core/csv.js";

describe("toCsvText", () => {
	it("quotes fields with a comma, a quote or a line break, and ends every line in \\n or the line end asked for", () => {
		expect(toCsvText([["a", "b,c", 'say "hi"', "two\nlines"]])).toBe('a,"b,c","say ""hi""","two\nlines"\n');
		const twoLines = [
			["a", "b"],
			["c", "d"],
		];
		expect(toCsvText(twoLines, "\r\n")).toBe("a,b\r\nc,d\r\n");
	});

	it("starts text a spreadsheet would run as a formula with a single quote (OWASP CSV injection)", () => {
		expect(
			toCsvText([['=HYPERLINK("http://evil","x")', "@SUM(1)", "+1 555", "-cmd", "\tlead", "\r=1+1", "-", "- 12.50", "-12.50abc"]]),
		).toBe(`"'=HYPERLINK(""http://evil"",""x"")",'@SUM(1),'+1 555,'-cmd,'\tlead,"'\r=1+1",'-,'- 12.50,'-12.50abc\n`);
	});

	it("leaves amounts as they are: numbers, and text that is a plain decimal amount, negative ones included", () => {
		expect(toCsvText([[-1200, -12.5, 0, "-12.50", "-1200", "12.50", "-0.005", "", "Acme = Co"]])).toBe(
			"-1200,-12.5,0,-12.50,-1200,12.50,-0.005,,Acme = Co\n",
		);
	});
});
