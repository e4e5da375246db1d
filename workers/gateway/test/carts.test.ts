import { asMerchant, databaseWork, gateway, jsonOf, postJson, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { addLine, type CartBody, newCart, openShop, type Shop } from "./commerce-fixtures.ts";

// Carts in Durable Objects, through the gateway: lines, caps, prices, discounts, validation
// and isolation between stores.

let shop: Shop;
let other: Shop;

beforeAll(async () => {
	shop = await openShop([50, 3, 0]);
	other = await openShop([10]);
});

const path = (cartId: string, rest = "") => `/v1/storefront/${shop.m.slug}/carts/${cartId}${rest}`;

describe("carts", () => {
	it("creates an empty cart in the store's currency", async () => {
		const cart = await newCart(shop.m.slug);
		expect(cart.id).toMatch(/^cart_[0-9A-Z]{26}$/);
		expect(cart).toMatchObject({ currency: "NGN", status: "open", lines: [], subtotalMinor: 0, discountMinor: 0, totalMinor: 0 });
		expect(await jsonOf<CartBody>(await gateway(path(cart.id)))).toMatchObject({ id: cart.id, lines: [] });
	});

	it("adds lines, merges the same variant, and prices them", async () => {
		const cart = await newCart(shop.m.slug);
		const [a] = shop.variants as [string];
		let body = await jsonOf<CartBody>(await addLine(shop.m.slug, cart.id, a, 2), 201);
		expect(body.lines).toHaveLength(1);
		body = await jsonOf<CartBody>(await addLine(shop.m.slug, cart.id, a, 3), 201);
		expect(body.lines).toHaveLength(1);
		expect(body.lines[0]).toMatchObject({ variantId: a, quantity: 5, unitPriceMinor: 100_000, lineTotalMinor: 500_000 });
		expect(body.subtotalMinor).toBe(500_000);
		expect(body.totalMinor).toBe(500_000);
	});

	it("caps a line at what is available, refuses a sold-out variant by name", async () => {
		const cart = await newCart(shop.m.slug);
		const capped = await jsonOf<CartBody>(await addLine(shop.m.slug, cart.id, shop.variants[1] as string, 10), 201);
		expect(capped.lines[0]?.quantity).toBe(3);
		const line = capped.lines[0]?.id as string;
		const patched = await jsonOf<CartBody>(
			await gateway(path(cart.id, `/lines/${line}`), {
				method: "PATCH",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ quantity: 50 }),
			}),
		);
		expect(patched.lines[0]?.quantity).toBe(3);
		const soldOut = await problemOf(await addLine(shop.m.slug, cart.id, shop.variants[2] as string), 422);
		expect(soldOut.errors?.[0]).toMatchObject({ path: "variantId", code: "sold_out" });
	});

	it("refuses quantities outside 1–999 and unknown fields", async () => {
		const cart = await newCart(shop.m.slug);
		for (const quantity of [0, -1, 1.5, 1000, "2", null]) {
			await problemOf(await postJson(path(cart.id, "/lines"), { variantId: shop.variants[0], quantity }), 422);
		}
		await problemOf(await postJson(path(cart.id, "/lines"), { variantId: shop.variants[0], quantity: 1, priceMinor: 1 }), 422);
		await problemOf(await postJson(path(cart.id, "/lines"), { variantId: "var_nope", quantity: 1 }), 422);
		const body = await jsonOf<CartBody>(await gateway(path(cart.id)));
		expect(body.lines).toHaveLength(0);
	});

	it("refuses another store's variant, a draft product's variant and a deleted one, naming it", async () => {
		const cart = await newCart(shop.m.slug);
		const foreign = await problemOf(await addLine(shop.m.slug, cart.id, other.variants[0] as string), 422);
		expect(foreign.errors?.[0]).toMatchObject({ path: "variantId", code: "not_for_sale" });
		expect(foreign.errors?.[0]?.message).toContain(other.variants[0]);
		await jsonOf(
			await asMerchant(shop.m, "PATCH", `/v1/stores/${shop.m.storeId}/products/${shop.products[1]?.id}`, { status: "draft" }),
		);
		// The variant read is cached under the listing version; the product change bumps it.
		const draft = await eventuallyStatus(() => addLine(shop.m.slug, cart.id, shop.variants[1] as string), 422);
		expect(draft).toBe(422);
		await jsonOf(
			await asMerchant(shop.m, "PATCH", `/v1/stores/${shop.m.storeId}/products/${shop.products[1]?.id}`, { status: "active" }),
		);
	});

	it("a cart id is only found at its own store; edits to an unknown cart are 404", async () => {
		const cart = await newCart(shop.m.slug);
		await problemOf(await gateway(`/v1/storefront/${other.m.slug}/carts/${cart.id}`), 404);
		await problemOf(await addLine(other.m.slug, cart.id, other.variants[0] as string), 404);
		await problemOf(await gateway(path("cart_01JB0000000000000000000000")), 404);
		await problemOf(await gateway(path("not-a-cart")), 422);
		await problemOf(await gateway(`/v1/storefront/no-such-store/carts/${cart.id}`), 404);
	});

	it("removes lines and reports an unknown line as 404", async () => {
		const cart = await newCart(shop.m.slug);
		const body = await jsonOf<CartBody>(await addLine(shop.m.slug, cart.id, shop.variants[0] as string, 1), 201);
		const lineId = body.lines[0]?.id as string;
		const after = await jsonOf<CartBody>(await gateway(path(cart.id, `/lines/${lineId}`), { method: "DELETE" }));
		expect(after.lines).toHaveLength(0);
		await problemOf(await gateway(path(cart.id, `/lines/${lineId}`), { method: "DELETE" }), 404);
	});

	it("shows the price it will charge and says when it changed since the line was added", async () => {
		const cart = await newCart(shop.m.slug);
		const [a] = shop.variants as [string];
		await jsonOf(await addLine(shop.m.slug, cart.id, a, 1), 201);
		const product = shop.products[0]?.id as string;
		await jsonOf(
			await asMerchant(shop.m, "PATCH", `/v1/stores/${shop.m.storeId}/products/${product}/variants/${a}`, {
				priceMinor: 120_000,
			}),
		);
		const repriced = await eventuallyCart(cart.id, (c) => c.lines[0]?.unitPriceMinor === 120_000);
		expect(repriced.lines[0]).toMatchObject({ unitPriceMinor: 120_000, priceWhenAddedMinor: 100_000, priceChanged: true });
		expect(repriced.subtotalMinor).toBe(120_000);
		await jsonOf(
			await asMerchant(shop.m, "PATCH", `/v1/stores/${shop.m.storeId}/products/${product}/variants/${a}`, {
				priceMinor: 100_000,
			}),
		);
	});

	it("adding to a cart reads no SQL once the catalog cache is warm", async () => {
		const cart = await newCart(shop.m.slug);
		const [a] = shop.variants as [string];
		// Earlier tests' events may still be in flight (a consumer bumping the listing version
		// reads the database first); then one add warms the cache.
		await quietDatabase();
		await jsonOf(await addLine(shop.m.slug, cart.id, a, 1), 201);
		const before = await databaseWork();
		for (let i = 0; i < 5; i++) await jsonOf(await addLine(shop.m.slug, cart.id, a, 1), 201);
		const after = await databaseWork();
		expect(after.requests - before.requests).toBe(0);
	});

	it("applies a discount code the store has and refuses one it does not", async () => {
		await testDb().execute(sql`
			INSERT INTO discounts (id, store_id, code, kind, percent_off, currency, min_subtotal_minor)
			VALUES ('dsc_01JB000000000000000000CART', ${shop.m.storeId}, 'TENOFF', 'percentage', 10, 'NGN', 150000),
				('dsc_01JB000000000000000000OTHR', ${other.m.storeId}, 'THEIRS', 'percentage', 50, 'NGN', null)`);
		const cart = await newCart(shop.m.slug);
		await jsonOf(await addLine(shop.m.slug, cart.id, shop.variants[0] as string, 1), 201);
		const below = await jsonOf<CartBody>(await postJson(path(cart.id, "/discount"), { code: "tenoff" }));
		expect(below.discount).toMatchObject({ code: "TENOFF", applies: false, amountMinor: 0 });
		const applied = await jsonOf<CartBody>(await addLine(shop.m.slug, cart.id, shop.variants[0] as string, 1), 201);
		const tenth = Math.floor(applied.subtotalMinor / 10);
		expect(applied.discount).toMatchObject({ code: "TENOFF", applies: true, amountMinor: tenth });
		expect(applied.totalMinor).toBe(applied.subtotalMinor - tenth);
		const foreign = await problemOf(await postJson(path(cart.id, "/discount"), { code: "THEIRS" }), 422);
		expect(foreign.errors?.[0]?.path).toBe("code");
		await problemOf(await postJson(path(cart.id, "/discount"), { code: "x" }), 422);
		const removed = await jsonOf<CartBody>(await gateway(path(cart.id, "/discount"), { method: "DELETE" }));
		expect(removed.discount).toBeNull();
		expect(removed.totalMinor).toBe(applied.subtotalMinor);
	});
});

/**
 * The database work counter once it has stopped moving for 1.5 s: longer than the consumers'
 * batch window (1 s), so an earlier test's event waiting for its batch is not taken for quiet.
 */
async function quietDatabase(): Promise<{ requests: number }> {
	let last = await databaseWork();
	let quietFor = 0;
	for (let i = 0; i < 60 && quietFor < 3; i++) {
		await new Promise((r) => setTimeout(r, 500));
		const now = await databaseWork();
		quietFor = now.requests === last.requests ? quietFor + 1 : 0;
		last = now;
	}
	return last;
}

async function eventuallyStatus(request: () => Promise<Response>, status: number): Promise<number> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const res = await request();
		await res.body?.cancel();
		if (res.status === status || Date.now() > deadline) return res.status;
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function eventuallyCart(cartId: string, ok: (cart: CartBody) => boolean): Promise<CartBody> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const cart = await jsonOf<CartBody>(await gateway(path(cartId)));
		if (ok(cart) || Date.now() > deadline) return cart;
		await new Promise((r) => setTimeout(r, 100));
	}
}
