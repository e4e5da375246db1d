// Shopify-like product CSV → CreateProductInput candidates. Rows with the same Handle are
// one product's variants (the first row carries the product fields); a later row with no
// variant data and an Image Src adds an image, as in Shopify exports.
import { MAX_STOCK, PRODUCT_IMPORT_CSV_COLUMNS } from "@oja/contracts";
import type { CsvRecord } from "./csv.ts";
import type { ProductDraft, RowError } from "./draft.ts";
import { validateDraft } from "./draft.ts";
import { ImportFileError } from "./errors.ts";
import { majorToMinor, wholeNumber } from "./money.ts";

export const CSV_COLUMNS = PRODUCT_IMPORT_CSV_COLUMNS;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

const REQUIRED_COLUMNS: CsvColumn[] = ["Handle", "Title", "Variant Price"];
const PRODUCT_COLUMNS: CsvColumn[] = ["Title", "Body", "Status", "Tags"];
const VARIANT_COLUMNS: CsvColumn[] = [
	"Option1 Value",
	"Option2 Value",
	"Option3 Value",
	"Variant SKU",
	"Variant Price",
	"Variant Compare At Price",
	"Variant Grams",
	"Variant Inventory Qty",
];
const MAX_GRAMS = 1_000_000;

const normalise = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase();
const BY_NAME = new Map<string, CsvColumn>(CSV_COLUMNS.map((c) => [normalise(c), c]));

/** Header names (case-insensitive) → positions; unknown, repeated or missing columns reject the file. */
export function readHeader(record: CsvRecord): Map<CsvColumn, number> {
	const positions = new Map<CsvColumn, number>();
	const errors: { path: string; message: string; code: string }[] = [];
	record.fields.forEach((raw, i) => {
		const column = BY_NAME.get(normalise(raw));
		if (!column) {
			errors.push({
				path: `header.${i}`,
				message: raw.trim() === "" ? `Column ${i + 1} has no name` : `Unknown column "${raw.trim()}"`,
				code: "unknown_column",
			});
		} else if (positions.has(column)) {
			errors.push({ path: `header.${i}`, message: `Column "${column}" appears twice`, code: "duplicate_column" });
		} else {
			positions.set(column, i);
		}
	});
	for (const column of REQUIRED_COLUMNS) {
		if (!positions.has(column)) errors.push({ path: "header", message: `Missing column "${column}"`, code: "missing_column" });
	}
	if (errors.length > 0) {
		throw new ImportFileError(
			`The header row is not one this import understands. Columns (any case): ${CSV_COLUMNS.join(", ")}.`,
			errors,
		);
	}
	return positions;
}

interface Row {
	row: number;
	get(column: CsvColumn): string;
}

interface Group {
	handle: string;
	first: Row;
	lastRow: number;
	variants: Row[];
	images: { row: number; src: string; alt: string }[];
	errors: RowError[];
}

/** Groups CSV records into product drafts, emitting each product when its last row has been read. */
export class ShopifyCsvReader {
	private group: Group | undefined;
	private readonly positions: Map<CsvColumn, number>;
	private readonly width: number;
	/** Variant rows seen so far (for the per-import limit). */
	variantRows = 0;

	/** Decimal places of the store's currency (prices are written in major units). */
	private readonly exponent: number;

	constructor(header: CsvRecord, exponent = 2) {
		this.exponent = exponent;
		this.positions = readHeader(header);
		this.width = header.fields.length;
	}

