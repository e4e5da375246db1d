// Bulk product import: read the upload as it streams in, group and validate it (pure logic
// in @oja/catalog-import), then write it in batches of ~100 variants, each batch one
// transaction with its products' outbox events and initial-stock history.
import {
	Batcher,
	type DraftBatch,
	ImportFileError,
	ImportParser,
	isValid,
	type ProductDraft,
	type RowError,
} from "@oja/catalog-import";
import {
	CURRENCY_EXPONENT,
	type Currency,
	errorLogRecord,
	importTooLarge,
	PRODUCT_IMPORT_BATCH_VARIANTS,
	PRODUCT_IMPORT_MAX_BYTES,
	PRODUCT_IMPORT_MAX_ERRORS,
	PRODUCT_IMPORT_MAX_VARIANTS,
	ProblemError,
	type ProductImportBatch,
	ProductImportFormat,
	type ProductImportReport,
	parseOrThrow,
	problem,
	type RequestContext,
	type StoreAccess,
} from "@oja/contracts";
import { type Database, isUniqueViolation, pgErrorCode, schema } from "@oja/db";
import { and, eq, inArray } from "drizzle-orm";
import { buildProductRows, eventIdsOf, productCreatedEvent, slugify } from "./products.ts";

/** How many handles or SKUs one existence check asks about. */
const LOOKUP_CHUNK = 1000;

export interface ImportOptions {
	maxVariants?: number;
	maxBytes?: number;
	batchVariants?: number;
	/** Publishes a written batch's events once the response is on its way. */
	relay: (eventIds: string[]) => void;
}

export type { ProductImportReport };

/** The RPC entry: checks what crossed the service binding, then imports. */
export function importFromRpc(
	db: Database,
	access: StoreAccess,
	format: unknown,
	body: unknown,
	ctx: RequestContext,
	options: ImportOptions,
): Promise<ProductImportReport> {
	if (!(body instanceof ReadableStream)) {
		throw new ProblemError(problem("bad-request", "The import needs the file as a request body."));
	}
	const stream = body as ReadableStream<Uint8Array>;
	let parsedFormat: ProductImportFormat;
	try {
		parsedFormat = parseOrThrow(ProductImportFormat, format, "format");
	} catch (error) {
		void stream.cancel().catch(() => undefined);
		throw error;
	}
	return importProducts(db, access, parsedFormat, stream, ctx, options);
}

export async function importProducts(
	db: Database,
	access: StoreAccess,
	format: ProductImportFormat,
	body: ReadableStream<Uint8Array>,
	ctx: RequestContext,
	options: ImportOptions,
): Promise<ProductImportReport> {
	const [store] = await db
		.select({ currency: schema.stores.currency })
		.from(schema.stores)
		.where(eq(schema.stores.id, access.storeId));
	if (!store) {
		await body.cancel().catch(() => undefined);
		throw new ProblemError(problem("not-found", "No such store."));
	}

	// 1. The whole file is read and checked before anything is written, so a file that is
	//    unusable as a whole (bad header, broken quoting, too many variants) writes nothing.
	const { drafts, batches } = await readBatches(body, format, {
		currencyExponent: CURRENCY_EXPONENT[store.currency as Currency] ?? 2,
		maxVariants: options.maxVariants ?? PRODUCT_IMPORT_MAX_VARIANTS,
		maxBytes: options.maxBytes ?? PRODUCT_IMPORT_MAX_BYTES,
		batchVariants: options.batchVariants ?? PRODUCT_IMPORT_BATCH_VARIANTS,
	});

	// 2. Handles and SKUs already used in the store are row errors, found before writing.
	await markExisting(db, access.storeId, drafts);

	// 3. Each batch is one transaction: all of its products or none.
	const report: ProductImportReport = {
		format,
		products: { created: 0, rejected: 0 },
		variants: { created: 0, rejected: 0 },
		batches: [],
		errorCount: 0,
		errors: [],
	};
	const batchErrors: RowError[] = [];
	for (const batch of batches) {
		const summary: ProductImportBatch = {
			index: batch.index,
			firstRow: batch.firstRow,
			lastRow: batch.lastRow,
			status: "rejected",
			products: batch.drafts.length,
			variants: batch.variants,
		};
		if (batch.drafts.every(isValid)) {
			const outcome = await writeBatch(db, access, store.currency, batch, ctx);
			if (outcome.ok) {
				summary.status = "written";
				options.relay(outcome.eventIds);
			} else {
				batchErrors.push(outcome.error);
			}
		}
		report.batches.push(summary);
		const side = summary.status === "written" ? "created" : "rejected";
		report.products[side] += summary.products;
		report.variants[side] += summary.variants;
	}

	const errors = [...drafts.flatMap((d) => d.errors), ...batchErrors].sort((a, b) => a.row - b.row);
	report.errorCount = errors.length;
	report.errors = errors.slice(0, PRODUCT_IMPORT_MAX_ERRORS);
	return report;
}

