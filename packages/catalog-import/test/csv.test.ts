import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvSyntaxError, CsvTokenizer, csvRecord } from "../src/csv.ts";
import { LineSplitter } from "../src/lines.ts";

function parse(chunks: string[]): string[][] {
	const t = new CsvTokenizer();
	const records = chunks.flatMap((c) => t.push(c));
	return [...records, ...t.end()].map((r) => r.fields);
}

/** Splits text at the given cut points (any positions, even inside quotes or a CRLF). */
function cut(text: string, points: number[]): string[] {
	const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
	const out: string[] = [];
	let last = 0;
	for (const p of at) {
		out.push(text.slice(last, p));
		last = p;
	}
	out.push(text.slice(last));
	return out;
}

describe("CsvTokenizer", () => {
	it("reads quoted fields, escaped quotes, newlines in quotes, CRLF and a BOM", () => {
		const text = '\uFEFFHandle,Title,Body\r\nank,"Ankara, blue","Line 1\r\nLine ""2"""\r\nx,5" screen,\n';
		expect(parse([text])).toEqual([
			["Handle", "Title", "Body"],
			["ank", "Ankara, blue", 'Line 1\r\nLine "2"'],
			["x", '5" screen', ""],
		]);
	});

	it("numbers records as spreadsheet rows, a quoted newline staying in its row", () => {
		const t = new CsvTokenizer();
		const rows = [...t.push('a\n"b\nb"\nc\r\nd'), ...t.end()].map((r) => [r.row, r.fields[0]]);
		expect(rows).toEqual([
			[1, "a"],
			[2, "b\nb"],
			[3, "c"],
			[4, "d"],
		]);
	});

	it("handles CR then LF split across chunks, and lone CR", () => {
		expect(parse(["a,b\r", "\nc,d\re,f"])).toEqual([
			["a", "b"],
			["c", "d"],
			["e", "f"],
		]);
	});

	it("rejects an unclosed quote and text after a closing quote, naming the row", () => {
		expect(() => parse(['a\n"never closed'])).toThrow(CsvSyntaxError);
		try {
			parse(['h\nok\n"x"y,z\n']);
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(CsvSyntaxError);
			expect((error as CsvSyntaxError).row).toBe(3);
		}
	});

	it("refuses a record that never ends instead of buffering it", () => {
		const t = new CsvTokenizer({ maxRecordChars: 100 });
		expect(() => t.push(`"${"x".repeat(200)}`)).toThrow(/longer than 100/);
	});

	it("round-trips any records through csvRecord, however the text is chunked", () => {
		const field = fc.string({ unit: fc.constantFrom("a", "Z", " ", ",", '"', "\n", "\r", "é", "ọ̀", "\uFEFF", "😀") });
		fc.assert(
			fc.property(
				fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
				fc.constantFrom("\n", "\r\n"),
				fc.boolean(),
				fc.array(fc.nat(), { maxLength: 6 }),
				(records, eol, trailing, points) => {
					const text = records.map(csvRecord).join(eol) + (trailing ? eol : "");
					expect(parse(cut(text, points))).toEqual(records);
				},
			),
			{ numRuns: 500 },
		);
	});
});

describe("LineSplitter", () => {
	it("splits LF and CRLF lines across any chunking and numbers them", () => {
		fc.assert(
			fc.property(
				fc.array(fc.string({ unit: fc.constantFrom("a", "{", "}", " ", "é") }), { minLength: 1 }),
				fc.array(fc.nat()),
				(lines, points) => {
					const text = lines.join("\r\n");
					const s = new LineSplitter();
					const out = [...cut(text, points).flatMap((c) => s.push(c)), ...s.end()];
					const expected = lines.map((l, i) => ({ line: i + 1, text: l }));
					// A final empty line is no line at all.
					if (lines[lines.length - 1] === "") expected.pop();
					expect(out).toEqual(expected);
				},
			),
		);
	});
});
