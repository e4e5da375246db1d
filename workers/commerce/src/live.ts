import { errorSummary, type OrderChange } from "@oja/contracts";
import { createDb } from "@oja/db";
import { backoffSeconds, parseEnvelope, type RetryPolicy } from "@oja/events";
import { orderLiveName } from "./order-live.ts";
import { verifyOrderToken } from "./order-view.ts";

// Live order feeds: the WebSocket entry (reached only through the gateway's service binding,
// since an upgrade must travel as a fetch, not RPC) and the oja-order-events consumer that
// tells the Durable Objects about changes.

const STORE_ID = /^st_[0-9A-HJKMNP-TV-Z]{26}$/;
const ORDER_ID = /^ord_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The header the gateway passes the shopper's order token in (from the query or subprotocol). */
export const ORDER_TOKEN_HEADER = "x-oja-order-token";

/**
 * Commerce's fetch entry (only the gateway holds the binding):
 * - `GET /live/orders/{storeId}/{orderId}` with the order token in `x-oja-order-token` → the
 *   order's live socket; a wrong token and a missing order are the same 404;
 * - `GET /live/stores/{storeId}` → the store's feed (the gateway checked `orders:manage`).
 */
export async function liveFetch(request: Request, env: CommerceEnv): Promise<Response> {
	if (request.method !== "GET") return new Response(null, { status: 404 });
	if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
	const parts = new URL(request.url).pathname.split("/");
	if (parts.length === 5 && parts[1] === "live" && parts[2] === "orders") {
		const [storeId = "", orderId = ""] = parts.slice(3);
		if (!STORE_ID.test(storeId) || !ORDER_ID.test(orderId)) return new Response(null, { status: 404 });
		const token = request.headers.get(ORDER_TOKEN_HEADER) ?? "";
		if (!(await verifyOrderToken(createDb(env), storeId, orderId, token))) return new Response(null, { status: 404 });
		const stub = env.ORDER_LIVE.get(env.ORDER_LIVE.idFromName(orderLiveName(storeId, orderId)));
		const target = `https://order-live/?${new URLSearchParams({ storeId, orderId })}`;
		return stub.fetch(target, { headers: { upgrade: "websocket" } });
	}
	if (parts.length === 4 && parts[1] === "live" && parts[2] === "stores") {
		const storeId = parts[3] ?? "";
		if (!STORE_ID.test(storeId)) return new Response(null, { status: 404 });
		const stub = env.STORE_FEED.get(env.STORE_FEED.idFromName(storeId));
		return stub.fetch(`https://store-feed/?${new URLSearchParams({ storeId })}`, { headers: { upgrade: "websocket" } });
	}
	return new Response(null, { status: 404 });
}

/**
 * Tells the order's live page and its store's feed that the order changed. Both are
 * idempotent by sequence, so calling this twice, or late, is harmless.
 *
 * A new order (`orderPage: false`) goes to the store feed only: an order page's socket can
 * open only once the order exists and starts with its state as of then, so there is nothing to
 * push to it, and skipping it saves creating a Durable Object for every order placed.
 */
export async function notifyOrderChange(
	env: CommerceEnv,
	change: OrderChange,
	options: { orderPage: boolean } = { orderPage: true },
): Promise<void> {
	const feed = env.STORE_FEED.get(env.STORE_FEED.idFromName(change.storeId));
	if (!options.orderPage) {
		await feed.notify(change);
		return;
	}
	const live = env.ORDER_LIVE.get(env.ORDER_LIVE.idFromName(orderLiveName(change.storeId, change.orderId)));
	await Promise.all([live.notify(change), feed.notify(change)]);
}

/**
 * oja-order-events → the live Durable Objects. Not `consumeBatch`: the effect is not in
 * Postgres (so a processed_messages row would not make it exactly-once, only cost two round
 * trips per event), the objects already drop duplicates by sequence, and `ordered` would hold
 * a change back behind a missing earlier one although the objects re-read the order and so
 * never need the earlier one. Events of one order in a batch become one notification (the
 * highest sequence). A failed notification is retried with backoff; after max_retries the
 * message goes to the dead-letter queue.
 */
export async function pushOrderChanges(
	batch: MessageBatch<unknown>,
	deps: { env: CommerceEnv; retry: RetryPolicy; log?: (line: Record<string, unknown>) => void },
): Promise<void> {
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const retry = (message: Message<unknown>, reason: string) => {
		const delaySeconds = backoffSeconds(message.attempts, deps.retry);
		log({
			level: "warn",
			msg: "queue.retry",
			queue: batch.queue,
			messageId: message.id,
			attempt: message.attempts,
			delaySeconds,
			reason,
		});
		message.retry({ delaySeconds });
	};

	const byOrder = new Map<string, { change: OrderChange; messages: Message<unknown>[]; changed: boolean }>();
	for (const message of batch.messages) {
		const parsed = parseEnvelope(message.body);
		// Invalid: retried, not dropped (a newer producer may be ahead of this consumer).
		if (!parsed.ok) {
			retry(message, parsed.reason);
			continue;
		}
		const { event } = parsed;
		if (event.type !== "order.created" && event.type !== "order.status_changed" && event.type !== "order.fulfilment_created") {
			message.ack();
			continue;
		}
		const { storeId, orderId } = event.payload;
		const key = `${storeId}:${orderId}`;
		const changed = event.type !== "order.created";
		const group = byOrder.get(key);
		if (!group) byOrder.set(key, { change: { storeId, orderId, sequence: event.sequence }, messages: [message], changed });
		else {
			group.change.sequence = Math.max(group.change.sequence, event.sequence);
			group.messages.push(message);
			group.changed ||= changed;
		}
	}

	await Promise.all(
		[...byOrder.values()].map(async ({ change, messages, changed }) => {
			try {
				await notifyOrderChange(deps.env, change, { orderPage: changed });
				for (const message of messages) message.ack();
			} catch (error) {
				for (const message of messages) retry(message, errorSummary(error));
			}
		}),
	);
}
