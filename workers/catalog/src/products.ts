import type {
	CreateProductInput,
	Product,
	ProductList,
	ProductListQuery,
	RequestContext,
	StoreAccess,
	UpdateProductInput,
	Variant,
} from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, isVeto, newId, schema, unlessChanged } from "@oja/db";
import { appendEvent } from "@oja/events";
import { and, desc, eq, ilike, inArray, lt, type SQL, sql } from "drizzle-orm";

// Every query filters by the StoreAccess's store id (never a client-sent one).

type ProductRow = typeof schema.products.$inferSelect;
type VariantRow = typeof schema.variants.$inferSelect;
type InventoryRow = typeof schema.inventory.$inferSelect;

export function slugify(title: string): string {
	const base = title
		.normalize("NFKD")
		.replace(/[\u0300-\u036f]/g, "")
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "-")
		.replace(/^-+|-+$/g, "")
		.slice(0, 90)
		.replace(/-+$/g, "");
	return base || "product";
}

export function toProduct(p: ProductRow, vs: VariantRow[], stock: Map<string, InventoryRow>): Product {
	return {
		id: p.id,
		handle: p.handle,
		title: p.title,
		description: p.description,
		status: p.status,
		tags: p.tags,
		images: p.images,
		options: p.options,
		variants: vs
			.filter((v) => v.productId === p.id)
			.sort((a, b) => a.position - b.position)
			.map((v): Variant => {
				const inv = stock.get(v.id);
				const onHand = inv?.onHand ?? 0;
				const reserved = inv?.reserved ?? 0;
				return {
					id: v.id,
					sku: v.sku,
					title: v.title,
					optionValues: v.optionValues,
					priceMinor: v.priceMinor,
					compareAtMinor: v.compareAtMinor,
					currency: v.currency as Variant["currency"],
					weightGrams: v.weightGrams,
					inventory: { onHand, reserved, available: Math.max(0, onHand - reserved) },
				};
			}),
		createdAt: p.createdAt.toISOString(),
		updatedAt: p.updatedAt.toISOString(),
	};
}

export function conflict(error: unknown): never {
	if (isUniqueViolation(error, "products_store_handle_key")) {
		throw new ProblemError(
			problem("conflict", "Another product in this store has that handle.", {
				errors: [{ path: "handle", message: "Already used", code: "taken" }],
			}),
		);
	}
	if (isUniqueViolation(error, "variants_store_sku_key")) {
		throw new ProblemError(
			problem("conflict", "Another variant in this store has that SKU.", {
				errors: [{ path: "variants", message: "SKU already used", code: "taken" }],
			}),
		);
	}
	throw error;
}

export const eventIdsOf = (result: { rows: unknown[] }) => result.rows.map((r) => String((r as { id: unknown }).id));

export async function createProduct(db: Database, access: StoreAccess, input: CreateProductInput, ctx: RequestContext) {
	const [store] = await db
		.select({ currency: schema.stores.currency })
		.from(schema.stores)
		.where(eq(schema.stores.id, access.storeId));
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	const { product, variantRows, stock, initial } = buildProductRows(access, input, store.currency, ctx);
	try {
		const results = await db.batch([
			db.insert(schema.products).values(product),
			db.insert(schema.variants).values(variantRows),
			db.insert(schema.inventory).values(stock),
			...(initial.length > 0 ? [db.insert(schema.inventoryAdjustments).values(initial)] : []),
			productCreatedEvent(db, access, product, ctx),
		]);
		const event = results[results.length - 1] as { rows: unknown[] };
		return { product: toProduct(product, variantRows, new Map(stock.map((s) => [s.variantId, s]))), eventIds: eventIdsOf(event) };
	} catch (error) {
		conflict(error);
	}
}

