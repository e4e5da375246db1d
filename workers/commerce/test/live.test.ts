import { env } from "cloudflare:workers";
import type { OrderLiveMessage, StoreFeedMessage } from "@oja/contracts";
import { newId, schema } from "@oja/db";
import { appendEvent } from "@oja/events";
import { eventually, gateway, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Live order tracking through the gateway: WebSocket upgrades reach the OrderLive and
// StoreFeed Durable Objects; hand-made order events on oja-order-events drive the pushes.

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let orderNumber = 0;

/** An order inserted directly (checkout is not what is under test), with its shopper token. */
async function insertOrder(storeId: string): Promise<{ orderId: string; token: string }> {
	const orderId = newId("order");
	// The shape checkout's tokens have (otk_ + 43 base64url characters); only the hash is stored.
	const token = `otk_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "")}`;
	orderNumber++;
	await testDb()
		.insert(schema.orders)
		.values({
			id: orderId,
			storeId,
			number: orderNumber,
			cartId: newId("cart"),
			status: "pending_payment",
			paymentStatus: "pending",
			paymentMethod: "online",
			currency: "NGN",
			subtotalMinor: 500_000,
			deliveryMinor: 150_000,
			totalMinor: 650_000,
			phone: "+2348012345678",
			name: "Chi Okafor",
			delivery: {
				optionId: newId("deliveryOption"),
				kind: "delivery",
				name: "Lagos courier",
				feeMinor: 150_000,
				booksCourier: false,
			},
			shippingAddress: { address: "12 Marina", city: "Lagos", state: "Lagos" },
			tokenHash: await sha256Hex(token),
		});
	await testDb()
		.insert(schema.orderLines)
		.values({
			id: newId("orderLine"),
			storeId,
			orderId,
			variantId: newId("variant"),
			productId: newId("product"),
			title: "Ankara wrap",
			variantTitle: "Red / M",
			unitPriceMinor: 250_000,
			quantity: 2,
			lineTotalMinor: 500_000,
			reservedQuantity: 2,
			position: 0,
		});
	return { orderId, token };
}

async function setStatus(orderId: string, status: "open" | "completed" | "cancelled"): Promise<void> {
	await testDb().update(schema.orders).set({ status, updatedAt: new Date() }).where(eq(schema.orders.id, orderId));
}

function envelope(type: string, storeId: string, orderId: string, sequence: number, payload: Record<string, unknown>) {
	return {
		id: newId("event"),
		type,
		storeId,
		aggregateId: orderId,
		sequence,
		occurredAt: new Date().toISOString(),
		requestId: null,
		payload: { storeId, orderId, ...payload },
	};
}

/** A status change as the outbox would publish it. */
async function publish(storeId: string, orderId: string, sequence: number, to: string): Promise<void> {
	const payload = { field: "status", from: "pending_payment", to, actor: "test", reason: null };
	await env.TEST_ORDER_EVENTS.send(envelope("order.status_changed", storeId, orderId, sequence, payload), {
		contentType: "json",
	});
}

interface Socket<M> {
	ws: WebSocket;
	received: M[];
	/** The next message not yet taken. */
	next(timeoutMs?: number): Promise<M>;
	/** Waits for the socket to be closed by the server; resolves with its close code. */
	closed: Promise<number>;
}

function listen<M>(ws: WebSocket): Socket<M> {
	const received: M[] = [];
	let taken = 0;
	let wake: (() => void) | undefined;
	let onClose: (code: number) => void = () => {};
	const closed = new Promise<number>((resolve) => {
		onClose = resolve;
	});
	ws.addEventListener("message", (event) => {
		const text = String(event.data);
		// "pong" (the auto-response) is the one message that is not JSON.
		received.push((text === "pong" ? text : JSON.parse(text)) as M);
		wake?.();
	});
	ws.addEventListener("close", (event) => onClose(event.code));
	ws.accept();
	return {
		ws,
		received,
		closed,
		async next(timeoutMs = 15_000) {
			const deadline = Date.now() + timeoutMs;
			while (received.length <= taken) {
				if (Date.now() > deadline) throw new Error(`no message within ${timeoutMs} ms (got ${JSON.stringify(received)})`);
				await new Promise<void>((resolve) => {
					wake = resolve;
					setTimeout(resolve, 100);
				});
			}
			return received[taken++] as M;
		},
	};
}

async function openOrder(slug: string, orderId: string, init: { token?: string; protocols?: string } = {}) {
	const query = init.token === undefined ? "" : `?token=${encodeURIComponent(init.token)}`;
	const headers: Record<string, string> = { upgrade: "websocket" };
	if (init.protocols) headers["sec-websocket-protocol"] = init.protocols;
	return gateway(`/v1/storefront/${slug}/orders/${orderId}/live${query}`, { headers });
}

function accepted<M>(res: Response): Socket<M> {
	expect(res.status).toBe(101);
	if (!res.webSocket) throw new Error("no webSocket on the 101 response");
	return listen<M>(res.webSocket);
}

function openFeed(m: TestMerchant, headers: Record<string, string> = {}) {
	return gateway(`/v1/stores/${m.storeId}/orders/live`, {
		headers: { upgrade: "websocket", authorization: `Bearer ${m.token}`, ...headers },
	});
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let merchant: TestMerchant;
let other: TestMerchant;

beforeAll(async () => {
	merchant = await signUpMerchant();
	other = await signUpMerchant();
});

describe("live order page", () => {
	it("sends the current state first, then each newer state; duplicates and late events are not pushed", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		const socket = accepted<OrderLiveMessage>(await openOrder(merchant.slug, orderId, { token }));

		const first = await socket.next();
		expect(first).toMatchObject({
			type: "order",
			sequence: 0,
			order: { id: orderId, status: "pending_payment", totalMinor: 650_000 },
		});
		expect(first.order.lines).toHaveLength(1);

		await setStatus(orderId, "open");
		await publish(merchant.storeId, orderId, 2, "open");
		expect(await socket.next()).toMatchObject({ sequence: 2, order: { status: "open" } });

		// The row moves on, but the events that arrive now are a duplicate and a late one: the
		// page must not be told anything for them (nor shown a state under an old sequence).
		await setStatus(orderId, "completed");
		await publish(merchant.storeId, orderId, 2, "open");
		await publish(merchant.storeId, orderId, 1, "pending_payment");
		await pause(2_500);
		expect(socket.received).toHaveLength(2);

		await publish(merchant.storeId, orderId, 3, "completed");
		expect(await socket.next()).toMatchObject({ sequence: 3, order: { status: "completed" } });
		await pause(1_500);
		expect(socket.received.map((m) => m.sequence)).toEqual([0, 2, 3]);

		// A reconnect starts from the current state and the highest sequence seen.
		const again = accepted<OrderLiveMessage>(await openOrder(merchant.slug, orderId, { token }));
		expect(await again.next()).toMatchObject({ sequence: 3, order: { id: orderId, status: "completed" } });
		socket.ws.close(1000, "done");
		again.ws.close(1000, "done");
	});

	it("follows a change committed with its outbox event (relay → queue → consumer → socket)", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		const socket = accepted<OrderLiveMessage>(await openOrder(merchant.slug, orderId, { token }));
		expect(await socket.next()).toMatchObject({ order: { status: "pending_payment" } });

		// As a writer does it: the change and its event in one batch, then the relay.
		const db = testDb();
		await db.batch([
			db.update(schema.orders).set({ status: "cancelled", updatedAt: new Date() }).where(eq(schema.orders.id, orderId)),
			appendEvent(
				db,
				{
					type: "order.status_changed",
					storeId: merchant.storeId,
					aggregateId: orderId,
					payload: {
						storeId: merchant.storeId,
						orderId,
						field: "status",
						from: "pending_payment",
						to: "cancelled",
						actor: "test",
						reason: null,
					},
				},
				null,
			),
		]);
		await env.OPS.relayOutbox();
		expect(await socket.next()).toMatchObject({ sequence: 1, order: { id: orderId, status: "cancelled" } });
		socket.ws.close(1000, "done");
	});

	it("accepts the token as a subprotocol and echoes the chosen protocol", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		const res = await openOrder(merchant.slug, orderId, { protocols: `oja-order-token, ${token}` });
		expect(res.headers.get("sec-websocket-protocol")).toBe("oja-order-token");
		const socket = accepted<OrderLiveMessage>(res);
		expect(await socket.next()).toMatchObject({ order: { id: orderId } });
		socket.ws.close(1000, "done");
	});

	it("answers ping with pong", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		const socket = accepted<unknown>(await openOrder(merchant.slug, orderId, { token }));
		await socket.next();
		socket.ws.send("ping");
		expect(await socket.next()).toBe("pong");
		socket.ws.close(1000, "done");
	});

	it("404s a wrong token, another store's order and a missing order alike", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		await problemOf(await openOrder(merchant.slug, orderId, { token: `${token}x` }), 404);
		await problemOf(await openOrder(merchant.slug, orderId, { protocols: "oja-order-token, nope" }), 404);
		await problemOf(await openOrder(other.slug, orderId, { token }), 404);
		await problemOf(await openOrder(merchant.slug, newId("order"), { token }), 404);
		await problemOf(await openOrder(merchant.slug, orderId), 401);
	});

	it("426s a request that is not a WebSocket upgrade", async () => {
		const { orderId, token } = await insertOrder(merchant.storeId);
		const res = await gateway(`/v1/storefront/${merchant.slug}/orders/${orderId}/live?token=${token}`);
		await problemOf(res, 426);
		expect(res.headers.get("upgrade")).toBe("websocket");
	});
});

