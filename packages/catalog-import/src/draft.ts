import { CreateProductInput, textIssues } from "@oja/contracts";
import type { z } from "zod";

/** One problem with one row of the file, as reported to the merchant. */
export interface RowError {
	/** CSV: the record number (header = 1). JSON lines: the line number. */
	row: number;
	/** CSV: the column the problem is in, when there is one. */
	column?: string;
	/** JSON lines: the field's path in the product object (variants.0.sku). */
	path?: string;
	message: string;
}

type Path = readonly PropertyKey[];

/** One product as read from the file: valid (input set, no errors) or not, with where it came from. */
export interface ProductDraft {
	firstRow: number;
	lastRow: number;
	/** Variant rows (CSV) or variants (JSON lines) it took in the file; batches are sized by these. */
	variantCount: number;
	/** The handle it claims (as written, or derived from the title), when one could be read. */
	handle: string | undefined;
	/** Each variant's SKU as written, by variant position. */
	skus: (string | undefined)[];
	/** Set when the product passed CreateProductInput; rejected drafts may still gain errors later. */
	input: CreateProductInput | undefined;
	errors: RowError[];
	/** A RowError pointing at the row/column behind a CreateProductInput path (["handle"], ["variants", 2, "sku"]). */
	errorAt(path: Path, message: string): RowError;
}

export const isValid = (d: ProductDraft): d is ProductDraft & { input: CreateProductInput } =>
	d.input !== undefined && d.errors.length === 0;

/**
 * Runs the single-create rules (CreateProductInput, unchanged) on a candidate and records
 * every issue against the row it came from. Issues at a place that already has an error
 * (a price that did not parse, say) are not reported twice.
 */
export function validateDraft(draft: ProductDraft, candidate: unknown): void {
	// Import lines stream past the gateway's text check, so they get the same one here: a
	// lone surrogate or NUL is a row error, never a failed write.
	const unstorable = textIssues(candidate);
	if (unstorable.length > 0) {
		for (const issue of unstorable) draft.errors.push(draft.errorAt(issue.path, issue.message));
		return;
	}
	const parsed = CreateProductInput.safeParse(candidate);
	if (parsed.success) {
		if (draft.errors.length === 0) draft.input = parsed.data;
		return;
	}
	const seen = new Set(draft.errors.map(errorKey));
	for (const issue of parsed.error.issues as z.core.$ZodIssue[]) {
		const error = draft.errorAt(issue.path, issue.message);
		const key = errorKey(error);
		if (seen.has(key)) continue;
		seen.add(key);
		draft.errors.push(error);
	}
}

const errorKey = (e: RowError) => `${e.row}\u0000${e.column ?? e.path ?? ""}`;