async function readBatches(
	body: ReadableStream<Uint8Array>,
	format: ProductImportFormat,
	limits: { currencyExponent: number; maxVariants: number; maxBytes: number; batchVariants: number },
): Promise<{ drafts: ProductDraft[]; batches: DraftBatch[] }> {
	const { currencyExponent, maxVariants, maxBytes, batchVariants } = limits;
	const parser = new ImportParser(format, { defaultHandle: slugify, currencyExponent });
	const batcher = new Batcher(batchVariants);
	const drafts: ProductDraft[] = [];
	const batches: DraftBatch[] = [];
	const take = (ready: ProductDraft[]) => {
		for (const draft of ready) {
			drafts.push(draft);
			batches.push(...batcher.push(draft));
		}
	};
	const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
	const reader = body.getReader();
	let bytes = 0;
	try {
		for (;;) {
			let chunk: ReadableStreamReadResult<Uint8Array>;
			try {
				chunk = await reader.read();
			} catch {
				throw new ProblemError(problem("bad-request", "The upload ended before the whole file was received."));
			}
			if (!chunk.done) {
				bytes += chunk.value.byteLength;
				// Counted as it streams: past the cap reading stops, and nothing has been written.
				if (bytes > maxBytes) throw new ProblemError(importTooLarge());
			}
			let text: string;
			try {
				text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
			} catch {
				throw new ProblemError(
					problem("validation-failed", "The file is not valid UTF-8 text.", {
						errors: [{ path: "body", message: "Not valid UTF-8", code: "encoding" }],
					}),
				);
			}
			take(parser.push(text));
			if (parser.variantsRead > maxVariants) {
				throw new ProblemError(
					problem(
						"payload-too-large",
						`An import takes at most ${maxVariants} variants; this file has more. Split it and import the parts.`,
						{ extensions: { maxVariants } },
					),
				);
			}
			if (chunk.done) break;
		}
		take(parser.end());
	} catch (error) {
		await reader.cancel().catch(() => undefined);
		if (error instanceof ImportFileError) {
			throw new ProblemError(
				problem("validation-failed", `${error.message} Nothing was imported.`, {
					errors: error.errors.length > 0 ? error.errors : [{ path: "body", message: error.message, code: "file" }],
				}),
			);
		}
		throw error;
	}
	batches.push(...batcher.end());
	return { drafts, batches };
}

