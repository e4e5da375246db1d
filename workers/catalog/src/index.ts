import { WorkerEntrypoint } from "cloudflare:workers";
import {
	AdjustInventoryInput,
	CreateProductInput,
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
	StorefrontListQuery,
	type StorefrontProduct,
	StorefrontSearchQuery,
	slug as slugSchema,
	UpdateProductInput,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { relayAfterResponse } from "@oja/events";
import { z } from "zod";
import { changeInventory } from "./inventory.ts";
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct } from "./products.ts";
import { searchProducts } from "./search.ts";
import { storefrontList, storefrontProduct, storeIdForSlug } from "./storefront.ts";

const WORKER = "catalog";
const ProductId = z.string().regex(/^prd_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a prd_ id" });
const VariantId = z.string().regex(/^var_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a var_ id" });

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
			const { product, eventIds } = await createProduct(createDb(this.env), access, parseOrThrow(CreateProductInput, input), ctx);
			this.relay(eventIds);
			return product;
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
			const { product, eventIds } = await updateProduct(
				createDb(this.env),
				access,
				id,
				parseOrThrow(UpdateProductInput, input),
				ctx,
			);
			this.relay(eventIds);
			return product;
		});
	}

	async deleteProduct(access: StoreAccess, productId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { eventIds } = await deleteProduct(createDb(this.env), access, parseOrThrow(ProductId, productId, "product id"), ctx);
			this.relay(eventIds);
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
			const { level, eventIds } = await changeInventory(
				createDb(this.env),
				access,
				parseOrThrow(VariantId, variantId, "variant id"),
				{ set: onHand, reason: "count set" },
				ctx,
			);
			this.relay(eventIds);
			return level;
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
			const { level, eventIds } = await changeInventory(
				createDb(this.env),
				access,
				parseOrThrow(VariantId, variantId, "variant id"),
				{ delta, reason },
				ctx,
			);
			this.relay(eventIds);
			return level;
		});
	}

	async storefrontProducts(
		storeSlug: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<{ items: StorefrontProduct[]; nextCursor: string | null }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const storeId = await storeIdForSlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			const { cursor, limit } = parseOrThrow(StorefrontListQuery, query, "query");
			return storefrontList(db, storeId, cursor, limit);
		});
	}

	async storefrontProduct(storeSlug: unknown, handle: unknown, ctx: RequestContext): Promise<Result<StorefrontProduct>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const storeId = await storeIdForSlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			return storefrontProduct(db, storeId, parseOrThrow(handleSchema, handle, "handle"));
		});
	}

	async storefrontSearch(
		storeSlug: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<{ items: StorefrontProduct[] }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const storeId = await storeIdForSlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			const { q, limit } = parseOrThrow(StorefrontSearchQuery, query, "query");
			return { items: await searchProducts(db, storeId, q, limit) };
		});
	}

	private relay(eventIds: string[]): void {
		relayAfterResponse((p) => this.ctx.waitUntil(p), {
			db: createDb(this.env),
			queues: { EVENTS: this.env.EVENTS },
			ids: eventIds,
			worker: WORKER,
		});
	}
}