	push(record: CsvRecord): ProductDraft[] {
		if (record.fields.every((f) => f.trim() === "")) return [];
		const row: Row = {
			row: record.row,
			get: (column) => {
				const i = this.positions.get(column);
				return i === undefined ? "" : (record.fields[i] ?? "");
			},
		};
		const rowErrors: RowError[] = [];
		if (record.fields.length !== this.width) {
			rowErrors.push({
				row: record.row,
				message: `Row has ${record.fields.length} fields but the header has ${this.width} (check the quoting)`,
			});
		}
		const handle = row.get("Handle").trim();
		const out: ProductDraft[] = [];
		if (handle === "") {
			// Cannot belong to any product: it stands alone and rejects its batch.
			if (this.group) out.push(this.finish(this.group));
			this.group = undefined;
			this.variantRows++;
			out.push(orphan(record.row, [...rowErrors, { row: record.row, column: "Handle", message: "Handle is required" }]));
			return out;
		}
		if (this.group && this.group.handle !== handle) {
			out.push(this.finish(this.group));
			this.group = undefined;
		}
		if (!this.group) {
			this.group = { handle, first: row, lastRow: record.row, variants: [row], images: [], errors: rowErrors };
			this.variantRows++;
			this.addImage(this.group, row);
			return out;
		}
		const group = this.group;
		group.lastRow = record.row;
		group.errors.push(...rowErrors);
		for (const column of PRODUCT_COLUMNS) {
			const value = row.get(column).trim();
			if (value !== "" && value !== group.first.get(column).trim()) {
				group.errors.push({
					row: record.row,
					column,
					message: `Product fields belong on the product's first row (row ${group.first.row})`,
				});
			}
		}
		for (const k of [1, 2, 3] as const) {
			const name = row.get(`Option${k} Name`).trim();
			if (name !== "" && name !== group.first.get(`Option${k} Name`).trim()) {
				group.errors.push({
					row: record.row,
					column: `Option${k} Name`,
					message: `Option names are set on the product's first row (row ${group.first.row})`,
				});
			}
		}
		const isImageRow = VARIANT_COLUMNS.every((c) => row.get(c).trim() === "") && row.get("Image Src").trim() !== "";
		if (!isImageRow) {
			group.variants.push(row);
			this.variantRows++;
		}
		this.addImage(group, row);
		return out;
	}

	end(): ProductDraft[] {
		const group = this.group;
		this.group = undefined;
		return group ? [this.finish(group)] : [];
	}

	private addImage(group: Group, row: Row): void {
		const src = row.get("Image Src").trim();
		const alt = row.get("Image Alt Text").trim();
		if (src === "") {
			if (alt !== "") group.errors.push({ row: row.row, column: "Image Alt Text", message: "Alt text needs an Image Src" });
			return;
		}
		if (!group.images.some((image) => image.src === src)) group.images.push({ row: row.row, src, alt });
	}

