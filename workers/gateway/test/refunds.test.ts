import { env } from "cloudflare:workers";
import { listRefunds, sendEvent, type WebhookDelivery } from "@oja/paystack-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type OrderBody, openShop, type Shop, stockOf } from "./commerce-fixtures.ts";
import { payOnPage, placeOnline, postPaystackWebhook, sandboxAdmin } from "./payment-fixtures.ts";

// Refunds through the gateway: the order, the refunds row and the ledger move together, never
// past what was paid (concurrent refunds included); Paystack is asked after the commit and its
// refund.processed / refund.failed are applied once. Late payments after expiry re-reserve the
// stock or are refunded automatically, never overselling.

type PaidCheckout = Awaited<ReturnType<typeof placeOnline>>;
interface RefundBody {
	id: string;
	orderId: string;
	amountMinor: number;
	status: "pending" | "processed" | "failed";
	kind: "merchant" | "late_payment";
	source: "pending" | "available";
	restocked: { lineId: string; quantity: number }[];
	providerRefundId: string | null;
}
interface Balance {
	pendingMinor: number;
	availableMinor: number;
}
interface LedgerPage {
	items: { kind: string; orderId: string | null }[];
}

const admin = sandboxAdmin;
const commerce = (env as unknown as { COMMERCE: { expireReservations(): Promise<{ expired: number }> } }).COMMERCE;
const payments = (env as unknown as { PAYMENTS: { submitDueRefunds(): Promise<Record<string, number>> } }).PAYMENTS;

let shop: Shop;

beforeAll(async () => {
	shop = await openShop([200, 200, 1]);
});

const postWebhook = postPaystackWebhook;

async function orderOf(s: Shop, placed: PaidCheckout): Promise<OrderBody & { refundedMinor?: number }> {
	return jsonOf(await asMerchant(s.m, "GET", `/v1/stores/${s.m.storeId}/orders/${placed.order.id}`));
}

/** Pays on the sandbox's page and delivers its charge.success to the gateway. */
async function pay(placed: PaidCheckout): Promise<void> {
	expect((await postWebhook(await payOnPage(placed))).status).toBe(200);
}

async function paidOrder(s: Shop, variant: string, quantity = 1): Promise<PaidCheckout> {
	const placed = await placeOnline(s, variant, quantity);
	await pay(placed);
	await eventually(async () => ((await orderOf(s, placed)).paymentStatus === "paid" ? true : undefined), 15_000, "paid");
	return placed;
}

const refundsPath = (s: Shop, orderId: string) => `/v1/stores/${s.m.storeId}/orders/${orderId}/refunds`;

function refund(s: Shop, orderId: string, body: Record<string, unknown>, key: string | null = crypto.randomUUID()) {
	return gateway(refundsPath(s, orderId), {
		method: "POST",
		headers: {
			authorization: `Bearer ${s.m.token}`,
			"content-type": "application/json",
			...(key === null ? {} : { "idempotency-key": key }),
		},
		body: JSON.stringify(body),
	});
}

const balance = async (s: Shop) => jsonOf<Balance>(await asMerchant(s.m, "GET", `/v1/stores/${s.m.storeId}/balance`));
const entries = async (s: Shop, orderId: string) =>
	(await jsonOf<LedgerPage>(await asMerchant(s.m, "GET", `/v1/stores/${s.m.storeId}/ledger?orderId=${orderId}`))).items;
const refundsOf = async (s: Shop, orderId: string) =>
	(await jsonOf<{ items: RefundBody[] }>(await asMerchant(s.m, "GET", refundsPath(s, orderId)))).items;

/** Sends Paystack's event for a refund and delivers it to the gateway `times` times. */
async function refundEvent(event: "refund.processed" | "refund.failed", providerRefundId: string, times = 3) {
	const deliveries = await sendEvent(admin(), { event, refundId: Number(providerRefundId) });
	const delivery = deliveries[0] as WebhookDelivery;
	for (let i = 0; i < times; i++) expect((await postWebhook(delivery)).status).toBe(200);
}

