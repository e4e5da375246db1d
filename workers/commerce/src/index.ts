import { WorkerEntrypoint } from "cloudflare:workers";
import { createDb } from "@oja/db";
import { relayAfterResponse } from "@oja/events";
import { liveFetch, pushOrderChanges } from "./live.ts";

const WORKER = "commerce";

/**
 * The commerce Worker's RPC surface. Merchant methods take the StoreAccess the gateway
 * verified; storefront methods take the store the gateway resolved from the public slug.
 */
export default class CommerceService extends WorkerEntrypoint<CommerceEnv> {
	/** Only WebSocket upgrades for the live order feeds arrive here (see live.ts). */
	override async fetch(request: Request): Promise<Response> {
		return liveFetch(request, this.env);
	}

	/** oja-order-events: live order pages and store feeds. */
	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		await pushOrderChanges(batch, {
			env: this.env,
			retry: { baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5), maxDelaySeconds: 15 * 60 },
		});
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
