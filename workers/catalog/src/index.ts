import { WorkerEntrypoint } from "cloudflare:workers";
import type { StorefrontVariantSnapshot } from "@oja/cart";
import {
	AdjustInventoryInput,
	type Collection,
	CollectionInput,
	type CollectionList,
	CollectionListQuery,
	CreateProductInput,
	CreateVariantInput,
	handle as handleSchema,
	type InventoryLevel,
	type Product,
	type ProductList,
	ProductListQuery,
	parseOrThrow,
	type RequestContext,
	type Result,
	runRpc,
	SetInventoryInput,
	type StoreAccess,
	type StorefrontCollection,
	StorefrontListQuery,
	type StorefrontProduct,
	StorefrontSearchQuery,
	type StorefrontView,
	StorefrontViewQuery,
	slug as slugSchema,
	UpdateCollectionInput,
	UpdateProductInput,
	UpdateVariantInput,
	type Variant,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { relayAfterResponse } from "@oja/events";
import { z } from "zod";
import { invalidateBatch } from "./cache-invalidation.ts";
import { createCollection, deleteCollection, getCollection, listCollections, updateCollection } from "./collections.ts";
import { importFromRpc, type ProductImportReport } from "./import.ts";
import { changeInventory } from "./inventory.ts";
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct } from "./products.ts";
import { storefrontSearch } from "./search.ts";
import { storefrontCollection, storefrontList, storefrontProduct } from "./storefront.ts";
import { storefrontVariant } from "./variant-snapshot.ts";
import { addVariant, deleteVariant, getVariant, updateVariant } from "./variants.ts";
import { storefrontView } from "./view.ts";

