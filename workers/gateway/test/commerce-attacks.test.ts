import { asMerchant, gateway, jsonOf, postJson, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
	addLine,
	type CartBody,
	type CheckoutBody,
	cartWith,
	checkout,
	checkoutBody,
	newCart,
	type OrderBody,
	openShop,
	type Shop,
	shopperGet,
} from "./commerce-fixtures.ts";

// An outsider's attacks on carts, checkout and orders, through the gateway: another store's
// ids anywhere, money bounds, idempotency keys, races between merchant commands, text Postgres
// cannot store, and what a shopper's order response lets shared caches keep.

let shop: Shop;
let other: Shop;
const MAX_PRICE = 10_000_000_000;

beforeAll(async () => {
	shop = await openShop([1000, 1000, 1000, 1000], [100_000, 200_000, 300_000, 400_000]);
	other = await openShop([1000]);
});

async function writes(): Promise<Record<string, number>> {
	const result = await testDb().execute<Record<string, string>>(sql`
		SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS lines,
			(SELECT coalesce(sum(reserved), 0) FROM inventory) AS reserved, (SELECT count(*) FROM customers) AS customers,
			(SELECT count(*) FROM idempotency_keys WHERE order_id IS NOT NULL) AS keys,
			(SELECT coalesce(sum(used_count), 0) FROM discounts) AS discount_uses`);
	return Object.fromEntries(Object.entries(result.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

async function place(s: Shop, lines: [string, number][], overrides: Record<string, unknown> = {}): Promise<CheckoutBody> {
	const cart = await cartWith(s.m.slug, lines);
	return jsonOf<CheckoutBody>(await checkout(s.m.slug, cart.id, checkoutBody(s, overrides)), 201);
}

describe("another store's ids", () => {
	it("a cart, a delivery option or a discount code of store B is refused at store A, writing nothing", async () => {
		const [a] = shop.variants as [string];
		const mine = await cartWith(shop.m.slug, [[a, 1]]);
		const before = await writes();
		// Store A's cart presented at store B's checkout and line routes.
		await problemOf(await checkout(other.m.slug, mine.id, checkoutBody(other)), 404);
		await problemOf(await addLine(other.m.slug, mine.id, other.variants[0] as string), 404);
		// Store B's delivery option at store A's checkout.
		const dlv = await problemOf(
			await checkout(shop.m.slug, mine.id, checkoutBody(shop, { deliveryOptionId: other.pickup })),
			422,
		);
		expect(dlv.errors?.[0]?.path).toBe("deliveryOptionId");
		// Store B's discount code on store A's cart.
		await jsonOf(
			await asMerchant(other.m, "POST", `/v1/stores/${other.m.storeId}/discounts`, {
				code: "ONLYB",
				kind: "percentage",
				percentOff: 50,
			}),
			201,
		);
		await problemOf(await postJson(`/v1/storefront/${shop.m.slug}/carts/${mine.id}/discount`, { code: "ONLYB" }), 422);
		// Store B's variant added to store A's cart.
		await problemOf(await addLine(shop.m.slug, mine.id, other.variants[0] as string), 422);
		expect(await writes()).toEqual(before);
	});

	it("an order token opens only its own order, at its own store; a wrong token and a missing order look alike", async () => {
		const [a] = shop.variants as [string];
		const first = await place(shop, [[a, 1]]);
		const second = await place(shop, [[a, 1]]);
		await problemOf(await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${second.order.id}`, first.orderToken), 404);
		await problemOf(await shopperGet(`/v1/storefront/${other.m.slug}/orders/${first.order.id}`, first.orderToken), 404);
		const missing = await problemOf(
			await shopperGet(`/v1/storefront/${shop.m.slug}/orders/ord_00000000000000000000000000`, first.orderToken),
			404,
		);
		const wrong = await problemOf(
			await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${second.order.id}`, first.orderToken),
			404,
		);
		expect({ ...wrong, requestId: null, instance: null }).toEqual({ ...missing, requestId: null, instance: null });
		// A cookie naming another order's id does not open this one.
		await problemOf(
			await gateway(`/v1/storefront/${shop.m.slug}/orders/${second.order.id}`, {
				headers: { cookie: `oja_order_${first.order.id}=${first.orderToken}` },
			}),
			404,
		);
		// The live socket: right token, other store's slug.
		await problemOf(
			await gateway(`/v1/storefront/${other.m.slug}/orders/${first.order.id}/live?token=${first.orderToken}`, {
				headers: { upgrade: "websocket" },
			}),
			404,
		);
		// Store B's staff cannot read or move store A's order, even through their own store id.
		await problemOf(await asMerchant(other.m, "GET", `/v1/stores/${other.m.storeId}/orders/${first.order.id}`), 404);
		await problemOf(
			await asMerchant(other.m, "POST", `/v1/stores/${other.m.storeId}/orders/${first.order.id}/cancel`, { reason: "x" }),
			404,
		);
	});
});

describe("money", () => {
	it("a fixed discount larger than the subtotal takes the subtotal to zero, never below; delivery is still charged", async () => {
		const [a] = shop.variants as [string];
		await jsonOf(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/discounts`, {
				code: "HUGE",
				kind: "fixed",
				amountOffMinor: MAX_PRICE,
			}),
			201,
		);
		const cart = await cartWith(shop.m.slug, [[a, 1]]);
		const applied = await jsonOf<CartBody>(
			await postJson(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/discount`, { code: "HUGE" }),
		);
		expect(applied.totalMinor).toBe(0);
		const placed = await jsonOf<CheckoutBody>(
			await checkout(
				shop.m.slug,
				cart.id,
				checkoutBody(shop, {
					deliveryOptionId: shop.delivery,
					paymentMethod: "online",
					shippingAddress: { address: "1 Broad St", city: "Lagos Island", state: "Lagos" },
				}),
			),
			201,
		);
		expect(placed.order).toMatchObject({
			subtotalMinor: 100_000,
			discountMinor: 100_000,
			deliveryMinor: 150_000,
			totalMinor: 150_000,
		});
	});

	it("charges the database price, not the price the cart was built with", async () => {
		const [, b] = shop.variants as [string, string];
		const cart = await cartWith(shop.m.slug, [[b, 2]]);
		await testDb().execute(sql`UPDATE variants SET price_minor = 250000 WHERE id = ${b}`);
		const placed = await jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
		expect(placed.order).toMatchObject({ subtotalMinor: 500_000, totalMinor: 500_000 });
		expect(placed.order.lines[0]?.unitPriceMinor).toBe(250_000);
		await testDb().execute(sql`UPDATE variants SET price_minor = 200000 WHERE id = ${b}`);
	});

	it("the largest order the contracts allow is exact (999 units at the top price plus the top fee)", async () => {
		const big = await openShop([999, 999], [MAX_PRICE, MAX_PRICE]);
		await testDb().execute(sql`UPDATE delivery_options SET fee_minor = ${MAX_PRICE} WHERE id = ${big.delivery}`);
		const placed = await place(
			big,
			big.variants.map((v) => [v, 999] as [string, number]),
			{
				deliveryOptionId: big.delivery,
				paymentMethod: "online",
				shippingAddress: { address: "1 Broad St", city: "Ikeja", state: "Lagos" },
			},
		);
		const subtotal = 2 * 999 * MAX_PRICE;
		expect(placed.order).toMatchObject({ subtotalMinor: subtotal, deliveryMinor: MAX_PRICE, totalMinor: subtotal + MAX_PRICE });
		// Pay on delivery's cap is checked against that total.
		const cart = await cartWith(shop.m.slug, [[shop.variants[3] as string, 20]]);
		const before = await writes();
		await problemOf(
			await checkout(
				shop.m.slug,
				cart.id,
				checkoutBody(shop, {
					deliveryOptionId: shop.deliveryPod,
					shippingAddress: { address: "1 Broad St", city: "Ikeja", state: "Lagos" },
				}),
			),
			422,
		);
		expect(await writes()).toEqual(before);
	});
});

describe("idempotency keys", () => {
	it("one key on two carts makes two orders: a replay never hands over another shopper's order", async () => {
		const [a] = shop.variants as [string];
		const key = "shared-key-0001";
		const mine = await cartWith(shop.m.slug, [[a, 1]]);
		const theirs = await cartWith(shop.m.slug, [[a, 1]]);
		const first = await jsonOf<CheckoutBody>(await checkout(shop.m.slug, mine.id, checkoutBody(shop), key), 201);
		const second = await checkout(shop.m.slug, theirs.id, checkoutBody(shop), key);
		expect(second.headers.get("idempotent-replayed")).toBeNull();
		const placed = await jsonOf<CheckoutBody>(second, 201);
		expect(placed.order.id).not.toBe(first.order.id);
		expect(placed.orderToken).not.toBe(first.orderToken);
	});

	it("refuses keys that are too long or not printable ASCII, before writing anything", async () => {
		const [a] = shop.variants as [string];
		const cart = await cartWith(shop.m.slug, [[a, 1]]);
		const before = await writes();
		await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop), "k".repeat(101)), 422);
		await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop), "short"), 422);
		await problemOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop), "clé-de-commande-1"), 422);
		expect(await writes()).toEqual(before);
	});
});

