import { z } from "zod";
import { type Problem, problem } from "./problem.ts";

// Bulk product import (POST /v1/stores/{storeId}/products/import): the report it answers with.

export const PRODUCT_IMPORT_MAX_VARIANTS = 10_000;
export const PRODUCT_IMPORT_BATCH_VARIANTS = 100;
export const PRODUCT_IMPORT_MAX_BYTES = 16 * 1024 * 1024;
/** At most this many row errors are listed; `errorCount` has the total. */
export const PRODUCT_IMPORT_MAX_ERRORS = 1000;

/** CSV header names (matched case-insensitively); Handle, Title and Variant Price are required. */
export const PRODUCT_IMPORT_CSV_COLUMNS = [
	"Handle",
	"Title",
	"Body",
	"Status",
	"Tags",
	"Image Src",
	"Image Alt Text",
	"Option1 Name",
	"Option1 Value",
	"Option2 Name",
	"Option2 Value",
	"Option3 Name",
	"Option3 Value",
	"Variant SKU",
	"Variant Price",
	"Variant Compare At Price",
	"Variant Grams",
	"Variant Inventory Qty",
] as const;

export const ProductImportFormat = z.enum(["csv", "jsonl"]);
export type ProductImportFormat = z.infer<typeof ProductImportFormat>;

export const ProductImportRowError = z.object({
	row: z.number().int().describe("CSV: record number, the header being row 1. JSON lines: line number."),
	column: z.string().optional().describe("CSV: the column the problem is in"),
	path: z.string().optional().describe("JSON lines: the field's path in the product (variants.0.sku)"),
	message: z.string(),
});
export type ProductImportRowError = z.infer<typeof ProductImportRowError>;

export const ProductImportBatch = z.object({
	index: z.number().int(),
	firstRow: z.number().int(),
	lastRow: z.number().int(),
	status: z.enum(["written", "rejected"]).describe("A batch is written whole or not at all"),
	products: z.number().int().describe("Products in the batch (written or not)"),
	variants: z.number().int(),
});
export type ProductImportBatch = z.infer<typeof ProductImportBatch>;

export const ProductImportReport = z.object({
	format: ProductImportFormat,
	products: z.object({ created: z.number().int(), rejected: z.number().int() }),
	variants: z.object({ created: z.number().int(), rejected: z.number().int() }),
	batches: z.array(ProductImportBatch),
	errorCount: z.number().int(),
	errors: z.array(ProductImportRowError).describe(`Row errors in file order (at most ${PRODUCT_IMPORT_MAX_ERRORS})`),
});
export type ProductImportReport = z.infer<typeof ProductImportReport>;

/** The 413 for an import file over PRODUCT_IMPORT_MAX_BYTES (the gateway and the catalog Worker answer alike). */
export const importTooLarge = (): Problem =>
	problem("payload-too-large", `Import files are limited to ${PRODUCT_IMPORT_MAX_BYTES} bytes. Split the file.`, {
		extensions: { maxBytes: PRODUCT_IMPORT_MAX_BYTES },
	});