describe("store feed", () => {
	it("sends new and changed orders of its own store only", async () => {
		const feedA = accepted<StoreFeedMessage>(await openFeed(merchant));
		const feedB = accepted<StoreFeedMessage>(await openFeed(other));
		expect(await feedA.next()).toEqual({ type: "ready", storeId: merchant.storeId });
		expect(await feedB.next()).toEqual({ type: "ready", storeId: other.storeId });

		const b = await insertOrder(other.storeId);
		await setStatus(b.orderId, "open");
		await publish(other.storeId, b.orderId, 1, "open");
		const a = await insertOrder(merchant.storeId);
		const created = { cartId: newId("cart"), paymentMethod: "online" };
		await env.TEST_ORDER_EVENTS.send(envelope("order.created", merchant.storeId, a.orderId, 1, created), { contentType: "json" });

		expect(await feedB.next()).toMatchObject({
			type: "order",
			sequence: 1,
			order: { id: b.orderId, status: "open", itemCount: 2 },
		});
		expect(await feedA.next()).toMatchObject({ type: "order", sequence: 1, order: { id: a.orderId, status: "pending_payment" } });
		await pause(1_500);
		expect(feedA.received.filter((m) => m.type === "order").map((m) => m.type === "order" && m.order.id)).toEqual([a.orderId]);
		expect(feedB.received.filter((m) => m.type === "order").map((m) => m.type === "order" && m.order.id)).toEqual([b.orderId]);
		feedA.ws.close(1000, "done");
		feedB.ws.close(1000, "done");
	});

	it("401s without credentials and 404s another store's feed", async () => {
		await problemOf(await gateway(`/v1/stores/${merchant.storeId}/orders/live`, { headers: { upgrade: "websocket" } }), 401);
		await problemOf(
			await gateway(`/v1/stores/${merchant.storeId}/orders/live`, {
				headers: { upgrade: "websocket", authorization: `Bearer ${other.token}` },
			}),
			404,
		);
	});

	it("refuses a browser on a foreign origin (cookies would sign it in) and a plain GET", async () => {
		await problemOf(await openFeed(merchant, { origin: "https://evil.example" }), 403);
		await problemOf(
			await gateway(`/v1/stores/${merchant.storeId}/orders/live`, { headers: { authorization: `Bearer ${merchant.token}` } }),
			426,
		);
	});
});

describe("order events consumer", () => {
	it("retries an event it cannot read and then leaves it to the dead-letter queue", async () => {
		const { orderId } = await insertOrder(merchant.storeId);
		const poison = envelope("order.status_changed", merchant.storeId, orderId, 1, { field: "colour", from: 1, to: 2 });
		await env.TEST_ORDER_EVENTS.send(poison, { contentType: "json" });
		const [dead] = await eventually(
			async () => {
				const rows = await testDb().select().from(schema.deadLetters).where(eq(schema.deadLetters.eventId, poison.id));
				return rows.length > 0 ? rows : undefined;
			},
			20_000,
			"the dead letter",
		);
		expect(dead?.queue).toBe("oja-order-events-dlq");
	});
});
