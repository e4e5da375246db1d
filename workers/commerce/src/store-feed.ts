import { DurableObject } from "cloudflare:workers";
import { type Conversation, type OrderChange, orderSummary, type StoreFeedMessage } from "@oja/contracts";
import { createDb } from "@oja/db";
import { broadcast, closeQuietly, isWebSocketUpgrade, KeyedQueue, SequenceLog, socketPair } from "./live-sockets.ts";
import { closeCode } from "./order-live.ts";
import { loadOrder } from "./order-view.ts";

interface Attachment {
	storeId: string;
	/** After this (ms), the socket is closed instead of sent to: access is re-checked on reconnect. */
	expiresAt: number;
}

/**
 * A feed socket lives as long as a merchant access token: the gateway checked the caller's role
 * when it connected, and removing someone from the team must stop their feed too.
 */
export const FEED_SESSION_MS = 15 * 60_000;
/** Close code asking the dashboard to reconnect (with a fresh token). */
export const FEED_EXPIRED = 4001;
/** Orders not changed for this long are forgotten (a late event for one just re-reads it). */
const FORGET_AFTER_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 24 * 3600_000;

const TAG = "feed";

/**
 * A store's merchant feed (one object per store): new and changed orders of this store only,
 * as summaries. Same rules as OrderLive: hibernatable sockets, per-order sequence high-water
 * marks, re-read on change.
 */
export class StoreFeed extends DurableObject<CommerceEnv> {
	private readonly sequences: SequenceLog;
	private readonly queue = new KeyedQueue();

	constructor(ctx: DurableObjectState, env: CommerceEnv) {
		super(ctx, env);
		this.sequences = new SequenceLog(ctx.storage.sql);
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	/** A WebSocket upgrade for `?storeId=` (the gateway checked `orders:manage`). */
	override async fetch(request: Request): Promise<Response> {
		if (!isWebSocketUpgrade(request)) return new Response(null, { status: 426 });
		const storeId = new URL(request.url).searchParams.get("storeId") ?? "";
		const { client, server } = socketPair();
		this.ctx.acceptWebSocket(server, [TAG]);
		server.serializeAttachment({ storeId, expiresAt: Date.now() + FEED_SESSION_MS } satisfies Attachment);
		const ready: StoreFeedMessage = { type: "ready", storeId };
		server.send(JSON.stringify(ready));
		return new Response(null, { status: 101, webSocket: client });
	}

	async notify(change: OrderChange): Promise<{ pushed: number }> {
		return this.queue.run(change.orderId, async () => {
			if (change.sequence <= this.sequences.last(change.orderId)) return { pushed: 0 };
			const sockets = this.liveSockets(change.storeId);
			let pushed = 0;
			if (sockets.length > 0) {
				const order = await loadOrder(createDb(this.env), change.storeId, change.orderId);
				if (order) {
					const message: StoreFeedMessage = { type: "order", sequence: change.sequence, order: orderSummary(order) };
					pushed = broadcast(sockets, JSON.stringify(message));
				}
			}
			this.sequences.record(change.orderId, change.sequence);
			if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRUNE_EVERY_MS);
			return { pushed };
		});
	}

	/** A conversation's inbox row changed (messaging): pushed as it is, nothing stored. */
	conversation(storeId: string, conversation: Conversation): { pushed: number } {
		const message: StoreFeedMessage = { type: "conversation", conversation };
		return { pushed: broadcast(this.liveSockets(storeId), JSON.stringify(message)) };
	}

	override async alarm(): Promise<void> {
		this.sequences.prune(Date.now() - FORGET_AFTER_MS);
	}

	/** This store's sockets still within their session; expired ones are closed. */
	private liveSockets(storeId: string): WebSocket[] {
		const now = Date.now();
		return this.ctx.getWebSockets(TAG).filter((ws) => {
			const attachment = ws.deserializeAttachment() as Attachment | null;
			if (!attachment || attachment.storeId !== storeId) return false;
			if (attachment.expiresAt <= now) {
				closeQuietly(ws, FEED_EXPIRED, "session expired; reconnect");
				return false;
			}
			return true;
		});
	}

	override async webSocketMessage(): Promise<void> {}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		closeQuietly(ws, closeCode(code), reason);
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		closeQuietly(ws, 1011, "error");
	}
}