const WORKER = "catalog";
const ProductId = z.string().regex(/^prd_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a prd_ id" });
const VariantId = z.string().regex(/^var_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a var_ id" });
const CollectionId = z.string().regex(/^col_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a col_ id" });

/**
 * The catalog Worker's RPC surface. Merchant methods take the StoreAccess the gateway
 * verified (store from the route, role checked); storefront methods take a public slug.
 */
export default class CatalogService extends WorkerEntrypoint<CatalogEnv> {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	async createProduct(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<Product>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return this.committed(await createProduct(createDb(this.env), access, parseOrThrow(CreateProductInput, input), ctx))
				.product;
		});
	}

	async listProducts(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<ProductList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listProducts(createDb(this.env), access.storeId, parseOrThrow(ProductListQuery, query, "query")),
		);
	}

	async getProduct(access: StoreAccess, productId: unknown, ctx: RequestContext): Promise<Result<Product>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getProduct(createDb(this.env), access.storeId, parseOrThrow(ProductId, productId, "product id")),
		);
	}

	async updateProduct(access: StoreAccess, productId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Product>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(ProductId, productId, "product id");
			return this.committed(await updateProduct(createDb(this.env), access, id, parseOrThrow(UpdateProductInput, input), ctx))
				.product;
		});
	}

	async deleteProduct(access: StoreAccess, productId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			this.committed(await deleteProduct(createDb(this.env), access, parseOrThrow(ProductId, productId, "product id"), ctx));
			return { ok: true as const };
		});
	}

	async setInventory(
		access: StoreAccess,
		variantId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<InventoryLevel>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { onHand } = parseOrThrow(SetInventoryInput, input);
			return this.committed(
				await changeInventory(
					createDb(this.env),
					access,
					parseOrThrow(VariantId, variantId, "variant id"),
					{ set: onHand, reason: "count set" },
					ctx,
				),
			).level;
		});
	}

	async adjustInventory(
		access: StoreAccess,
		variantId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<InventoryLevel>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { delta, reason } = parseOrThrow(AdjustInventoryInput, input);
			return this.committed(
				await changeInventory(
					createDb(this.env),
					access,
					parseOrThrow(VariantId, variantId, "variant id"),
					{ delta, reason },
					ctx,
				),
			).level;
		});
	}

	async listVariants(access: StoreAccess, productId: unknown, ctx: RequestContext): Promise<Result<{ items: Variant[] }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const product = await getProduct(createDb(this.env), access.storeId, parseOrThrow(ProductId, productId, "product id"));
			return { items: product.variants };
		});
	}

	async getVariant(access: StoreAccess, productId: unknown, variantId: unknown, ctx: RequestContext): Promise<Result<Variant>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getVariant(
				createDb(this.env),
				access.storeId,
				parseOrThrow(ProductId, productId, "product id"),
				parseOrThrow(VariantId, variantId, "variant id"),
			),
		);
	}

	async addVariant(access: StoreAccess, productId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Variant>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return this.committed(
				await addVariant(
					createDb(this.env),
					access,
					parseOrThrow(ProductId, productId, "product id"),
					parseOrThrow(CreateVariantInput, input),
					ctx,
				),
			).variant;
		});
	}

	async updateVariant(
		access: StoreAccess,
		productId: unknown,
		variantId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<Variant>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return this.committed(
				await updateVariant(
					createDb(this.env),
					access,
					parseOrThrow(ProductId, productId, "product id"),
					parseOrThrow(VariantId, variantId, "variant id"),
					parseOrThrow(UpdateVariantInput, input),
					ctx,
				),
			).variant;
		});
	}

	async deleteVariant(
		access: StoreAccess,
		productId: unknown,
		variantId: unknown,
		ctx: RequestContext,
	): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			this.committed(
				await deleteVariant(
					createDb(this.env),
					access,
					parseOrThrow(ProductId, productId, "product id"),
					parseOrThrow(VariantId, variantId, "variant id"),
					ctx,
				),
			);
			return { ok: true as const };
		});
	}

	async createCollection(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<Collection>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return this.committed(await createCollection(createDb(this.env), access, parseOrThrow(CollectionInput, input), ctx))
				.collection;
		});
	}

	async listCollections(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<CollectionList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listCollections(createDb(this.env), access.storeId, parseOrThrow(CollectionListQuery, query, "query")),
		);
	}

	async getCollection(access: StoreAccess, collectionId: unknown, ctx: RequestContext): Promise<Result<Collection>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getCollection(createDb(this.env), access.storeId, parseOrThrow(CollectionId, collectionId, "collection id")),
		);
	}

	async updateCollection(
		access: StoreAccess,
		collectionId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<Collection>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return this.committed(
				await updateCollection(
					createDb(this.env),
					access,
					parseOrThrow(CollectionId, collectionId, "collection id"),
					parseOrThrow(UpdateCollectionInput, input),
					ctx,
				),
			).collection;
		});
	}

	async deleteCollection(access: StoreAccess, collectionId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			this.committed(
				await deleteCollection(createDb(this.env), access, parseOrThrow(CollectionId, collectionId, "collection id"), ctx),
			);
			return { ok: true as const };
		});
	}

	// Storefront reads: public, by slug, each one SQL statement (one round trip).

	async storefrontProducts(
		storeSlug: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<{ items: StorefrontProduct[]; nextCursor: string | null }>> {
		return runRpc(ctx.requestId, WORKER, () =>
			storefrontList(
				createDb(this.env),
				parseOrThrow(slugSchema, storeSlug, "store slug"),
				parseOrThrow(StorefrontListQuery, query, "query"),
			),
		);
	}

	async storefrontCollection(
		storeSlug: unknown,
		handle: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<StorefrontCollection>> {
		return runRpc(ctx.requestId, WORKER, () =>
			storefrontCollection(
				createDb(this.env),
				parseOrThrow(slugSchema, storeSlug, "store slug"),
				parseOrThrow(handleSchema, handle, "handle"),
				parseOrThrow(StorefrontListQuery, query, "query"),
			),
		);
	}

	async storefrontProduct(storeSlug: unknown, handle: unknown, ctx: RequestContext): Promise<Result<StorefrontProduct>> {
		return runRpc(ctx.requestId, WORKER, () =>
			storefrontProduct(
				createDb(this.env),
				parseOrThrow(slugSchema, storeSlug, "store slug"),
				parseOrThrow(handleSchema, handle, "handle"),
			),
		);
	}

	/** A variant as a cart sees it (price, availability), if this store sells it. */
	async storefrontVariant(
		storeSlug: unknown,
		variantId: unknown,
		ctx: RequestContext,
	): Promise<Result<StorefrontVariantSnapshot>> {
		return runRpc(ctx.requestId, WORKER, () =>
			storefrontVariant(
				createDb(this.env),
				parseOrThrow(slugSchema, storeSlug, "store slug"),
				parseOrThrow(VariantId, variantId, "variant id"),
			),
		);
	}

	/** One page's worth of storefront data (store, navigation, products) for server rendering. */
	async storefrontView(storeSlug: unknown, view: unknown, ctx: RequestContext): Promise<Result<StorefrontView>> {
		return runRpc(ctx.requestId, WORKER, () =>
			storefrontView(
				createDb(this.env),
				parseOrThrow(slugSchema, storeSlug, "store slug"),
				parseOrThrow(StorefrontViewQuery, view, "view"),
			),
		);
	}

	async storefrontSearch(
		storeSlug: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<{ items: StorefrontProduct[] }>> {
		return runRpc(ctx.requestId, WORKER, () => {
			const { q, limit } = parseOrThrow(StorefrontSearchQuery, query, "query");
			return storefrontSearch(createDb(this.env), parseOrThrow(slugSchema, storeSlug, "store slug"), q, limit);
		});
	}

	/** oja-storefront-cache: new storefront cache versions for whatever the events changed. */
	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		await invalidateBatch(batch, {
			db: createDb(this.env),
			kv: this.env.STOREFRONT_VERSIONS,
			retry: { baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5), maxDelaySeconds: 15 * 60 },
		});
	}

	/** Bulk import: the file arrives as a byte stream (CSV or JSON lines) and is read as it streams. */
	async importProducts(
		access: StoreAccess,
		format: unknown,
		body: ReadableStream<Uint8Array>,
		ctx: RequestContext,
	): Promise<Result<ProductImportReport>> {
		return runRpc(ctx.requestId, WORKER, () =>
			importFromRpc(createDb(this.env), access, format, body, ctx, { relay: (ids) => this.relay(ids) }),
		);
	}

	/** A write's result, once its events are scheduled to publish after the response. */
	private committed<R extends { eventIds: string[] }>(result: R): R {
		this.relay(result.eventIds);
		return result;
	}

	private relay(eventIds: string[]): void {
		relayAfterResponse((p) => this.ctx.waitUntil(p), {
			db: createDb(this.env),
			queues: { EVENTS: this.env.EVENTS, STOREFRONT_CACHE: this.env.STOREFRONT_CACHE },
			ids: eventIds,
			worker: WORKER,
		});
	}
}
