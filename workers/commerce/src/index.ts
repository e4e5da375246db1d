import { WorkerEntrypoint } from "cloudflare:workers";
import { createDb } from "@oja/db";
import { relayAfterResponse } from "@oja/events";

const WORKER = "commerce";

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
}

export { Cart } from "./cart.ts";
export { OrderLive } from "./order-live.ts";
export { StoreFeed } from "./store-feed.ts";
