import { DurableObject } from "cloudflare:workers";
import type { OrderChange, OrderLiveMessage } from "@oja/contracts";
import { createDb } from "@oja/db";
import { broadcast, closeQuietly, isWebSocketUpgrade, KeyedQueue, SequenceLog, socketPair } from "./live-sockets.ts";
import { loadOrder } from "./order-view.ts";

interface Attachment {
	storeId: string;
	orderId: string;
}

/** The Durable Object name of one order's live page (store-qualified: ids are checked, not trusted). */
export const orderLiveName = (storeId: string, orderId: string): string => `${storeId}:${orderId}`;

/**
 * One order's live page: WebSocket clients get the current state, then every change. Sockets
 * use the hibernation API, so an order page left open costs nothing between changes; pings
 * are answered by the runtime without waking the object.
 *
 * A change is pushed only if its sequence is above the highest this object has handled, and
 * the order is re-read rather than taken from the event: a duplicate or late event is dropped,
 * and whatever is pushed is the state as of now, never an older one.
 */
export class OrderLive extends DurableObject<CommerceEnv> {
	private readonly sequences: SequenceLog;
	private readonly queue = new KeyedQueue();

	constructor(ctx: DurableObjectState, env: CommerceEnv) {
		super(ctx, env);
		this.sequences = new SequenceLog(ctx.storage.sql);
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	/**
	 * A WebSocket upgrade for `?storeId=&orderId=` (the commerce Worker checked the order token).
	 * The current state is the socket's first message; 404 if the order does not exist.
	 */
	override async fetch(request: Request): Promise<Response> {
		if (!isWebSocketUpgrade(request)) return new Response(null, { status: 426 });
		const url = new URL(request.url);
		const storeId = url.searchParams.get("storeId") ?? "";
		const orderId = url.searchParams.get("orderId") ?? "";
		// In the order's queue: a change being pushed right now reaches this socket either not
		// at all (the state sent below is already as new) or after its first message.
		return this.queue.run(orderId, async () => {
			const order = await loadOrder(createDb(this.env), storeId, orderId);
			if (!order) return new Response(null, { status: 404 });
			const { client, server } = socketPair();
			this.ctx.acceptWebSocket(server, [orderId]);
			server.serializeAttachment({ storeId, orderId } satisfies Attachment);
			const first: OrderLiveMessage = { type: "order", sequence: this.sequences.last(orderId), order };
			server.send(JSON.stringify(first));
			return new Response(null, { status: 101, webSocket: client });
		});
	}

	/** An order event arrived (queue consumer): push the order's state if it is news. */
	async notify(change: OrderChange): Promise<{ pushed: number }> {
		return this.queue.run(change.orderId, async () => {
			if (change.sequence <= this.sequences.last(change.orderId)) return { pushed: 0 };
			const sockets = this.ctx
				.getWebSockets(change.orderId)
				.filter((ws) => (ws.deserializeAttachment() as Attachment | null)?.storeId === change.storeId);
			let pushed = 0;
			// Nobody watching: remember the sequence only, without reading the order.
			if (sockets.length > 0) {
				const order = await loadOrder(createDb(this.env), change.storeId, change.orderId);
				if (order) {
					const message: OrderLiveMessage = { type: "order", sequence: change.sequence, order };
					pushed = broadcast(sockets, JSON.stringify(message));
				}
			}
			// Recorded only after the push: if the read failed, the consumer's retry pushes it.
			this.sequences.record(change.orderId, change.sequence);
			return { pushed };
		});
	}

	// Clients have nothing to say beyond "ping" (answered by the auto-response).
	override async webSocketMessage(): Promise<void> {}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		closeQuietly(ws, closeCode(code), reason);
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		closeQuietly(ws, 1011, "error");
	}
}

/** Echoes the peer's close code where one may be sent (1005/1006/1015 are reserved for reporting). */
export function closeCode(code: number): number {
	return code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
		? code
		: 1000;
}