export async function loadProducts(db: Database, storeId: string, where: SQL | undefined, limit: number, cursor?: string) {
	const conditions = [eq(schema.products.storeId, storeId), where, cursor ? lt(schema.products.id, cursor) : undefined].filter(
		(c): c is SQL => c !== undefined,
	);
	const products = await db
		.select()
		.from(schema.products)
		.where(and(...conditions))
		.orderBy(desc(schema.products.id))
		.limit(limit);
	if (products.length === 0) return { products, variants: [] as VariantRow[], stock: new Map<string, InventoryRow>() };
	const ids = products.map((p) => p.id);
	const [variantRows, stockRows] = await db.batch([
		db
			.select()
			.from(schema.variants)
			.where(and(eq(schema.variants.storeId, storeId), inArray(schema.variants.productId, ids))),
		db
			.select({ inventory: schema.inventory })
			.from(schema.inventory)
			.innerJoin(schema.variants, eq(schema.variants.id, schema.inventory.variantId))
			.where(and(eq(schema.inventory.storeId, storeId), inArray(schema.variants.productId, ids))),
	]);
	return { products, variants: variantRows, stock: new Map(stockRows.map((r) => [r.inventory.variantId, r.inventory])) };
}

export async function getProduct(db: Database, storeId: string, productId: string): Promise<Product> {
	const { products, variants, stock } = await loadProducts(db, storeId, eq(schema.products.id, productId), 1);
	const product = products[0];
	if (!product) throw new ProblemError(problem("not-found", "No such product."));
	return toProduct(product, variants, stock);
}

export async function listProducts(db: Database, storeId: string, query: ProductListQuery, extra?: SQL): Promise<ProductList> {
	const filters = [
		query.status ? eq(schema.products.status, query.status) : undefined,
		query.q ? ilike(schema.products.title, `%${query.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`) : undefined,
		query.collection
			? inArray(
					schema.products.id,
					db
						.select({ id: schema.collectionProducts.productId })
						.from(schema.collectionProducts)
						.where(
							and(eq(schema.collectionProducts.storeId, storeId), eq(schema.collectionProducts.collectionId, query.collection)),
						),
				)
			: undefined,
		extra,
	].filter((c): c is SQL => c !== undefined);
	const { products, variants, stock } = await loadProducts(
		db,
		storeId,
		filters.length > 0 ? and(...filters) : undefined,
		query.limit + 1,
		query.cursor,
	);
	const page = products.slice(0, query.limit);
	return {
		items: page.map((p) => toProduct(p, variants, stock)),
		nextCursor: products.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
	};
}

export async function updateProduct(
	db: Database,
	access: StoreAccess,
	productId: string,
	input: UpdateProductInput,
	ctx: RequestContext,
) {
	const [existing] = await db
		.select({ handle: schema.products.handle })
		.from(schema.products)
		.where(and(eq(schema.products.id, productId), eq(schema.products.storeId, access.storeId)));
	if (!existing) throw new ProblemError(problem("not-found", "No such product."));
	const handleNow = input.handle ?? existing.handle;
	try {
		// The change and its event commit together, and not at all if the product went away
		// since the read above (a concurrent delete): no event for a write that did nothing.
		const [, event] = await db.batch([
			db.execute(
				unlessChanged(
					db
						.update(schema.products)
						.set({ ...input, updatedAt: new Date() })
						.where(and(eq(schema.products.id, productId), eq(schema.products.storeId, access.storeId)))
						.returning({ id: schema.products.id }),
					"product-not-updated",
				),
			),
			appendEvent(
				db,
				{
					type: "catalog.product.updated",
					storeId: access.storeId,
					aggregateId: productId,
					payload: {
						storeId: access.storeId,
						productId,
						handle: handleNow,
						...(handleNow !== existing.handle ? { previousHandle: existing.handle } : {}),
					},
				},
				ctx.requestId,
			),
		]);
		return { product: await getProduct(db, access.storeId, productId), eventIds: eventIdsOf(event) };
	} catch (error) {
		if (isVeto(error)) await explainVeto(db, access.storeId, productId, "update");
		conflict(error);
	}
}

/**
 * Why a guarded product write matched nothing: the product is gone (404), has reserved stock
 * (a delete's 409), or changed under the request (409).
 */
async function explainVeto(db: Database, storeId: string, productId: string, write: "update" | "delete"): Promise<never> {
	const product = await getProduct(db, storeId, productId);
	const reserved = product.variants.reduce((sum, v) => sum + v.inventory.reserved, 0);
	if (write === "delete" && reserved > 0) {
		throw new ProblemError(
			problem("conflict", `${reserved} unit(s) of this product are reserved by open orders; archive it instead.`),
		);
	}
	throw new ProblemError(problem("conflict", "The product changed while this request was on its way; try again."));
}