/** Adds a row error to every valid draft whose handle or SKU another product in the store already has. */
async function markExisting(db: Database, storeId: string, drafts: ProductDraft[]): Promise<void> {
	const byHandle = new Map<string, ProductDraft>();
	const bySku = new Map<string, { draft: ProductDraft; index: number }>();
	for (const draft of drafts) {
		if (!isValid(draft)) continue;
		if (draft.handle !== undefined) byHandle.set(draft.handle, draft);
		draft.input.variants.forEach((v, index) => {
			if (v.sku) bySku.set(v.sku, { draft, index });
		});
	}
	const handles = [...byHandle.keys()];
	const skus = [...bySku.keys()];
	const queries = [];
	for (let i = 0; i < handles.length; i += LOOKUP_CHUNK) {
		queries.push(
			db
				.select({ key: schema.products.handle })
				.from(schema.products)
				.where(and(eq(schema.products.storeId, storeId), inArray(schema.products.handle, handles.slice(i, i + LOOKUP_CHUNK)))),
		);
	}
	const handleQueries = queries.length;
	for (let i = 0; i < skus.length; i += LOOKUP_CHUNK) {
		queries.push(
			db
				.select({ key: schema.variants.sku })
				.from(schema.variants)
				.where(and(eq(schema.variants.storeId, storeId), inArray(schema.variants.sku, skus.slice(i, i + LOOKUP_CHUNK)))),
		);
	}
	const [head, ...rest] = queries;
	if (!head) return;
	const results = await db.batch([head, ...rest]);
	results.forEach((rows, q) => {
		for (const { key } of rows) {
			if (key === null) continue;
			if (q < handleQueries) {
				const draft = byHandle.get(key);
				draft?.errors.push(draft.errorAt(["handle"], `Handle "${key}" is already used by a product in this store`));
			} else {
				const hit = bySku.get(key);
				hit?.draft.errors.push(
					hit.draft.errorAt(["variants", hit.index, "sku"], `SKU "${key}" is already used by a variant in this store`),
				);
			}
		}
	});
}

type BatchOutcome = { ok: true; eventIds: string[] } | { ok: false; error: RowError };

async function writeBatch(
	db: Database,
	access: StoreAccess,
	currency: string,
	batch: DraftBatch,
	ctx: RequestContext,
): Promise<BatchOutcome> {
	const built = batch.drafts.filter(isValid).map((d) => buildProductRows(access, d.input, currency, ctx));
	const initial = built.flatMap((b) => b.initial);
	try {
		const results = await db.batch([
			db.insert(schema.products).values(built.map((b) => b.product)),
			db.insert(schema.variants).values(built.flatMap((b) => b.variantRows)),
			db.insert(schema.inventory).values(built.flatMap((b) => b.stock)),
			...(initial.length > 0 ? [db.insert(schema.inventoryAdjustments).values(initial)] : []),
			...built.map((b) => productCreatedEvent(db, access, b.product, ctx)),
		]);
		const events = results.slice(results.length - built.length) as { rows: unknown[] }[];
		return { ok: true, eventIds: events.flatMap(eventIdsOf) };
	} catch (error) {
		// Earlier batches are committed, so no failure here may become a 500 without a report:
		// whatever the database refused, this batch is rejected whole and the import goes on.
		if (!isUniqueViolation(error)) {
			console.error(
				JSON.stringify({ level: "error", msg: "import.batch_failed", requestId: ctx.requestId, error: errorLogRecord(error) }),
			);
			return {
				ok: false,
				error: {
					row: batch.firstRow,
					message: `Batch ${batch.index} (rows ${batch.firstRow}–${batch.lastRow}) was not written: the database refused it${pgErrorCode(error) ? ` (SQLSTATE ${pgErrorCode(error)})` : ""}`,
				},
			};
		}
		// A handle or SKU taken since the check (a concurrent create): this batch is rejected, the import goes on.
		const what = isUniqueViolation(error, "products_store_handle_key")
			? "a handle"
			: isUniqueViolation(error, "variants_store_sku_key")
				? "a SKU"
				: "a unique value";
		const key = uniqueKey(error);
		return {
			ok: false,
			error: {
				row: batch.firstRow,
				message: `Batch ${batch.index} (rows ${batch.firstRow}–${batch.lastRow}) was not written: ${what}${key ? ` (${key})` : ""} was taken by another product in this store while the import ran`,
			},
		};
	}
}

/** The duplicate value from Postgres' unique-violation detail ("Key (store_id, sku)=(st_…, ABC) already exists."). */
function uniqueKey(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
		const detail = (current as { detail?: unknown }).detail;
		if (typeof detail === "string") {
			const match = /\)=\((?:[^,]*, )?(.*)\) already exists/.exec(detail);
			return match?.[1];
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
