import { env } from "cloudflare:workers";
import { newId } from "@oja/db";
import { completePayment, injectFailure, listTransactions, listWebhooks } from "@oja/paystack-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type CheckoutBody, cartWith, checkout, checkoutBody, openShop, type Shop } from "./commerce-fixtures.ts";

// An outsider's attacks on online payments and the ledger. The first groups each failed
// against the code as first written (a superseded payment's link handed out; money on a
// payment no longer live retried into the DLQ; a link after the hold ran out; a cursor Postgres
// refused; one store's entry crediting another's balance) and pass since their fixes; the
// rest document attacks that held.

interface PaidCheckout extends CheckoutBody {
	payment: { provider: string; reference: string; authorizationUrl: string } | null;
}
interface Link {
	reference: string;
	authorizationUrl: string;
}

const admin = () => env.TEST_PAYSTACK_ADMIN;
const db = () => testDb();
let shop: Shop;

beforeAll(async () => {
	shop = await openShop([50, 50]);
});

async function placeOnline(): Promise<PaidCheckout> {
	const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
	return jsonOf<PaidCheckout>(await checkout(shop.m.slug, cart.id, checkoutBody(shop, { paymentMethod: "online" })), 201);
}

function postWebhook(body: string, signature: string): Promise<Response> {
	return gateway("/webhooks/paystack", {
		method: "POST",
		headers: { "content-type": "application/json", "x-paystack-signature": signature },
		body,
	});
}

async function payAndDeliver(link: Link): Promise<void> {
	await completePayment(link.authorizationUrl, "pay");
	const hook = await eventually(async () =>
		(await listWebhooks(admin())).find((w) => w.event === "charge.success" && w.body.includes(`"${link.reference}"`)),
	);
	expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);
}

const paymentPath = (slug: string, orderId: string) => `/v1/storefront/${slug}/orders/${orderId}/payment`;
const startPayment = (slug: string, orderId: string, token: string) =>
	gateway(paymentPath(slug, orderId), { method: "POST", headers: { authorization: `Bearer ${token}` } });

async function paymentRows(orderId: string) {
	return (
		await db().execute<{ reference: string; status: string; review_reason: string | null }>(
			sql`SELECT reference, status, review_reason FROM payments WHERE order_id = ${orderId} ORDER BY created_at`,
		)
	).rows;
}

describe("money taken by Paystack but never applied", () => {
	it("two concurrent 'Pay now' requests never hand out a link to a payment that was superseded", async () => {
		// Paystack down at checkout: the payment row stays 'initializing' under reference R.
		await injectFailure(admin(), { path: "/transaction/initialize", status: 503, times: 3 });
		const placed = await placeOnline();
		expect(placed.payment).toBeNull();
		// The next initialize is served (R is created at Paystack) but its answer is held 2.5 s,
		// as on a slow network; a double-click sends a second request meanwhile.
		await injectFailure(admin(), { path: "/transaction/initialize", delayMs: 2_500, times: 1 });
		const first = startPayment(shop.m.slug, placed.order.id, placed.orderToken);
		await new Promise((r) => setTimeout(r, 800));
		const second = startPayment(shop.m.slug, placed.order.id, placed.orderToken);
		const [a, b] = await Promise.all([jsonOf<Link>(await first), jsonOf<Link>(await second)]);
		const rows = await paymentRows(placed.order.id);
		const live = rows.filter((r) => ["initializing", "initialized", "paid"].includes(r.status));
		expect(live).toHaveLength(1);
		// Today: the second request got "Duplicate Transaction Reference", marked R 'superseded' and
		// started S; the first then got R's link, its UPDATE … WHERE status = 'initializing' matched
		// nothing, and it returned R's link anyway. A shopper who pays R is charged for an order
		// whose payment row no longer accepts the charge.
		expect(a.reference).toBe(live[0]?.reference);
		expect(b.reference).toBe(live[0]?.reference);
	}, 30_000);

	it("a verified charge.success for a payment that is no longer live is held for review, not retried into the DLQ", async () => {
		const placed = await placeOnline();
		const link = placed.payment as Link;
		// What initializePayment does when verify said 'failed' (or a race superseded it, above):
		// the row is no longer live; Paystack nevertheless collects the money for R.
		await db().execute(sql`UPDATE payments SET status = 'failed' WHERE reference = ${link.reference}`);
		await payAndDeliver(link);
		// Expected: the payment is held for an operator (or the order is paid). Today commerce's
		// UPDATE payments … status IN ('initializing','initialized') vetoes 'order-changed', the
		// consumer throws, and the event is retried until it dead-letters: no review row, no sale.
		const outcome = await eventually(
			async () => {
				const [row] = await paymentRows(placed.order.id);
				const [order] = (
					await db().execute<{ payment_status: string }>(sql`SELECT payment_status FROM orders WHERE id = ${placed.order.id}`)
				).rows;
				if (row?.status === "review" || order?.payment_status === "paid") return row?.status ?? "paid";
				return undefined;
			},
			12_000,
			"the charge held for review or applied",
		);
		expect(["review", "paid"]).toContain(outcome);
	}, 30_000);
});