/**
 * Deletes a product unless units of any of its variants are reserved by open orders (the
 * same rule deleteVariant applies one variant at a time). The check is in the deleting
 * statement, and oja_assert vetoes the event when it deleted nothing.
 */
export async function deleteProduct(db: Database, access: StoreAccess, productId: string, ctx: RequestContext) {
	const [existing] = await db
		.select({ handle: schema.products.handle })
		.from(schema.products)
		.where(and(eq(schema.products.id, productId), eq(schema.products.storeId, access.storeId)));
	if (!existing) throw new ProblemError(problem("not-found", "No such product."));
	// Lock the product's stock first so a reservation cannot land between the check and the delete.
	const lock = db.execute(sql`
		SELECT 1 FROM variants v JOIN inventory i ON i.variant_id = v.id
		WHERE v.product_id = ${productId} AND v.store_id = ${access.storeId}
		FOR UPDATE OF v, i`);
	const remove = db.execute(
		unlessChanged(
			sql`DELETE FROM products p
				WHERE p.id = ${productId} AND p.store_id = ${access.storeId}
					AND NOT EXISTS (
						SELECT 1 FROM variants v JOIN inventory i ON i.variant_id = v.id
						WHERE v.product_id = p.id AND i.reserved > 0
					)
				RETURNING p.id`,
			"product-not-deleted",
		),
	);
	try {
		const [, , event] = await db.batch([
			lock,
			remove,
			appendEvent(
				db,
				{
					type: "catalog.product.deleted",
					storeId: access.storeId,
					aggregateId: productId,
					payload: { storeId: access.storeId, productId, handle: existing.handle },
				},
				ctx.requestId,
			),
		]);
		return { eventIds: eventIdsOf(event) };
	} catch (error) {
		if (isVeto(error)) await explainVeto(db, access.storeId, productId, "delete");
		throw error;
	}
}

/**
 * The rows one new product writes (product, variants, stock, initial-stock history), shared by
 * single create and bulk import so both apply the same defaults.
 */
export function buildProductRows(access: StoreAccess, input: CreateProductInput, currency: string, ctx: RequestContext) {
	const now = new Date();
	const product: ProductRow = {
		id: newId("product"),
		storeId: access.storeId,
		handle: input.handle ?? slugify(input.title),
		title: input.title,
		description: input.description,
		status: input.status,
		tags: input.tags,
		images: input.images,
		options: input.options,
		createdAt: now,
		updatedAt: now,
	};
	const variantRows: VariantRow[] = input.variants.map((v, position) => ({
		id: newId("variant"),
		storeId: access.storeId,
		productId: product.id,
		sku: v.sku ?? null,
		title: v.title ?? (v.optionValues.length > 0 ? v.optionValues.join(" / ") : "Default"),
		optionValues: v.optionValues,
		priceMinor: v.priceMinor,
		compareAtMinor: v.compareAtMinor ?? null,
		currency,
		weightGrams: v.weightGrams ?? null,
		position,
		createdAt: now,
		updatedAt: now,
	}));
	const stock: InventoryRow[] = variantRows.map((v, i) => ({
		variantId: v.id,
		storeId: access.storeId,
		onHand: input.variants[i]?.inventory?.onHand ?? 0,
		reserved: 0,
		updatedAt: now,
	}));
	const initial = stock
		.filter((s) => s.onHand > 0)
		.map((s) => ({
			id: newId("adjustment"),
			storeId: access.storeId,
			variantId: s.variantId,
			delta: s.onHand,
			reason: "initial stock",
			onHandAfter: s.onHand,
			actor: access.userId ?? access.apiKeyId,
			requestId: ctx.requestId,
		}));
	return { product, variantRows, stock, initial };
}

/** The catalog.product.created outbox statement, for the product's own write batch. */
export function productCreatedEvent(db: Database, access: StoreAccess, product: ProductRow, ctx: RequestContext) {
	return appendEvent(
		db,
		{
			type: "catalog.product.created",
			storeId: access.storeId,
			aggregateId: product.id,
			payload: { storeId: access.storeId, productId: product.id, handle: product.handle },
		},
		ctx.requestId,
	);
}
