import { type DatabaseWork, databaseWork, gateway, jsonOf, postJson, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
	addLine,
	type CartBody,
	type CheckoutBody,
	cartWith,
	checkout,
	checkoutBody,
	type OrderBody,
	openShop,
	type Shop,
	shopperGet,
	stockOf,
} from "./commerce-fixtures.ts";

// Checkout through the gateway: one transaction that reserves stock, prices from Postgres,
// counts the discount and creates the order; idempotent by key; nothing written on refusal.

let shop: Shop;
let other: Shop;

beforeAll(async () => {
	shop = await openShop([100, 5, 100], [250_000, 100_000, 40_000]);
	other = await openShop([10]);
});

interface Counts {
	orders: number;
	lines: number;
	reserved: number;
	customers: number;
	events: number;
	discount_uses: number;
}

async function counts(): Promise<Counts> {
	const result = await testDb().execute<Record<string, string>>(sql`
		SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS lines,
			(SELECT coalesce(sum(reserved), 0) FROM inventory) AS reserved, (SELECT count(*) FROM customers) AS customers,
			(SELECT count(*) FROM outbox WHERE type LIKE 'order.%' OR type LIKE 'inventory.reserved') AS events,
			(SELECT coalesce(sum(used_count), 0) FROM discounts) AS discount_uses`);
	return Object.fromEntries(Object.entries(result.rows[0] ?? {}).map(([k, v]) => [k, Number(v)])) as unknown as Counts;
}

