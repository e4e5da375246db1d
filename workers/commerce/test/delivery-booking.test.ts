import { env } from "cloudflare:workers";
import { newId } from "@oja/db";
import { signDeliveryWebhook, WEBHOOK_SIGNATURE_HEADER } from "@oja/delivery";
import { advanceTask, injectFailure, listRequests, listTasks, type SandboxTask } from "@oja/delivery-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
	type CheckoutBody,
	cartWith,
	checkout,
	checkoutBody,
	type OrderBody,
	openShop,
	type Shop,
	stockOf,
} from "../../gateway/test/commerce-fixtures.ts";
import { courierAction } from "../src/delivery-booking.ts";

// Courier booking end to end: a pay-on-delivery order whose option books a courier gets a task
// at the delivery sandbox (through the oja-order-events consumer); the sandbox's signed
// callbacks, replayed by the test into POST /webhooks/delivery (the sandbox cannot reach
// vitest's workerd), fulfil and then deliver the order through oja-delivery-events.

const admin = env.TEST_DELIVERY_ADMIN;
const secret = env.DELIVERY_WEBHOOK_SECRET;

let shop: Shop;
let courierPod: string;

const reference = (orderId: string) => `ful_${orderId.slice("ord_".length)}`;
const orderPath = (orderId: string) => `/v1/stores/${shop.m.storeId}/orders/${orderId}`;
type Timeline = { kind: string; reason: string | null }[];
const order = async (orderId: string) =>
	jsonOf<Omit<OrderBody, "timeline"> & { timeline: Timeline }>(await asMerchant(shop.m, "GET", orderPath(orderId)));

function postWebhook(body: string, signature: string): Promise<Response> {
	return gateway("/webhooks/delivery", {
		method: "POST",
		headers: { "content-type": "application/json", [WEBHOOK_SIGNATURE_HEADER]: signature },
		body,
	});
}

/** Moves the sandbox task one step without it calling back, then delivers its signed callback ourselves. */
async function advance(
	taskId: string,
	options: Parameters<typeof advanceTask>[2] = {},
): Promise<{ body: string; signature: string }> {
	const { webhook } = await advanceTask(admin, taskId, { ...options, deliver: false });
	const res = await postWebhook(webhook.body, webhook.signature);
	expect(res.status).toBe(200);
	return webhook;
}

async function fulfilment(orderId: string) {
	const rows = await testDb().execute<{ id: string; status: string; delivery_task_id: string | null; carrier: string | null }>(
		sql`SELECT id, status, delivery_task_id, carrier FROM fulfilments WHERE order_id = ${orderId}`,
	);
	return rows.rows;
}

async function placePodOrder(quantity: number): Promise<string> {
	const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, quantity]]);
	const placed = await jsonOf<CheckoutBody>(
		await checkout(
			shop.m.slug,
			cart.id,
			checkoutBody(shop, {
				deliveryOptionId: courierPod,
				paymentMethod: "pay_on_delivery",
				shippingAddress: { address: "12 Herbert Macaulay Way", city: "Yaba", state: "Lagos" },
			}),
		),
		201,
	);
	expect(placed.order).toMatchObject({ status: "open", paymentStatus: "due_on_delivery" });
	await env.OPS.relayOutbox();
	return placed.order.id;
}

async function bookedTask(orderId: string): Promise<SandboxTask> {
	return eventually(
		async () => {
			const [task] = await listTasks(admin, reference(orderId));
			if (!task) return undefined;
			// The row is written just after the provider answers.
			return (await fulfilment(orderId))[0]?.delivery_task_id === task.taskId ? task : undefined;
		},
		20_000,
		"the courier booking",
	);
}

beforeAll(async () => {
	shop = await openShop([20]);
	courierPod = newId("deliveryOption");
	await testDb().execute(sql`
		INSERT INTO delivery_options (id, store_id, kind, name, fee_minor, currency, books_courier, pay_on_delivery, states, position)
		VALUES (${courierPod}, ${shop.m.storeId}, 'delivery', 'Lagos courier, pay on delivery', 150000, 'NGN', true, true, '{Lagos}', 5)`);
});