describe("text Postgres cannot store", () => {
	it("NUL and lone surrogates in names, notes and addresses are a 422 naming the field, writing nothing", async () => {
		const [a] = shop.variants as [string];
		const cart = await cartWith(shop.m.slug, [[a, 1]]);
		const before = await writes();
		const address = { address: "1 Broad St", city: "Ikeja", state: "Lagos" };
		for (const [field, value] of [
			["name", "Chi\u0000oma"],
			["name", "Chi\ud800oma"],
			["note", "leave at \udc00 gate"],
		] as const) {
			const res = await checkout(shop.m.slug, cart.id, checkoutBody(shop, { [field]: value }));
			expect((await problemOf(res, 422)).errors?.[0]?.path).toBe(field);
		}
		const bad = await checkout(
			shop.m.slug,
			cart.id,
			checkoutBody(shop, { deliveryOptionId: shop.delivery, shippingAddress: { ...address, city: "Ike\u0000ja" } }),
		);
		expect((await problemOf(bad, 422)).errors?.[0]?.path).toBe("shippingAddress.city");
		expect(await writes()).toEqual(before);
	});
});

describe("races between merchant commands", () => {
	it("two fulfilments finishing the last two lines at once leave the order fulfilled, or refuse one", async () => {
		const [a, b, c] = shop.variants as [string, string, string];
		const placed = await place(shop, [
			[a, 1],
			[b, 1],
			[c, 1],
		]);
		const path = `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/fulfilments`;
		const lineOf = (v: string) => placed.order.lines.find((l) => l.variantId === v)?.id as string;
		await jsonOf(await asMerchant(shop.m, "POST", path, { lines: [{ lineId: lineOf(a), quantity: 1 }] }), 201);
		const results = await Promise.all([
			asMerchant(shop.m, "POST", path, { lines: [{ lineId: lineOf(b), quantity: 1 }] }),
			asMerchant(shop.m, "POST", path, { lines: [{ lineId: lineOf(c), quantity: 1 }] }),
		]);
		const statuses = results.map((r) => r.status).sort();
		expect(statuses[0]).toBe(201);
		expect([201, 409]).toContain(statuses[1]);
		const order = await jsonOf<OrderBody>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}`),
		);
		const allDone = order.lines.every((l) => l.fulfilledQuantity === l.quantity);
		expect(order.fulfilmentStatus).toBe(allDone ? "fulfilled" : "partially_fulfilled");
	});
});

describe("caches", () => {
	it("responses carrying a shopper's order token or cart are never stored by shared caches", async () => {
		const [a] = shop.variants as [string];
		const cart = await newCart(shop.m.slug);
		await jsonOf(await addLine(shop.m.slug, cart.id, a, 1), 201);
		const read = await gateway(`/v1/storefront/${shop.m.slug}/carts/${cart.id}`);
		expect(read.status).toBe(200);
		expect(read.headers.get("cache-control")).toContain("no-store");
		const res = await checkout(shop.m.slug, cart.id, checkoutBody(shop));
		expect(res.status).toBe(201);
		expect(res.headers.get("cache-control")).toContain("no-store");
		const placed = (await res.json()) as CheckoutBody;
		const order = await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken);
		expect(order.status).toBe(200);
		expect(order.headers.get("cache-control")).toContain("no-store");
	});
});

describe("a shopper's account", () => {
	it("signing up with someone else's email (unverified) shows none of their orders, past or future", async () => {
		const victim = `victim-${crypto.randomUUID()}@example.com`;
		const past = await place(shop, [[shop.variants[0] as string, 1]], {
			email: victim,
			deliveryOptionId: shop.delivery,
			shippingAddress: { address: "4 Quiet Close", city: "Ikeja", state: "Lagos" },
			paymentMethod: "online",
		});
		const attacker = await jsonOf<{ accessToken: string }>(
			await postJson(`/v1/storefront/${shop.m.slug}/account/signup`, {
				email: victim,
				password: "correct horse battery",
				name: "Not The Victim",
			}),
			201,
		);
		const future = await place(shop, [[shop.variants[0] as string, 1]], { email: victim });
		const res = await shopperGet(`/v1/storefront/${shop.m.slug}/account/orders`, attacker.accessToken);
		const seen = res.ok ? ((await res.json()) as { items: OrderBody[] }).items.map((o) => o.id) : [];
		if (!res.ok) expect((await problemOf(res, 403)).code).toBe("email-unverified");
		expect(seen).not.toContain(past.order.id);
		expect(seen).not.toContain(future.order.id);
		// Once the email is verified, its orders are the shopper's.
		await testDb().execute(sql`UPDATE customers SET email_verified_at = now() WHERE email = ${victim}`);
		const mine = await jsonOf<{ items: OrderBody[] }>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/account/orders`, attacker.accessToken),
		);
		expect(mine.items.map((o) => o.id).sort()).toEqual([past.order.id, future.order.id].sort());
	});
});