describe("checkout", () => {
	it("pay on delivery: an open order due on delivery, stock reserved, priced from the database", async () => {
		const [a, b] = shop.variants as [string, string];
		const cart = await cartWith(shop.m.slug, [
			[a, 2],
			[b, 1],
		]);
		const before = await stockOf(a);
		const placed = await jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
		expect(placed.order).toMatchObject({
			status: "open",
			paymentStatus: "due_on_delivery",
			fulfilmentStatus: "unfulfilled",
			paymentMethod: "pay_on_delivery",
			subtotalMinor: 600_000,
			discountMinor: 0,
			deliveryMinor: 0,
			totalMinor: 600_000,
			currency: "NGN",
			expiresAt: null,
		});
		expect(placed.order.number).toBeGreaterThanOrEqual(1001);
		expect(placed.order.lines.map((l) => [l.variantId, l.quantity, l.unitPriceMinor])).toEqual([
			[a, 2, 250_000],
			[b, 1, 100_000],
		]);
		expect(placed.orderToken).toMatch(/^otk_/);
		expect((await stockOf(a)).reserved).toBe(before.reserved + 2);
		// The cart is frozen and says which order it became.
		const frozen = await jsonOf<CartBody>(await gateway(`/v1/storefront/${shop.m.slug}/carts/${cart.id}`));
		expect(frozen).toMatchObject({ status: "checked_out", orderId: placed.order.id });
		await problemOf(await addLine(shop.m.slug, cart.id, a, 1), 409);
		// The shopper reads it with the token, and only with it.
		const order = await jsonOf<OrderBody>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken),
		);
		expect(order.id).toBe(placed.order.id);
		expect(order.timeline?.[0]).toMatchObject({ kind: "created", to: "open" });
		await problemOf(await gateway(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`), 404);
		await problemOf(await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, `otk_${"A".repeat(43)}`), 404);
		await problemOf(await shopperGet(`/v1/storefront/${other.m.slug}/orders/${placed.order.id}`, placed.orderToken), 404);
	});

	it("online payment: pending_payment with an expiry, and delivery priced from the option", async () => {
		const [, , c] = shop.variants as [string, string, string];
		const cart = await cartWith(shop.m.slug, [[c, 3]]);
		const placed = await jsonOf<CheckoutBody>(
			await checkout(
				shop.m.slug,
				cart.id,
				checkoutBody(shop, {
					paymentMethod: "online",
					deliveryOptionId: shop.delivery,
					shippingAddress: { address: "12 Herbert Macaulay Way", city: "Yaba", state: "lagos" },
				}),
			),
			201,
		);
		expect(placed.order).toMatchObject({
			status: "pending_payment",
			paymentStatus: "pending",
			subtotalMinor: 120_000,
			deliveryMinor: 150_000,
			totalMinor: 270_000,
		});
		const expires = Date.parse(placed.order.expiresAt ?? "");
		expect(expires - Date.now()).toBeGreaterThan(25 * 60_000);
		expect(expires - Date.now()).toBeLessThan(31 * 60_000);
	});

	it("writes everything in one SQL round trip: one call of oja_checkout", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[2] as string, 1]]);
		const before = await databaseWork();
		const placed = await jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
		const after = await databaseWork();
		// Everything else that runs meanwhile (the relay publishing the events, consumers) is other
		// statements; the order, lines, stock, customer, events and stored response arrived in
		// exactly one request.
		const calls = (work: DatabaseWork) => work.functionCalls?.oja_checkout ?? 0;
		expect(calls(after) - calls(before)).toBe(1);
		const written = await testDb().execute<{ n: string }>(sql`
			SELECT (SELECT count(*) FROM order_lines WHERE order_id = ${placed.order.id})
				+ (SELECT count(*) FROM idempotency_keys WHERE order_id = ${placed.order.id})
				+ (SELECT count(*) FROM outbox WHERE aggregate_id = ${placed.order.id}) AS n`);
		expect(Number(written.rows[0]?.n)).toBe(4);
	});

	it("replays the first response for the same key and body; 422 for the same key with another body", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[2] as string, 1]]);
		const key = crypto.randomUUID();
		const first = await checkout(shop.m.slug, cart.id, checkoutBody(shop), key);
		const firstBody = await jsonOf<CheckoutBody>(first, 201);
		const before = await counts();
		const again = await checkout(shop.m.slug, cart.id, checkoutBody(shop), key);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(await jsonOf<CheckoutBody>(again, 201)).toEqual(firstBody);
		const different = await problemOf(
			await checkout(shop.m.slug, cart.id, checkoutBody(shop, { name: "Someone Else" }), key),
			422,
		);
		expect(different.errors?.[0]?.code).toBe("idempotency_key_reused");
		// A new key on a checked-out cart is a conflict, not a second order.
		const another = await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 409);
		expect(another.code).toBe("cart-checked-out");
		expect(await counts()).toEqual(before);
	});

	it("concurrent requests with one key make one order", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[2] as string, 2]]);
		const key = crypto.randomUUID();
		const before = await counts();
		const responses = await Promise.all(Array.from({ length: 6 }, () => checkout(shop.m.slug, cart.id, checkoutBody(shop), key)));
		const bodies = await Promise.all(responses.map((r) => jsonOf<CheckoutBody>(r, 201)));
		expect(new Set(bodies.map((b) => b.order.id)).size).toBe(1);
		expect(new Set(bodies.map((b) => b.orderToken)).size).toBe(1);
		const after = await counts();
		expect(after.orders - before.orders).toBe(1);
		expect(after.reserved - before.reserved).toBe(2);
	});

	it("concurrent checkouts of one cart with different keys make one order", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[2] as string, 1]]);
		const before = await counts();
		const responses = await Promise.all(Array.from({ length: 5 }, () => checkout(shop.m.slug, cart.id, checkoutBody(shop))));
		const statuses = responses.map((r) => r.status).sort();
		for (const r of responses) await r.body?.cancel();
		expect(statuses.filter((s) => s === 201)).toHaveLength(1);
		expect(statuses.filter((s) => s !== 201).every((s) => s === 409)).toBe(true);
		expect((await counts()).orders - before.orders).toBe(1);
	});

	it("out of stock: 409 listing each short variant with what is available, and nothing written", async () => {
		const [, b, c] = shop.variants as [string, string, string];
		const cart = await cartWith(shop.m.slug, [
			[b, 4],
			[c, 1],
		]);
		// Someone else buys most of b meanwhile.
		const rival = await cartWith(shop.m.slug, [[b, 3]]);
		await jsonOf(await checkout(shop.m.slug, rival.id, checkoutBody(shop)), 201);
		const before = await counts();
		const refused = await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 409);
		expect(refused.code).toBe("insufficient-stock");
		const short = refused.short as { variantId: string; requested: number; available: number }[];
		expect(short).toEqual([expect.objectContaining({ variantId: b, requested: 4 })]);
		expect(short[0]?.available).toBeLessThan(4);
		expect(await counts()).toEqual(before);
		// The cart is editable again and can check out once it asks for what is there.
		const lineId = (await jsonOf<CartBody>(await gateway(`/v1/storefront/${shop.m.slug}/carts/${cart.id}`))).lines.find(
			(l) => l.variantId === b,
		)?.id;
		await gateway(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/lines/${lineId}`, { method: "DELETE" });
		await jsonOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
	});

	it("refuses bad details and options with a 422 naming the field, writing nothing", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[2] as string, 1]]);
		const before = await counts();
		const cases: [Record<string, unknown>, string][] = [
			[{ phone: "12345" }, "phone"],
			[{ name: "" }, "name"],
			[{ email: "not-an-email" }, "email"],
			[{ paymentMethod: "crypto" }, "paymentMethod"],
			[{ deliveryOptionId: other.pickup }, "deliveryOptionId"],
			[{ deliveryOptionId: "dlv_01JB0000000000000000000000" }, "deliveryOptionId"],
			[{ deliveryOptionId: shop.delivery, paymentMethod: "online" }, "shippingAddress"],
			[
				{
					deliveryOptionId: shop.delivery,
					paymentMethod: "online",
					shippingAddress: { address: "1 Ring Road", city: "Ibadan", state: "Oyo" },
				},
				"shippingAddress",
			],
			// Pay on delivery is not offered with this option.
			[
				{ deliveryOptionId: shop.delivery, shippingAddress: { address: "1 Allen Avenue", city: "Ikeja", state: "Lagos" } },
				"paymentMethod",
			],
			[{ surprise: true }, ""],
		];
		for (const [overrides, path] of cases) {
			const problem = await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop, overrides)), 422);
			if (path) expect(problem.errors?.map((e) => e.path)).toContain(path);
		}
		await problemOf(await postJson(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/checkout`, checkoutBody(shop)), 422);
		await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop), "short"), 422);
		expect(await counts()).toEqual(before);
	});

	it("caps pay on delivery at the option's maximum total", async () => {
		const [a] = shop.variants as [string];
		const cart = await cartWith(shop.m.slug, [[a, 20]]);
		const body = checkoutBody(shop, {
			deliveryOptionId: shop.deliveryPod,
			shippingAddress: { address: "1 Allen Avenue", city: "Ikeja", state: "Lagos" },
		});
		const problem = await problemOf(await checkout(shop.m.slug, cart.id, body), 422);
		expect(problem.errors?.[0]).toMatchObject({ path: "paymentMethod", code: "pay_on_delivery_unavailable" });
	});

	it("a phone-only guest is one customer across orders; the same email is one customer", async () => {
		const c = shop.variants[2] as string;
		const phone = "+2348091112233";
		for (let i = 0; i < 2; i++) {
			const cart = await cartWith(shop.m.slug, [[c, 1]]);
			await jsonOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: undefined, phone })), 201);
		}
		const rows = await testDb().execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM customers WHERE store_id = ${shop.m.storeId} AND phone = ${phone} AND email IS NULL`,
		);
		expect(Number(rows.rows[0]?.n)).toBe(1);
	});

	it("a new shopper's concurrent checkouts make one customer; a returning one's missing phone and name are filled", async () => {
		const c = shop.variants[2] as string;
		const email = "first-timer@example.com";
		const carts = await Promise.all(Array.from({ length: 4 }, () => cartWith(shop.m.slug, [[c, 1]])));
		const responses = await Promise.all(carts.map((cart) => checkout(shop.m.slug, cart.id, checkoutBody(shop, { email }))));
		expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
		const customerOf = async (address: string) =>
			(
				await testDb().execute<{ id: string; phone: string | null; name: string | null; orders: string }>(sql`
					SELECT c.id, c.phone, c.name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS orders
					FROM customers c WHERE c.store_id = ${shop.m.storeId} AND c.email = ${address}`)
			).rows;
		const [first] = await customerOf(email);
		expect(await customerOf(email)).toHaveLength(1);
		expect(Number(first?.orders)).toBe(4);

		// Known by email only (as a storefront account signup leaves them): the order fills the rest.
		const returning = "returning@example.com";
		await testDb().execute(sql`
			INSERT INTO customers (id, store_id, email) VALUES ('cus_01JB00000000000000000RETRN', ${shop.m.storeId}, ${returning})`);
		const cart = await cartWith(shop.m.slug, [[c, 1]]);
		await jsonOf(
			await checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: returning, name: "Ada Obi", phone: "+2348030000001" })),
			201,
		);
		expect(await customerOf(returning)).toEqual([
			{ id: "cus_01JB00000000000000000RETRN", phone: "+2348030000001", name: "Ada Obi", orders: expect.anything() },
		]);
		// Details already on file are not overwritten by what a later checkout types.
		const again = await cartWith(shop.m.slug, [[c, 1]]);
		await jsonOf(
			await checkout(
				shop.m.slug,
				again.id,
				checkoutBody(shop, { email: returning, name: "Someone Else", phone: "+2348030000002" }),
			),
			201,
		);
		const [kept] = await customerOf(returning);
		expect(kept).toMatchObject({ phone: "+2348030000001", name: "Ada Obi" });
		expect(Number(kept?.orders)).toBe(2);

		// A storefront account (it has a password) is never edited by a checkout under its email.
		const account = "account-holder@example.com";
		await testDb().execute(sql`
			INSERT INTO customers (id, store_id, email, password_hash)
			VALUES ('cus_01JB00000000000000000ACCNT', ${shop.m.storeId}, ${account}, 'not-a-real-hash')`);
		const third = await cartWith(shop.m.slug, [[c, 1]]);
		await jsonOf(
			await checkout(shop.m.slug, third.id, checkoutBody(shop, { email: account, name: "Intruder", phone: "+2348030000003" })),
			201,
		);
		expect(await customerOf(account)).toMatchObject([{ phone: null, name: null }]);
	});

	it("counts a discount atomically: two shoppers racing for the last use, one wins", async () => {
		await testDb().execute(sql`
			INSERT INTO discounts (id, store_id, code, kind, amount_off_minor, currency, usage_limit, used_count)
			VALUES ('dsc_01JB00000000000000000LAST', ${shop.m.storeId}, 'LASTONE', 'fixed', 10000, 'NGN', 3, 2)`);
		const c = shop.variants[2] as string;
		const carts = await Promise.all(Array.from({ length: 4 }, () => cartWith(shop.m.slug, [[c, 1]])));
		for (const cart of carts) {
			await jsonOf(await postJson(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/discount`, { code: "LASTONE" }));
		}
		const responses = await Promise.all(
			carts.map((cart, i) => checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: `racer${i}@example.com` }))),
		);
		const statuses = responses.map((r) => r.status);
		const won = responses.filter((r) => r.status === 201);
		expect(won).toHaveLength(1);
		expect((await jsonOf<CheckoutBody>(won[0] as Response, 201)).order).toMatchObject({ discountMinor: 10_000 });
		expect(statuses.filter((s) => s === 409)).toHaveLength(3);
		const used = await testDb().execute<{ used_count: number }>(
			sql`SELECT used_count FROM discounts WHERE code = 'LASTONE' AND store_id = ${shop.m.storeId}`,
		);
		expect(Number(used.rows[0]?.used_count)).toBe(3);
	});

	it("enforces a per-customer limit", async () => {
		await testDb().execute(sql`
			INSERT INTO discounts (id, store_id, code, kind, percent_off, currency, per_customer_limit)
			VALUES ('dsc_01JB00000000000000000ONCE', ${shop.m.storeId}, 'ONCEEACH', 'percentage', 50, 'NGN', 1)`);
		const c = shop.variants[2] as string;
		const place = async (email: string, phone = "0803 123 4567") => {
			const cart = await cartWith(shop.m.slug, [[c, 2]]);
			await jsonOf(await postJson(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/discount`, { code: "onceeach" }));
			return checkout(shop.m.slug, cart.id, checkoutBody(shop, { email, phone }));
		};
		const first = await jsonOf<CheckoutBody>(await place("once@example.com"), 201);
		expect(first.order.discountMinor).toBe(40_000);
		const second = await problemOf(await place("ONCE@example.com"), 409);
		expect(second.code).toBe("discount-customer-limit");
		// The phone counts too (commerce-attacks.test.ts): someone else has another phone.
		await jsonOf(await place("someone-else@example.com", "0805 999 0000"), 201);
	});

	it("an empty cart or an unknown cart cannot check out", async () => {
		const cart = await jsonOf<CartBody>(await postJson(`/v1/storefront/${shop.m.slug}/carts`, {}), 201);
		await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 422);
		await problemOf(await checkout(other.m.slug, cart.id, checkoutBody(other)), 404);
	});
});