	private finish(group: Group): ProductDraft {
		const { first, variants } = group;
		const draft: ProductDraft = {
			firstRow: first.row,
			lastRow: group.lastRow,
			variantCount: variants.length,
			handle: group.handle,
			skus: variants.map((v) => v.get("Variant SKU").trim() || undefined),
			input: undefined,
			errors: group.errors,
			errorAt: (path, message) => locate(group, path, message),
		};

		// Options: names on the first row, values collected from the variant rows.
		let names = ([1, 2, 3] as const).map((k) => first.get(`Option${k} Name`).trim());
		const firstGap = names.indexOf("");
		const count = firstGap === -1 ? 3 : firstGap;
		names.slice(count).forEach((name, i) => {
			if (name !== "") {
				draft.errors.push({
					row: first.row,
					column: `Option${count + i + 1} Name`,
					message: `Option${count + 1} Name is empty: name options in order`,
				});
			}
		});
		names = names.slice(0, count);
		let valuesOf = (v: Row) => names.map((_, k) => v.get(`Option${k + 1} Value` as CsvColumn).trim());
		// Shopify's "no options" product: one option Title = Default Title.
		const defaultTitle =
			names.length === 1 && names[0]?.toLowerCase() === "title" && variants.every((v) => valuesOf(v)[0] === "Default Title");
		if (defaultTitle) {
			names = [];
			valuesOf = () => [];
		}
		const options = names.map((name, k) => ({
			name,
			values: [...new Set(variants.map((v) => valuesOf(v)[k] ?? "").filter((value) => value !== ""))],
		}));

		const variantInputs = variants.map((v) => {
			const optionValues = valuesOf(v);
			optionValues.forEach((value, k) => {
				if (value === "") {
					draft.errors.push({
						row: v.row,
						column: `Option${k + 1} Value`,
						message: `Give a value for ${names[k]}`,
					});
				}
			});
			for (let k = names.length; k < 3; k++) {
				const column = `Option${k + 1} Value` as CsvColumn;
				if (v.get(column).trim() !== "" && !(k === 0 && defaultTitle)) {
					draft.errors.push({
						row: v.row,
						column,
						message: `There is no Option${k + 1} Name on the product's first row (row ${first.row})`,
					});
				}
			}
			const variant: Record<string, unknown> = { optionValues };
			const sku = v.get("Variant SKU").trim();
			if (sku !== "") variant.sku = sku;
			const price = majorToMinor(v.get("Variant Price"), this.exponent);
			if (price.ok) variant.priceMinor = price.value;
			else draft.errors.push({ row: v.row, column: "Variant Price", message: price.message });
			const compareAt = v.get("Variant Compare At Price").trim();
			if (compareAt !== "") {
				const parsed = majorToMinor(compareAt, this.exponent);
				if (parsed.ok) variant.compareAtMinor = parsed.value;
				else draft.errors.push({ row: v.row, column: "Variant Compare At Price", message: parsed.message });
			}
			const grams = v.get("Variant Grams").trim();
			if (grams !== "") {
				const parsed = wholeNumber(grams, "Grams", MAX_GRAMS);
				if (parsed.ok) variant.weightGrams = parsed.value;
				else draft.errors.push({ row: v.row, column: "Variant Grams", message: parsed.message });
			}
			const qty = v.get("Variant Inventory Qty").trim();
			if (qty !== "") {
				const parsed = wholeNumber(qty, "Inventory", MAX_STOCK);
				if (parsed.ok) variant.inventory = { onHand: parsed.value };
				else draft.errors.push({ row: v.row, column: "Variant Inventory Qty", message: parsed.message });
			}
			return variant;
		});

		const candidate: Record<string, unknown> = {
			title: first.get("Title"),
			handle: group.handle,
			tags: first
				.get("Tags")
				.split(",")
				.map((t) => t.trim())
				.filter((t) => t !== ""),
			images: group.images.map((image) => ({ url: image.src, alt: image.alt })),
			options,
			variants: variantInputs,
		};
		const body = first.get("Body");
		if (body.trim() !== "") candidate.description = body;
		const status = first.get("Status").trim().toLowerCase();
		if (status !== "") candidate.status = status;
		validateDraft(draft, candidate);
		return draft;
	}
}

function orphan(row: number, errors: RowError[]): ProductDraft {
	return {
		firstRow: row,
		lastRow: row,
		variantCount: 1,
		handle: undefined,
		skus: [],
		input: undefined,
		errors,
		errorAt: (_path, message) => ({ row, message }),
	};
}

const VARIANT_FIELD_COLUMNS: Record<string, CsvColumn> = {
	sku: "Variant SKU",
	priceMinor: "Variant Price",
	compareAtMinor: "Variant Compare At Price",
	weightGrams: "Variant Grams",
	inventory: "Variant Inventory Qty",
};
const PRODUCT_FIELD_COLUMNS: Record<string, CsvColumn> = {
	title: "Title",
	handle: "Handle",
	description: "Body",
	status: "Status",
	tags: "Tags",
};

/** The row and column behind a CreateProductInput path. */
function locate(group: Group, path: readonly PropertyKey[], message: string): RowError {
	const [head, index, field, sub] = path;
	const first = group.first.row;
	if (head === "variants") {
		const row = typeof index === "number" ? (group.variants[index]?.row ?? first) : first;
		if (field === "optionValues") {
			return { row, column: `Option${typeof sub === "number" ? sub + 1 : 1} Value`, message };
		}
		const column = typeof field === "string" ? VARIANT_FIELD_COLUMNS[field] : undefined;
		return column ? { row, column, message } : { row, message };
	}
	if (head === "images") {
		const image = typeof index === "number" ? group.images[index] : undefined;
		return { row: image?.row ?? first, column: field === "alt" ? "Image Alt Text" : "Image Src", message };
	}
	if (head === "options") {
		const k = typeof index === "number" ? index + 1 : 1;
		return { row: first, column: field === "values" ? `Option${k} Value` : `Option${k} Name`, message };
	}
	const column = typeof head === "string" ? PRODUCT_FIELD_COLUMNS[head] : undefined;
	return column ? { row: first, column, message } : { row: first, message };
}
