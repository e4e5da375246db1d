import { WorkerEntrypoint } from "cloudflare:workers";
import {
	CreateDiscountInput,
	type DeliveryOptionList,
	type Discount,
	type DiscountList,
	DiscountListQuery,
	PutDeliveryOptionsInput,
	parseOrThrow,
	prefixedId,
	type RequestContext,
	type Result,
	runRpc,
	type StoreAccess,
	UpdateDiscountInput,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { relayAfterResponse } from "@oja/events";
import { listDeliveryOptions, putDeliveryOptions } from "./delivery-options.ts";
import { createDiscount, deleteDiscount, getDiscount, listDiscounts, updateDiscount } from "./discounts.ts";

const WORKER = "commerce";
const DiscountId = prefixedId("dsc");
const StoreId = prefixedId("st");

/**
 * The commerce Worker's RPC surface. Merchant methods take the StoreAccess the gateway
 * verified; storefront methods take the store the gateway resolved from the public slug.
 */
export default class CommerceService extends WorkerEntrypoint<CommerceEnv> {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	/** A write's result, once its events are scheduled to publish after the response. */
	protected committed<R extends { eventIds: string[] }>(result: R): R {
		relayAfterResponse((p) => this.ctx.waitUntil(p), {
			db: createDb(this.env),
			queues: { EVENTS: this.env.EVENTS, STOREFRONT_CACHE: this.env.STOREFRONT_CACHE, ORDER_EVENTS: this.env.ORDER_EVENTS },
			ids: result.eventIds,
			worker: WORKER,
		});
		return result;
	}

	// Discounts and delivery options (merchant)
	// No events: nothing downstream reacts to these; checkout reads the rows directly.

	async createDiscount(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			createDiscount(createDb(this.env), access.storeId, parseOrThrow(CreateDiscountInput, input)),
		);
	}

	async listDiscounts(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<DiscountList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listDiscounts(createDb(this.env), access.storeId, parseOrThrow(DiscountListQuery, query, "query")),
		);
	}

	async getDiscount(access: StoreAccess, discountId: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getDiscount(createDb(this.env), access.storeId, parseOrThrow(DiscountId, discountId, "discount id")),
		);
	}

	async updateDiscount(access: StoreAccess, discountId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			updateDiscount(
				createDb(this.env),
				access.storeId,
				parseOrThrow(DiscountId, discountId, "discount id"),
				parseOrThrow(UpdateDiscountInput, input),
			),
		);
	}

	async deleteDiscount(access: StoreAccess, discountId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			await deleteDiscount(createDb(this.env), access.storeId, parseOrThrow(DiscountId, discountId, "discount id"));
			return { ok: true as const };
		});
	}

	async putDeliveryOptions(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			putDeliveryOptions(createDb(this.env), access.storeId, parseOrThrow(PutDeliveryOptionsInput, input)),
		);
	}

	async listDeliveryOptions(access: StoreAccess, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () => listDeliveryOptions(createDb(this.env), access.storeId));
	}

	/** Public: the live options of the store the gateway resolved from the slug. */
	async storefrontDeliveryOptions(storeId: unknown, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listDeliveryOptions(createDb(this.env), parseOrThrow(StoreId, storeId, "store id")),
		);
	}

	// End of discounts and delivery options.
}

export { Cart } from "./cart.ts";
export { OrderLive } from "./order-live.ts";
export { StoreFeed } from "./store-feed.ts";