describe("a payment link for an order whose hold ran out", () => {
	it("POST …/payment answers 409 once expires_at has passed, even before the expiry sweep ran", async () => {
		const placed = await placeOnline();
		// The hold ran out a minute ago; the sweep (cron) has not reached it yet.
		await db().execute(sql`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = ${placed.order.id}`);
		const res = await startPayment(shop.m.slug, placed.order.id, placed.orderToken);
		// Today: 200 with a live Paystack link; the sweep then expires the order and releases the
		// stock, and a payment made on that link is held under review with nothing to refund it.
		await problemOf(res, 409);
	});
});

describe("bad input reaching SQL", () => {
	it("a ledger cursor whose time JavaScript accepts but Postgres does not is a 422, not a 500", async () => {
		// Date.parse("1") is 2001-01-01 in V8; '1'::timestamptz is a Postgres syntax error.
		const cursor = btoa(`1|led_${"0".repeat(26)}`);
		const res = await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/ledger?cursor=${encodeURIComponent(cursor)}`);
		// A cursor this list never gave out is the same 422 as any other malformed cursor.
		const problem = await problemOf(res, 422);
		expect(JSON.stringify(problem)).not.toMatch(/timestamp|syntax|at .*\.ts/i);
	});
});

describe("the database keeps postings inside their entry's store", () => {
	it("an entry of store A cannot credit store B's available balance", async () => {
		const storeA = newId("store");
		const storeB = newId("store");
		for (const id of [storeA, storeB]) {
			await db().execute(
				sql`INSERT INTO stores (id, slug, name, currency) VALUES (${id}, ${id.toLowerCase().replace("_", "-")}, 'Attack', 'NGN')`,
			);
		}
		const entry = newId("ledgerEntry");
		let refused = false;
		try {
			await db().batch([
				db().execute(sql`INSERT INTO ledger_entries (id, store_id, kind, external_ref, description)
					VALUES (${entry}, ${storeA}, 'sale', ${`attack:${entry}`}, 'A sale of store A')`),
				db().execute(sql`INSERT INTO ledger_postings (entry_id, store_id, account, currency, amount_minor) VALUES
					(${entry}, NULL, 'paystack_clearing', 'NGN', 500000), (${entry}, ${storeB}, 'available', 'NGN', -500000)`),
			]);
		} catch {
			refused = true;
		}
		expect(refused).toBe(true);
	});
});

describe("attacks that held", () => {
	it("another store's slug with the right order token: 404, no Paystack transaction", async () => {
		const other = await openShop([1]);
		await injectFailure(admin(), { path: "/transaction/initialize", status: 503, times: 3 });
		const placed = await placeOnline();
		expect(placed.payment).toBeNull();
		await problemOf(await startPayment(other.m.slug, placed.order.id, placed.orderToken), 404);
		// Another order's token for this order: 404 too.
		const mine = await placeOnline();
		await problemOf(await startPayment(shop.m.slug, placed.order.id, mine.orderToken), 404);
		const [row] = await paymentRows(placed.order.id);
		expect(row?.status).toBe("initializing");
		expect(await listTransactions(admin(), row?.reference)).toHaveLength(0);
	});

	it("the reference sent to Paystack and the callback carry no order token", async () => {
		const placed = await placeOnline();
		const [tx] = await listTransactions(admin(), placed.payment?.reference);
		expect(JSON.stringify(tx)).not.toContain(placed.orderToken);
		expect(JSON.stringify(tx)).not.toContain("otk_");
		expect(tx?.callbackUrl).toMatch(new RegExp(`/s/${shop.m.slug}/orders/${placed.order.id}$`));
	});

	it("a payment on a cancelled order is held for review: the order stays cancelled, no sale is posted", async () => {
		const placed = await placeOnline();
		const link = placed.payment as Link;
		await jsonOf(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/cancel`, {
				reason: "attack test",
			}),
		);
		await payAndDeliver(link);
		const row = await eventually(async () => {
			const [r] = await paymentRows(placed.order.id);
			return r?.status === "review" ? r : undefined;
		}, 12_000);
		expect(row.review_reason).toContain("cancelled");
		const entries = await db().execute(sql`SELECT 1 FROM ledger_entries WHERE order_id = ${placed.order.id}`);
		expect(entries.rows).toHaveLength(0);
	}, 30_000);

	it("another store's ledger cursor only pages through the caller's own entries", async () => {
		const other = await openShop([1]);
		const cursor = btoa(`2999-01-01T00:00:00.000000Z|led_${"Z".repeat(26)}`);
		const page = await jsonOf<{ items: { id: string }[] }>(
			await asMerchant(other.m, "GET", `/v1/stores/${other.m.storeId}/ledger?cursor=${encodeURIComponent(cursor)}`),
		);
		expect(page.items).toEqual([]);
	});
});

describe("Paystack refusing a transaction is not an internal error", () => {
	it("POST …/payment when Paystack answers 400 (not a duplicate) is a 4xx/503 problem, not a 500", async () => {
		await injectFailure(admin(), { path: "/transaction/initialize", status: 503, times: 3 });
		const placed = await placeOnline();
		expect(placed.payment).toBeNull();
		// Paystack refuses the request itself (a bad email, a currency the account cannot take…).
		await injectFailure(admin(), { path: "/transaction/initialize", status: 400, times: 1 });
		const res = await startPayment(shop.m.slug, placed.order.id, placed.orderToken);
		// Today: PaymentRejectedError escapes initializePayment and runRpc turns it into 500
		// "internal" (an alert for us, no guidance for the shopper).
		expect(res.status).not.toBe(500);
		expect(res.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
	});
});
