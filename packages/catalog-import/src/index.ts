// Bulk product import: pure parsing, grouping, conversion and batching (no Workers or HTTP).
// The catalog Worker feeds it text as it streams in and writes the batches it produces.
import { FileDuplicates } from "./batches.ts";
import { CsvSyntaxError, CsvTokenizer } from "./csv.ts";
import type { ProductDraft } from "./draft.ts";
import { ImportFileError } from "./errors.ts";
import { jsonLineDraft } from "./jsonl.ts";
import { LineSplitter, LineTooLongError } from "./lines.ts";
import { ShopifyCsvReader } from "./shopify.ts";

export { Batcher, type DraftBatch, FileDuplicates } from "./batches.ts";
export { type CsvRecord, CsvSyntaxError, CsvTokenizer, csvRecord } from "./csv.ts";
export { isValid, type ProductDraft, type RowError, validateDraft } from "./draft.ts";
export { ImportFileError } from "./errors.ts";
export { jsonLineDraft } from "./jsonl.ts";
export { type Line, LineSplitter, LineTooLongError } from "./lines.ts";
export { majorToMinor, minorToMajor, type Parsed, wholeNumber } from "./money.ts";
export { CSV_COLUMNS, type CsvColumn, readHeader, ShopifyCsvReader } from "./shopify.ts";

export type ImportFormat = "csv" | "jsonl";

export interface ImportParserOptions {
	/** The handle a product without one gets (the single-create rule); JSON lines only. */
	defaultHandle: (title: string) => string;
	/** Decimal places of the store's currency, for CSV prices in major units (default 2). */
	currencyExponent?: number;
	maxRecordChars?: number;
}

/**
 * Text in, product drafts out, incrementally: push chunks as they arrive, then end().
 * Every draft has been through CreateProductInput and the in-file duplicate check.
 * Throws ImportFileError when the file as a whole is unusable.
 */
export class ImportParser {
	private readonly format: ImportFormat;
	private readonly options: ImportParserOptions;
	private readonly csv: CsvTokenizer | undefined;
	private readonly lines: LineSplitter | undefined;
	private reader: ShopifyCsvReader | undefined;
	private jsonVariants = 0;
	private products = 0;
	private readonly duplicates = new FileDuplicates();

	constructor(format: ImportFormat, options: ImportParserOptions) {
		this.format = format;
		this.options = options;
		const max = options.maxRecordChars ?? 1024 * 1024;
		if (format === "csv") this.csv = new CsvTokenizer({ maxRecordChars: max });
		else this.lines = new LineSplitter({ maxLineChars: max });
	}

	/** Variant rows read so far, including those of products not yet complete. */
	get variantsRead(): number {
		return this.format === "csv" ? (this.reader?.variantRows ?? 0) : this.jsonVariants;
	}

	push(text: string): ProductDraft[] {
		return this.guard(() => (this.csv ? this.csvRecords(this.csv.push(text)) : this.jsonLines(this.lines?.push(text) ?? [])));
	}

	end(): ProductDraft[] {
		const drafts = this.guard(() =>
			this.csv
				? [...this.csvRecords(this.csv.end()), ...(this.reader?.end() ?? []).map((d) => this.checked(d))]
				: this.jsonLines(this.lines?.end() ?? []),
		);
		if (this.csv && !this.reader) throw new ImportFileError("The file is empty: it needs a header row and product rows.");
		if (this.products === 0) throw new ImportFileError("The file has no product rows.");
		return drafts;
	}

	private csvRecords(records: ReturnType<CsvTokenizer["push"]>): ProductDraft[] {
		const out: ProductDraft[] = [];
		for (const record of records) {
			if (!this.reader) {
				this.reader = new ShopifyCsvReader(record, this.options.currencyExponent);
				continue;
			}
			for (const draft of this.reader.push(record)) out.push(this.checked(draft));
		}
		return out;
	}

	private jsonLines(lines: ReturnType<LineSplitter["push"]>): ProductDraft[] {
		const out: ProductDraft[] = [];
		for (const line of lines) {
			if (line.text.trim() === "") continue;
			const draft = jsonLineDraft(line, this.options.defaultHandle);
			this.jsonVariants += draft.variantCount;
			out.push(this.checked(draft));
		}
		return out;
	}

	private checked(draft: ProductDraft): ProductDraft {
		this.products++;
		this.duplicates.check(draft);
		return draft;
	}

	private guard<T>(fn: () => T): T {
		try {
			return fn();
		} catch (error) {
			if (error instanceof CsvSyntaxError) {
				throw new ImportFileError(`The CSV cannot be read: ${error.message}.`, [
					{ path: `row.${error.row}`, message: error.message, code: "csv_syntax" },
				]);
			}
			if (error instanceof LineTooLongError) {
				throw new ImportFileError(error.message, [{ path: `row.${error.line}`, message: error.message, code: "too_long" }]);
			}
			throw error;
		}
	}
}