describe("courier booking", () => {
	it("books a rider for a pay-on-delivery order, then fulfils and delivers it from the callbacks", async () => {
		const variant = shop.variants[0] as string;
		const stockBefore = await stockOf(variant);
		const orderId = await placePodOrder(2);
		expect(await stockOf(variant)).toEqual({ onHand: stockBefore.onHand, reserved: stockBefore.reserved + 2 });

		const task = await bookedTask(orderId);
		expect(task).toMatchObject({
			status: "pending",
			reference: reference(orderId),
			callbackUrl: expect.stringMatching(/\/webhooks\/delivery$/),
		});
		expect(await fulfilment(orderId)).toEqual([
			{ id: reference(orderId), status: "pending", delivery_task_id: task.taskId, carrier: "kwik" },
		]);
		expect((await order(orderId)).timeline.filter((t) => t.kind === "courier").map((t) => t.reason)).toEqual(["courier booked"]);

		// A second trigger for the same order (a redelivered event) books nothing new.
		await env.TEST_ORDER_EVENTS.send({
			id: newId("event"),
			type: "order.created",
			storeId: shop.m.storeId,
			aggregateId: orderId,
			sequence: 1,
			occurredAt: new Date().toISOString(),
			requestId: null,
			payload: { storeId: shop.m.storeId, orderId, cartId: newId("cart"), paymentMethod: "pay_on_delivery" },
		});

		await advance(task.taskId, { rider: { name: "Tunde Bakare", phone: "+2348099999999" } });
		await eventually(async () =>
			(await order(orderId)).timeline.some((t) => t.reason === "rider assigned: Tunde Bakare") ? true : undefined,
		);

		const pickedUp = await advance(task.taskId);
		const fulfilled = await eventually(async () => {
			const o = await order(orderId);
			return o.fulfilmentStatus === "fulfilled" ? o : undefined;
		});
		expect(fulfilled).toMatchObject({ status: "open", paymentStatus: "due_on_delivery" });
		expect(fulfilled.lines[0]?.fulfilledQuantity).toBe(2);
		// Stock left on hand and reserved together.
		expect(await stockOf(variant)).toEqual({ onHand: stockBefore.onHand - 2, reserved: stockBefore.reserved });
		expect((await fulfilment(orderId))[0]?.status).toBe("shipped");

		// The same callback again (the provider retries): acknowledged, applied once.
		expect((await postWebhook(pickedUp.body, pickedUp.signature)).status).toBe(200);

		// A callback with a bad signature is refused and never queued.
		const forged = JSON.stringify({
			...JSON.parse(pickedUp.body),
			eventId: "evt_forged",
			event: "task.delivered",
			status: "delivered",
		});
		await problemOf(await postWebhook(forged, pickedUp.signature), 401);
		await problemOf(await postWebhook(forged, "0".repeat(64)), 401);
		const unsigned = await gateway("/webhooks/delivery", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: forged,
		});
		await problemOf(unsigned, 401);

		await new Promise((r) => setTimeout(r, 1_000));
		const processed = await testDb().execute<{ event_id: string }>(
			sql`SELECT event_id FROM processed_messages WHERE consumer = 'commerce.delivery-events' AND event_id = 'evt_forged'`,
		);
		expect(processed.rows).toEqual([]);
		const stillShipped = await order(orderId);
		expect(stillShipped.fulfilmentStatus).toBe("fulfilled");
		expect(await stockOf(variant)).toEqual({ onHand: stockBefore.onHand - 2, reserved: stockBefore.reserved });
		expect(stillShipped.timeline.filter((t) => t.reason === "picked up by the rider")).toHaveLength(1);
		expect(stillShipped.timeline.filter((t) => t.reason === "courier booked")).toHaveLength(1);

		await advance(task.taskId);
		const delivered = await eventually(async () => {
			const o = await order(orderId);
			return o.fulfilmentStatus === "delivered" ? o : undefined;
		});
		// Delivered, but the cash is not in yet: still open.
		expect(delivered).toMatchObject({ status: "open", paymentStatus: "due_on_delivery" });
		expect((await fulfilment(orderId))[0]?.status).toBe("delivered");
		expect(delivered.timeline.filter((t) => t.kind === "courier").map((t) => t.reason)).toEqual([
			"courier booked",
			"rider assigned: Tunde Bakare",
			"picked up by the rider",
			"delivered by the rider",
		]);

		const completed = await jsonOf<OrderBody>(await asMerchant(shop.m, "POST", `${orderPath(orderId)}/payment-collected`, {}));
		expect(completed).toMatchObject({ status: "completed", paymentStatus: "paid", fulfilmentStatus: "delivered" });

		const events = await testDb().execute<{ type: string }>(
			sql`SELECT type FROM outbox WHERE aggregate_id = ${orderId} AND type LIKE 'delivery.%' ORDER BY sequence`,
		);
		expect(events.rows.map((r) => r.type)).toEqual(["delivery.assigned", "delivery.picked_up", "delivery.completed"]);
		// Still one task at the provider for this order.
		expect(await listTasks(admin, reference(orderId))).toHaveLength(1);
	});

	it("an order.created says whether its option books a courier; one that books none is skipped unread", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
		const pickup = (await jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201)).order.id;
		const courier = await placePodOrder(1);
		const events = await testDb().execute<{ aggregate_id: string; payload: Record<string, unknown> }>(
			sql`SELECT aggregate_id, payload FROM outbox WHERE type = 'order.created' AND aggregate_id IN (${pickup}, ${courier})`,
		);
		expect(Object.fromEntries(events.rows.map((r) => [r.aggregate_id, r.payload.booksCourier]))).toEqual({
			[pickup]: false,
			[courier]: true,
		});
		// The order's events in their order: order.created, then its stock reservation.
		const sequences = await testDb().execute<{ type: string; sequence: string }>(
			sql`SELECT type, sequence::text FROM outbox WHERE aggregate_id = ${pickup} ORDER BY sequence`,
		);
		expect(sequences.rows).toEqual([
			{ type: "order.created", sequence: "1" },
			{ type: "inventory.reserved", sequence: "2" },
		]);
		const created = (payload: Record<string, unknown>) =>
			({
				id: newId("event"),
				type: "order.created",
				storeId: shop.m.storeId,
				aggregateId: courier,
				sequence: 1,
				occurredAt: new Date().toISOString(),
				requestId: null,
				payload: {
					storeId: shop.m.storeId,
					orderId: courier,
					cartId: newId("cart"),
					paymentMethod: "pay_on_delivery",
					...payload,
				},
			}) as Parameters<typeof courierAction>[0];
		expect(courierAction(created({ booksCourier: false }))).toBeNull();
		expect(courierAction(created({ booksCourier: true }))).toBe("book");
		// Events from before the field are looked up as they always were.
		expect(courierAction(created({}))).toBe("book");
		expect(courierAction(created({ paymentMethod: "online", booksCourier: true }))).toBeNull();
		await bookedTask(courier);
		expect(await listTasks(admin, reference(pickup))).toEqual([]);
	});

	it("fulfils on a delivered callback that overtook the pick-up", async () => {
		const orderId = await placePodOrder(1);
		const task = await bookedTask(orderId);
		await advanceTask(admin, task.taskId, { deliver: false });
		const pickedUp = (await advanceTask(admin, task.taskId, { deliver: false })).webhook;
		await advance(task.taskId);
		const delivered = await eventually(async () => {
			const o = await order(orderId);
			return o.fulfilmentStatus === "delivered" ? o : undefined;
		});
		expect(delivered.lines[0]?.fulfilledQuantity).toBe(1);
		// The late pick-up is applied as a record only: nothing moves backwards.
		expect((await postWebhook(pickedUp.body, pickedUp.signature)).status).toBe(200);
		await eventually(async () =>
			(await order(orderId)).timeline.some((t) => t.reason === "picked up by the rider") ? true : undefined,
		);
		expect((await order(orderId)).fulfilmentStatus).toBe("delivered");
		expect((await fulfilment(orderId))[0]?.status).toBe("delivered");
	});

	it("retries the booking when the courier API fails, without booking twice", async () => {
		const before = (await listRequests(admin)).length;
		// Three failures use up the client's own tries; the queue's retry then books.
		await injectFailure(admin, { path: "/v1/tasks", method: "POST", status: 503, times: 3 });
		const orderId = await placePodOrder(1);
		const task = await bookedTask(orderId);
		expect(task.status).toBe("pending");
		const creates = (await listRequests(admin)).slice(before).filter((r) => r.method === "POST" && r.path === "/v1/tasks");
		expect(creates.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(3);
		expect(await listTasks(admin, reference(orderId))).toHaveLength(1);
		expect(await fulfilment(orderId)).toHaveLength(1);
	});

	it("takes the rider back when the order is cancelled before pick-up", async () => {
		const orderId = await placePodOrder(1);
		const task = await bookedTask(orderId);
		await jsonOf(await asMerchant(shop.m, "POST", `${orderPath(orderId)}/cancel`, { reason: "customer changed their mind" }));
		await env.OPS.relayOutbox();
		await eventually(
			async () => ((await listTasks(admin, reference(orderId)))[0]?.status === "cancelled" ? true : undefined),
			20_000,
			"the task cancelled at the provider",
		);
		await eventually(async () => ((await fulfilment(orderId))[0]?.status === "cancelled" ? true : undefined));
		const cancelled = await order(orderId);
		expect(cancelled.status).toBe("cancelled");
		expect(cancelled.timeline.filter((t) => t.kind === "courier").map((t) => t.reason)).toEqual([
			"courier booked",
			"courier booking cancelled",
		]);
		expect(task.taskId).toBe((await fulfilment(orderId))[0]?.delivery_task_id);
	});

	it("dead-letters a callback for a task it does not know", async () => {
		const eventId = `evt_unknown_${crypto.randomUUID()}`;
		const body = JSON.stringify({
			eventId,
			event: "task.assigned",
			taskId: "tsk_nobody",
			reference: "ful_01ARZ3NDEKTSV4RRFFQ69G5FAV",
			status: "assigned",
			occurredAt: new Date().toISOString(),
		});
		expect((await postWebhook(body, await signDeliveryWebhook(body, secret))).status).toBe(200);
		await eventually(
			async () => {
				const rows = await testDb().execute<{ queue: string }>(
					sql`SELECT queue FROM dead_letters WHERE body->>'eventId' = ${eventId}`,
				);
				return rows.rows[0];
			},
			20_000,
			"the dead letter",
		).then((row) => expect(row.queue).toBe("oja-delivery-events-dlq"));
	});

	it("answers a signed but unreadable callback with 400", async () => {
		const body = JSON.stringify({ hello: "world" });
		await problemOf(await postWebhook(body, await signDeliveryWebhook(body, secret)), 400);
	});
});