describe("discount limits", () => {
	it("a once-per-customer code cannot be reused by changing or dropping the email: the phone counts too", async () => {
		await jsonOf(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/discounts`, {
				code: "FIRSTONLY",
				kind: "percentage",
				percentOff: 50,
				perCustomerLimit: 1,
			}),
			201,
		);
		const use = async (details: Record<string, unknown>) => {
			const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
			await jsonOf(await postJson(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/discount`, { code: "firstonly" }));
			return checkout(shop.m.slug, cart.id, checkoutBody(shop, details));
		};
		await jsonOf(await use({ email: "ada@example.com", phone: "0809 555 0001" }), 201);
		const before = await writes();
		const newEmail = await problemOf(await use({ email: "ada+2@example.com", phone: "0809 555 0001" }), 409);
		expect(newEmail.code).toBe("discount-customer-limit");
		const noEmail = await problemOf(await use({ email: undefined, phone: "+2348095550001" }), 409);
		expect(noEmail.code).toBe("discount-customer-limit");
		const newPhone = await problemOf(await use({ email: "ada@example.com", phone: "0809 555 0002" }), 409);
		expect(newPhone.code).toBe("discount-customer-limit");
		expect(await writes()).toEqual(before);
		// Someone else entirely can still use it.
		await jsonOf(await use({ email: "bola@example.com", phone: "0809 555 0003" }), 201);
	});
});

