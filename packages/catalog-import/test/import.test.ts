import { describe, expect, it } from "vitest";
import { Batcher, csvRecord, ImportFileError, ImportParser, isValid, type ProductDraft } from "../src/index.ts";

const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, "-");

function read(format: "csv" | "jsonl", text: string, chunkSize = 7): ProductDraft[] {
	const parser = new ImportParser(format, { defaultHandle: slug });
	const drafts: ProductDraft[] = [];
	for (let i = 0; i < text.length; i += chunkSize) drafts.push(...parser.push(text.slice(i, i + chunkSize)));
	return [...drafts, ...parser.end()];
}

const HEADER = [
	"Handle",
	"Title",
	"Body",
	"Status",
	"Tags",
	"Option1 Name",
	"Option1 Value",
	"Option2 Name",
	"Option2 Value",
	"Variant SKU",
	"Variant Price",
	"Variant Compare At Price",
	"Variant Grams",
	"Variant Inventory Qty",
	"Image Src",
	"Image Alt Text",
];
const csv = (rows: string[][]) => [HEADER, ...rows].map(csvRecord).join("\r\n");

describe("Shopify-like CSV", () => {
	it("groups rows by Handle into products with options, variants, kobo prices, stock and images", () => {
		const drafts = read(
			"csv",
			csv([
				[
					"ankara",
					"Ankara Dress",
					"Cotton, wax print",
					"Active",
					"dresses, ankara",
					"Size",
					"S",
					"Colour",
					"Blue",
					"ANK-S-B",
					"15000.00",
					"18000",
					"250",
					"3",
					"https://cdn.example.com/a.jpg",
					"Front",
				],
				["ankara", "", "", "", "", "", "M", "", "Blue", "ANK-M-B", "15000.5", "", "", "20", "", ""],
				["ankara", "", "", "", "", "", "", "", "", "", "", "", "", "", "https://cdn.example.com/b.jpg", "Back"],
				["plain", "Plain Tee", "", "", "", "Title", "Default Title", "", "", "TEE", "0.29", "", "", "", "", ""],
			]),
		);
		expect(drafts.map((d) => [d.firstRow, d.lastRow, d.variantCount, d.errors])).toEqual([
			[2, 4, 2, []],
			[5, 5, 1, []],
		]);
		expect(drafts[0]?.input).toMatchObject({
			handle: "ankara",
			title: "Ankara Dress",
			description: "Cotton, wax print",
			status: "active",
			tags: ["dresses", "ankara"],
			images: [
				{ url: "https://cdn.example.com/a.jpg", alt: "Front" },
				{ url: "https://cdn.example.com/b.jpg", alt: "Back" },
			],
			options: [
				{ name: "Size", values: ["S", "M"] },
				{ name: "Colour", values: ["Blue"] },
			],
			variants: [
				{
					sku: "ANK-S-B",
					optionValues: ["S", "Blue"],
					priceMinor: 1_500_000,
					compareAtMinor: 1_800_000,
					weightGrams: 250,
					inventory: { onHand: 3 },
				},
				{ sku: "ANK-M-B", optionValues: ["M", "Blue"], priceMinor: 1_500_050, inventory: { onHand: 20 } },
			],
		});
		// Shopify's "Title / Default Title" means no options.
		expect(drafts[1]?.input).toMatchObject({ options: [], variants: [{ optionValues: [], priceMinor: 29 }] });
	});

	it("matches header names in any case and rejects unknown, repeated or missing columns", () => {
		expect(read("csv", "HANDLE,title,variant price\nx,X,1\n")[0]?.input?.variants[0]?.priceMinor).toBe(100);
		for (const header of ["Handle,Title,Variant Price,Colour", "Handle,Title,Variant Price,title", "Handle,Variant Price"]) {
			expect(() => read("csv", `${header}\nx,X,1\n`)).toThrow(ImportFileError);
		}
		try {
			read("csv", "Handle,Title,Variant Price,Vendor\n");
		} catch (error) {
			expect((error as ImportFileError).errors).toEqual([
				{ path: "header.3", message: 'Unknown column "Vendor"', code: "unknown_column" },
			]);
		}
		expect(() => read("csv", "")).toThrow(/empty/);
		expect(() => read("csv", "Handle,Title,Variant Price\n\n")).toThrow(/no product rows/);
	});

	it("reports each bad value at its row and column, through the single-create rules", () => {
		const drafts = read(
			"csv",
			csv([
				["a", "A", "", "", "", "Size", "S", "", "", "A-1", "12.345", "", "", "", "", ""],
				["a", "", "", "", "", "", "M", "", "", "A-2", "-5", "", "", "-1", "", ""],
				["b", "<b>Bold</b>", "", "sold", "", "", "", "", "", "B 1", "1", "0.50", "", "", "http://x.test/i.jpg", ""],
				["c", "C", "", "", "", "Size", "", "", "", "", "abc", "", "", "", "", ""],
				["", "Orphan", "", "", "", "", "", "", "", "", "1", "", "", "", "", ""],
			]),
		);
		expect(drafts.every((d) => !isValid(d))).toBe(true);
		const errors = drafts.flatMap((d) => d.errors.map((e) => `${e.row}:${e.column ?? ""}`));
		expect(errors).toEqual(
			expect.arrayContaining([
				"2:Variant Price",
				"3:Variant Price",
				"3:Variant Inventory Qty",
				"4:Title",
				"4:Status",
				"4:Variant SKU",
				"4:Image Src",
				"5:Option1 Value",
				"5:Variant Price",
				"6:Handle",
			]),
		);
		// Cross-field rules (compare-at above price) run once the fields themselves are valid, as in single create.
		expect(read("csv", csv([["d", "D", "", "", "", "", "", "", "", "", "1", "0.50", "", "", "", ""]]))[0]?.errors).toEqual([
			{ row: 2, column: "Variant Compare At Price", message: "Compare-at price must be above the price" },
		]);
		// A price that did not parse is reported once, not again as "expected number".
		expect(errors.filter((e) => e === "2:Variant Price")).toHaveLength(1);
	});

	it("flags a Handle or SKU used twice in the file on the later row", () => {
		const drafts = read(
			"csv",
			csv([
				["a", "A", "", "", "", "", "", "", "", "X-1", "1", "", "", "", "", ""],
				["b", "B", "", "", "", "", "", "", "", "X-1", "1", "", "", "", "", ""],
				["a", "A again", "", "", "", "", "", "", "", "X-2", "1", "", "", "", "", ""],
			]),
		);
		expect(drafts.map((d) => d.errors.map((e) => [e.row, e.column]))).toEqual([[], [[3, "Variant SKU"]], [[4, "Handle"]]]);
	});
});

