import { gateway, jsonOf, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { cartWith, checkout, checkoutBody, openShop, type Shop } from "./commerce-fixtures.ts";

// Idle carts are deleted by their Durable Object's alarm (CART_IDLE_SECONDS is 2 in this file,
// 7 days by default). A cart whose shopper left a contact at checkout and never ordered is
// reported once as cart.abandoned for the messaging issue's reminder.

let shop: Shop;

beforeAll(async () => {
	shop = await openShop([5, 0]);
});

async function abandonedEvents(cartId: string): Promise<{ email: string | null; phone: string | null; itemCount: number }[]> {
	const result = await testDb().execute<{ payload: { email: string | null; phone: string | null; itemCount: number } }>(
		sql`SELECT payload FROM outbox WHERE type = 'cart.abandoned' AND aggregate_id = ${cartId}`,
	);
	return result.rows.map((r) => r.payload);
}

async function gone(cartId: string): Promise<void> {
	const deadline = Date.now() + 15_000;
	for (;;) {
		const res = await gateway(`/v1/storefront/${shop.m.slug}/carts/${cartId}`);
		await res.body?.cancel();
		if (res.status === 404) return;
		if (Date.now() > deadline) throw new Error(`cart ${cartId} still there (${res.status})`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

describe("abandoned carts", () => {
	it("a cart with a contact from a failed checkout is reported once, then deleted", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 2]]);
		// The checkout is refused (no such delivery option), after the shopper gave their details.
		await problemOf(
			await checkout(shop.m.slug, cart.id, checkoutBody(shop, { deliveryOptionId: "dlv_01JB0000000000000000000000" })),
			422,
		);
		await gone(cart.id);
		const events = await abandonedEvents(cart.id);
		expect(events).toEqual([expect.objectContaining({ email: "chioma@example.com", phone: "+2348031234567", itemCount: 2 })]);
	});

	it("a cart without a contact is deleted silently", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
		await gone(cart.id);
		expect(await abandonedEvents(cart.id)).toEqual([]);
	});

	it("a checked-out cart is not abandoned", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
		await jsonOf(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
		await gone(cart.id);
		expect(await abandonedEvents(cart.id)).toEqual([]);
	});

	it("activity postpones the alarm", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
		for (let i = 0; i < 4; i++) {
			await new Promise((r) => setTimeout(r, 1000));
			const touched = await gateway(`/v1/storefront/${shop.m.slug}/carts/${cart.id}/lines`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ variantId: shop.variants[0], quantity: 1 }),
			});
			expect(touched.status).toBe(201);
			await touched.body?.cancel();
		}
	});
});
