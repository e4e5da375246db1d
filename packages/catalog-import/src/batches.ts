import type { ProductDraft } from "./draft.ts";

export interface DraftBatch {
	/** 0-based, in file order. */
	index: number;
	firstRow: number;
	lastRow: number;
	variants: number;
	drafts: ProductDraft[];
}

/**
 * Cuts the file's products, in order, into batches of at most `maxVariants` variant rows
 * (never splitting a product; a product bigger than that is a batch of its own). Where the
 * cuts fall depends only on the file, not on which rows are valid.
 */
export class Batcher {
	private current: DraftBatch | undefined;
	private next = 0;
	private readonly maxVariants: number;

	constructor(maxVariants = 100) {
		this.maxVariants = maxVariants;
	}

	push(draft: ProductDraft): DraftBatch[] {
		const out: DraftBatch[] = [];
		if (this.current && this.current.variants + draft.variantCount > this.maxVariants) {
			out.push(this.current);
			this.current = undefined;
		}
		this.current ??= { index: this.next++, firstRow: draft.firstRow, lastRow: draft.lastRow, variants: 0, drafts: [] };
		this.current.drafts.push(draft);
		this.current.variants += draft.variantCount;
		this.current.lastRow = draft.lastRow;
		return out;
	}

	end(): DraftBatch[] {
		const last = this.current;
		this.current = undefined;
		return last ? [last] : [];
	}
}

/**
 * Handles and SKUs must be unique in the store, so a second use within the file is an error
 * on the later product (the first one may still be written).
 */
export class FileDuplicates {
	private readonly handles = new Map<string, number>();
	private readonly skus = new Map<string, number>();

	check(draft: ProductDraft): void {
		if (draft.handle !== undefined) {
			const earlier = this.handles.get(draft.handle);
			if (earlier !== undefined) {
				draft.errors.push(
					draft.errorAt(
						["handle"],
						`Handle "${draft.handle}" is already used by the product at row ${earlier} (keep a product's rows together)`,
					),
				);
			} else {
				this.handles.set(draft.handle, draft.firstRow);
			}
		}
		const mine = new Set<string>();
		draft.skus.forEach((sku, i) => {
			// A repeat inside one product is CreateProductInput's to report.
			if (sku === undefined || sku === "" || mine.has(sku)) return;
			mine.add(sku);
			const earlier = this.skus.get(sku);
			if (earlier !== undefined) {
				draft.errors.push(draft.errorAt(["variants", i, "sku"], `SKU "${sku}" is already used at row ${earlier}`));
			} else {
				this.skus.set(sku, draft.errorAt(["variants", i, "sku"], "").row);
			}
		});
	}
}