describe("what a shopper's order shows", () => {
	it("the timeline names no staff member or API key: their ids are the merchant's business", async () => {
		const placed = await place(shop, [[shop.variants[0] as string, 1]]);
		await jsonOf(await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/fulfilments`, {}), 201);
		const staffView = await jsonOf<OrderBody>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}`),
		);
		expect(staffView.timeline?.some((t) => /^(usr|key)_/.test(t.actor))).toBe(true);
		const mine = await jsonOf<OrderBody>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken),
		);
		const actors = new Set(mine.timeline?.map((t) => t.actor));
		expect([...actors].sort()).toEqual(["merchant", "shopper"]);
	});
});

describe("races on one order", () => {
	it("cancel, fulfil and cash collected at once: one consistent outcome, stock balanced", async () => {
		for (let round = 0; round < 3; round++) {
			const [a, b] = shop.variants as [string, string];
			const placed = await place(shop, [
				[a, 2],
				[b, 1],
			]);
			const path = (rest: string) => `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}${rest}`;
			const [cancel, fulfil, collect] = await Promise.all([
				asMerchant(shop.m, "POST", path("/cancel"), { reason: "changed mind" }),
				asMerchant(shop.m, "POST", path("/fulfilments"), {}),
				asMerchant(shop.m, "POST", path("/payment-collected")),
			]);
			for (const res of [cancel, fulfil, collect]) expect([200, 201, 409]).toContain(res.status);
			// Cancelling and fulfilling exclude each other.
			expect(cancel.ok && fulfil.ok).toBe(false);
			const order = await jsonOf<OrderBody>(await asMerchant(shop.m, "GET", path("")));
			const fulfilled = order.lines.every((l) => l.fulfilledQuantity === l.quantity);
			const none = order.lines.every((l) => l.fulfilledQuantity === 0);
			expect(order.fulfilmentStatus).toBe(fulfilled ? "fulfilled" : none ? "unfulfilled" : "partially_fulfilled");
			if (order.status === "cancelled") expect(none).toBe(true);
			if (order.status === "completed") expect([fulfilled, order.paymentStatus]).toEqual([true, "paid"]);
			const held = await testDb().execute<{ variant_id: string; reserved: number; held: string }>(sql`
				SELECT i.variant_id, i.reserved, coalesce((SELECT sum(ol.reserved_quantity) FROM order_lines ol
					JOIN orders o ON o.id = ol.order_id
					WHERE ol.variant_id = i.variant_id AND o.status IN ('pending_payment', 'open')), 0) AS held
				FROM inventory i WHERE i.store_id = ${shop.m.storeId}`);
			for (const row of held.rows) expect(Number(row.reserved)).toBe(Number(row.held));
		}
	});
});