async function refundStatusEventually(s: Shop, orderId: string, refundId: string, status: RefundBody["status"]) {
	return eventually(
		async () => (await refundsOf(s, orderId)).find((r) => r.id === refundId && r.status === status),
		15_000,
		`refund ${status}`,
	);
}

async function ledgerOk(): Promise<void> {
	expect((await env.LEDGER.verify()).ok).toBe(true);
}

describe("merchant refunds", () => {
	it("refunds in parts up to what was paid; one over is a 409 and writes nothing; Paystack has each", async () => {
		// Settled money to draw on once the order's own pending remainder is used up.
		await paidOrder(shop, shop.variants[1] as string, 3);
		await env.LEDGER.settle();
		const placed = await paidOrder(shop, shop.variants[0] as string, 2);
		const total = placed.order.totalMinor;
		const first = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 1_000, reason: "damaged" }), 201);
		expect(first).toMatchObject({ amountMinor: 1_000, status: "pending", kind: "merchant", source: "pending" });
		expect(first.providerRefundId).not.toBeNull();
		expect((await orderOf(shop, placed)).paymentStatus).toBe("partially_refunded");

		const before = await balance(shop);
		const over = await problemOf(await refund(shop, placed.order.id, { amountMinor: total - 1_000 + 1, reason: "x" }), 409);
		expect(over.code).toBe("over-refund");
		expect(await balance(shop)).toEqual(before);
		expect(await refundsOf(shop, placed.order.id)).toHaveLength(1);

		// No amount: everything that remains.
		const rest = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { reason: "customer changed mind" }), 201);
		expect(rest.amountMinor).toBe(total - 1_000);
		expect((await orderOf(shop, placed)).paymentStatus).toBe("refunded");
		await problemOf(await refund(shop, placed.order.id, { amountMinor: 1, reason: "x" }), 409);
		const atPaystack = await listRefunds(admin(), placed.payment?.reference);
		expect(atPaystack.map((r) => r.amount).sort()).toEqual([1_000, total - 1_000].sort());
		await ledgerOk();
	});

	it("more than the store's balance can cover is a 409 insufficient-funds, and nothing is written", async () => {
		const lone = await openShop([5]);
		const placed = await paidOrder(lone, lone.variants[0] as string);
		// Settled: the refund must come from available, which holds the total less Oja's fee.
		await env.LEDGER.settle();
		const before = await balance(lone);
		expect(before.availableMinor).toBeLessThan(placed.order.totalMinor);
		const refused = await problemOf(await refund(lone, placed.order.id, { reason: "all of it" }), 409);
		expect(refused.code).toBe("insufficient-funds");
		expect(await balance(lone)).toEqual(before);
		expect(await refundsOf(lone, placed.order.id)).toHaveLength(0);
		expect((await orderOf(lone, placed)).paymentStatus).toBe("paid");
		expect(await listRefunds(admin(), placed.payment?.reference)).toHaveLength(0);
		// What the balance covers goes through, from available.
		const fits = await jsonOf<RefundBody>(
			await refund(lone, placed.order.id, { amountMinor: before.availableMinor, reason: "what fits" }),
			201,
		);
		expect(fits.source).toBe("available");
		expect((await balance(lone)).availableMinor).toBe(0);
		await ledgerOk();
	});

	it("a refund racing the settlement: the order's money is counted once, whichever source it took", async () => {
		const lone = await openShop([5]);
		const placed = await paidOrder(lone, lone.variants[0] as string);
		const owed = (await balance(lone)).pendingMinor;
		const [, answer] = await Promise.all([
			env.LEDGER.settle(),
			refund(lone, placed.order.id, { amountMinor: 1_000, reason: "race with settlement" }),
		]);
		expect(answer.status).toBe(201);
		await answer.body?.cancel();
		// A settlement the refund made stale is retried on the next run.
		await env.LEDGER.settle();
		expect(await balance(lone)).toMatchObject({ pendingMinor: 0, availableMinor: owed - 1_000 });
		await ledgerOk();
	});

	it("a refund from pending that fails after the order settled comes back to available (never stuck in pending)", async () => {
		const lone = await openShop([5]);
		const placed = await paidOrder(lone, lone.variants[0] as string);
		const owed = (await balance(lone)).pendingMinor;
		const r = await jsonOf<RefundBody>(await refund(lone, placed.order.id, { amountMinor: 1_000, reason: "later failed" }), 201);
		expect(r.source).toBe("pending");
		await env.LEDGER.settle();
		expect(await balance(lone)).toMatchObject({ pendingMinor: 0, availableMinor: owed - 1_000 });
		await refundEvent("refund.failed", r.providerRefundId as string, 1);
		await refundStatusEventually(lone, placed.order.id, r.id, "failed");
		expect(await balance(lone)).toMatchObject({ pendingMinor: 0, availableMinor: owed });
		await ledgerOk();
	});

	it("the Idempotency-Key is required, and a replay answers the same refund once", async () => {
		const placed = await paidOrder(shop, shop.variants[0] as string);
		await problemOf(await refund(shop, placed.order.id, { amountMinor: 100, reason: "x" }, null), 422);
		const key = crypto.randomUUID();
		const a = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 100, reason: "x" }, key), 201);
		const b = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 100, reason: "x" }, key), 200);
		expect(b.id).toBe(a.id);
		await problemOf(await refund(shop, placed.order.id, { amountMinor: 200, reason: "x" }, key), 422);
		expect(await refundsOf(shop, placed.order.id)).toHaveLength(1);
		expect(await listRefunds(admin(), placed.payment?.reference)).toHaveLength(1);
	});

	it("concurrent refunds that together exceed the payment: only those that fit", async () => {
		await env.LEDGER.settle();
		const placed = await paidOrder(shop, shop.variants[0] as string, 3);
		const total = placed.order.totalMinor;
		const each = Math.floor(total / 3) + 1;
		const answers = await Promise.all(
			Array.from({ length: 5 }, () => refund(shop, placed.order.id, { amountMinor: each, reason: "race" })),
		);
		const statuses = answers.map((r) => r.status);
		await Promise.all(answers.map((r) => r.body?.cancel()));
		const won = statuses.filter((s) => s === 201).length;
		expect(won).toBeGreaterThanOrEqual(1);
		expect(won).toBeLessThanOrEqual(2);
		expect(statuses.filter((s) => s !== 201).every((s) => s === 409)).toBe(true);
		const rows = await refundsOf(shop, placed.order.id);
		expect(rows).toHaveLength(won);
		const order = await testDb().execute<{ refunded_minor: string; paid_minor: string }>(
			sql`SELECT refunded_minor, paid_minor FROM orders WHERE id = ${placed.order.id}`,
		);
		expect(Number(order.rows[0]?.refunded_minor)).toBe(won * each);
		expect(won * each).toBeLessThanOrEqual(Number(order.rows[0]?.paid_minor));
		await ledgerOk();
	});

	it("refund.processed completes it once; refund.failed returns the money and restores the order, once", async () => {
		const placed = await paidOrder(shop, shop.variants[0] as string);
		const processed = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 500, reason: "a" }), 201);
		await refundEvent("refund.processed", processed.providerRefundId as string);
		await refundStatusEventually(shop, placed.order.id, processed.id, "processed");

		const before = await balance(shop);
		const failing = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 700, reason: "b" }), 201);
		expect((await balance(shop)).pendingMinor).toBe(before.pendingMinor - 700);
		await refundEvent("refund.failed", failing.providerRefundId as string);
		await refundStatusEventually(shop, placed.order.id, failing.id, "failed");
		await new Promise((r) => setTimeout(r, 1_500));

		expect(await balance(shop)).toEqual(before);
		const order = await testDb().execute<{ refunded_minor: string; payment_status: string }>(
			sql`SELECT refunded_minor, payment_status FROM orders WHERE id = ${placed.order.id}`,
		);
		expect(order.rows[0]).toMatchObject({ payment_status: "partially_refunded" });
		expect(Number(order.rows[0]?.refunded_minor)).toBe(500);
		const kinds = (await entries(shop, placed.order.id)).map((e) => e.kind).sort();
		expect(kinds).toEqual(["refund", "refund", "refund_completed", "refund_returned", "sale"].sort());
		const events = await testDb().execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM payment_events WHERE event_key LIKE 'refund.%' AND store_id = ${shop.m.storeId}`,
		);
		expect(Number(events.rows[0]?.n)).toBe(2);
		await ledgerOk();
	});

	it("restock puts fulfilled units back on hand, once", async () => {
		const variant = shop.variants[1] as string;
		const placed = await paidOrder(shop, variant, 2);
		await jsonOf(await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/fulfilments`), 201);
		const shipped = await stockOf(variant);
		const r = await jsonOf<RefundBody>(
			await refund(shop, placed.order.id, { amountMinor: 1_000, reason: "returned", restock: true }),
			201,
		);
		expect(r.restocked.map((l) => l.quantity)).toEqual([2]);
		expect(await stockOf(variant)).toEqual({ onHand: shipped.onHand + 2, reserved: shipped.reserved });
		await jsonOf(await refund(shop, placed.order.id, { amountMinor: 1_000, reason: "again", restock: true }), 201);
		expect(await stockOf(variant)).toEqual({ onHand: shipped.onHand + 2, reserved: shipped.reserved });
		// Without restock nothing moves.
		const other = await paidOrder(shop, variant, 1);
		await jsonOf(await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${other.order.id}/fulfilments`), 201);
		const after = await stockOf(variant);
		await jsonOf(await refund(shop, other.order.id, { amountMinor: 100, reason: "no restock" }), 201);
		expect(await stockOf(variant)).toEqual(after);
	});

	it("another store's member gets 404; staff (no refunds:manage) gets 403; nothing is written", async () => {
		const placed = await paidOrder(shop, shop.variants[0] as string);
		const other = await openShop([1]);
		await problemOf(await refund(other, placed.order.id, { amountMinor: 100, reason: "x" }), 404);
		await problemOf(
			await gateway(refundsPath(shop, placed.order.id).replace(shop.m.storeId, other.m.storeId), {
				method: "POST",
				headers: {
					authorization: `Bearer ${other.m.token}`,
					"content-type": "application/json",
					"idempotency-key": crypto.randomUUID(),
				},
				body: JSON.stringify({ amountMinor: 100, reason: "x" }),
			}),
			404,
		);
		await problemOf(await asMerchant(other.m, "GET", refundsPath(shop, placed.order.id)), 404);
		const staff = await jsonOf<{ key: string }>(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/api-keys`, { name: "till", role: "staff" }),
			201,
		);
		await problemOf(await refund({ ...shop, m: { ...shop.m, token: staff.key } }, placed.order.id, { reason: "x" }), 403);
		expect(await refundsOf(shop, placed.order.id)).toHaveLength(0);
		expect((await orderOf(shop, placed)).paymentStatus).toBe("paid");
	});

	it("with Paystack down the refund is taken and stays pending; the retry asks once", async () => {
		const { injectFailure } = await import("@oja/paystack-sandbox/admin");
		const placed = await paidOrder(shop, shop.variants[0] as string);
		await injectFailure(admin(), { path: "/refund", method: "POST", status: 503, times: 1 });
		const r = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 300, reason: "down" }), 201);
		expect(r).toMatchObject({ status: "pending", providerRefundId: null });
		// Due at once for the test (the real backoff is 30 s and up).
		await testDb().execute(sql`UPDATE refunds SET next_attempt_at = now() WHERE id = ${r.id}`);
		await payments.submitDueRefunds();
		const [row] = await refundsOf(shop, placed.order.id);
		expect(row?.providerRefundId).not.toBeNull();
		await testDb().execute(sql`UPDATE refunds SET next_attempt_at = now() WHERE id = ${r.id}`);
		await payments.submitDueRefunds();
		expect(await listRefunds(admin(), placed.payment?.reference)).toHaveLength(1);
	});

	it("Paystack acted but the answer timed out: the retry finds that refund and never asks twice", async () => {
		const { injectFailure } = await import("@oja/paystack-sandbox/admin");
		const placed = await paidOrder(shop, shop.variants[0] as string);
		// Served, then answered after the client's 10 s timeout.
		await injectFailure(admin(), { path: "/refund", method: "POST", delayMs: 11_000, times: 1 });
		const r = await jsonOf<RefundBody>(await refund(shop, placed.order.id, { amountMinor: 400, reason: "slow" }), 201);
		expect(r).toMatchObject({ status: "pending", providerRefundId: null });
		expect(await listRefunds(admin(), placed.payment?.reference)).toHaveLength(1);
		await testDb().execute(sql`UPDATE refunds SET next_attempt_at = now() WHERE id = ${r.id}`);
		expect(await payments.submitDueRefunds()).toMatchObject({ adopted: 1, submitted: 0 });
		const [atPaystack] = await listRefunds(admin(), placed.payment?.reference);
		const [row] = await refundsOf(shop, placed.order.id);
		expect(row?.providerRefundId).toBe(String(atPaystack?.id));
		expect(await listRefunds(admin(), placed.payment?.reference)).toHaveLength(1);
	}, 30_000);
});