describe("JSON lines", () => {
	it("validates each line as a POST /products body and reports paths by line", () => {
		const lines = [
			JSON.stringify({ title: "Kaftan", variants: [{ sku: "K-1", priceMinor: 500 }] }),
			"",
			"{not json",
			JSON.stringify({ title: "Bad", variants: [{ priceMinor: -1 }, { priceMinor: 1 }, { priceMinor: 2 }] }),
			JSON.stringify([1]),
			JSON.stringify({ title: "Kaftan", variants: [{ sku: "K-2", priceMinor: 1 }] }),
		].join("\n");
		const drafts = read("jsonl", lines);
		expect(drafts[0]?.input).toMatchObject({ title: "Kaftan", status: "draft", variants: [{ priceMinor: 500 }] });
		expect(drafts[0]?.handle).toBe("kaftan");
		expect(drafts.map((d) => [d.firstRow, d.variantCount, d.errors.map((e) => e.path ?? e.message.slice(0, 14))])).toEqual([
			[1, 1, []],
			[3, 1, ["Not valid JSON"]],
			[4, 3, ["variants.0.priceMinor", "variants"]],
			[5, 1, ["Each line must"]],
			[6, 1, ["handle"]],
		]);
	});
});

describe("Batcher", () => {
	it("cuts batches at ~N variants without splitting products, independent of validity", () => {
		const draft = (row: number, variantCount: number) =>
			({ firstRow: row, lastRow: row + variantCount - 1, variantCount }) as ProductDraft;
		const b = new Batcher(10);
		const batches = [draft(2, 4), draft(6, 6), draft(12, 1), draft(13, 25), draft(38, 2)].flatMap((d) => b.push(d));
		batches.push(...b.end());
		expect(batches.map((x) => [x.index, x.firstRow, x.lastRow, x.variants, x.drafts.length])).toEqual([
			[0, 2, 11, 10, 2],
			[1, 12, 12, 1, 1],
			[2, 13, 37, 25, 1],
			[3, 38, 39, 2, 1],
		]);
	});
});