describe("late payments", () => {
	async function expire(placed: PaidCheckout): Promise<void> {
		await testDb().execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${placed.order.id}`);
		await commerce.expireReservations();
		expect((await orderOf(shop, placed)).status).toBe("expired");
	}

	it("paid after expiry with the stock still there: open and paid, the stock reserved again, one sale", async () => {
		const variant = shop.variants[0] as string;
		const placed = await placeOnline(shop, variant, 2);
		await expire(placed);
		const released = await stockOf(variant);
		await pay(placed);
		const order = await eventually(async () => {
			const o = await orderOf(shop, placed);
			return o.paymentStatus === "paid" ? o : undefined;
		});
		expect(order.status).toBe("open");
		expect(await stockOf(variant)).toEqual({ onHand: released.onHand, reserved: released.reserved + 2 });
		expect((await entries(shop, placed.order.id)).map((e) => e.kind)).toEqual(["sale"]);
		await ledgerOk();
	});

	it("paid after expiry with the stock gone: refunded in full through Paystack, nothing oversold", async () => {
		const variant = shop.variants[2] as string; // one unit on hand
		const late = await placeOnline(shop, variant, 1);
		await expire(late);
		const taker = await placeOnline(shop, variant, 1);
		expect(taker.order.status).toBe("pending_payment");
		const before = await balance(shop);
		await pay(late);
		const order = await eventually(async () => {
			const o = await orderOf(shop, late);
			return o.paymentStatus === "refunded" ? o : undefined;
		});
		expect(order.status).toBe("cancelled");
		expect(await stockOf(variant)).toEqual({ onHand: 1, reserved: 1 });
		// Paystack is asked right after commerce's commit: the id lands a moment after the order turns refunded.
		const r = await eventually(async () => (await refundsOf(shop, late.order.id)).find((x) => x.providerRefundId !== null));
		expect(r).toMatchObject({ kind: "late_payment", amountMinor: late.order.totalMinor, source: "pending", status: "pending" });
		expect(await listRefunds(admin(), late.payment?.reference)).toHaveLength(1);
		expect(await balance(shop)).toEqual(before);
		const timeline = await testDb().execute<{ reason: string | null }>(
			sql`SELECT reason FROM order_timeline WHERE order_id = ${late.order.id} AND to_value = 'refunded'`,
		);
		expect(timeline.rows[0]?.reason).toContain("paid after the order expired");
		expect((await entries(shop, late.order.id)).map((e) => e.kind).sort()).toEqual(["refund", "sale"]);
		await ledgerOk();
	});
});
