import { jsonOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type CartBody, cartWith, checkout, checkoutBody, openShop, type Shop, stockOf } from "./commerce-fixtures.ts";

// The rush: 200 shoppers check out 200 different carts for one variant with 10 in stock, all
// at once. Against real PostgreSQL (CI's second run) the checkouts truly race on the inventory
// row; the conditional reservation must let exactly ten through and refuse the rest cleanly.

const SHOPPERS = 200;
const STOCK = 10;

let shop: Shop;
let carts: CartBody[];

beforeAll(async () => {
	shop = await openShop([STOCK]);
	const variant = shop.variants[0] as string;
	carts = [];
	// Carts are filled a few at a time (setup, not the race).
	for (let i = 0; i < SHOPPERS; i += 20) {
		carts.push(...(await Promise.all(Array.from({ length: 20 }, () => cartWith(shop.m.slug, [[variant, 1]])))));
	}
}, 120_000);

describe("a rush on the last ten", () => {
	it("sells exactly the stock: 10 orders, 190 clean 409s, nothing oversold, no 5xx", async () => {
		const variant = shop.variants[0] as string;
		const responses = await Promise.all(
			carts.map((cart, i) => checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: `rush-${i}@example.com` }))),
		);
		const statuses = responses.map((r) => r.status);
		const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ code?: string; order?: { id: string } }>));
		expect(statuses.filter((s) => s >= 500)).toEqual([]);
		expect(statuses.filter((s) => s === 201)).toHaveLength(STOCK);
		expect(statuses.filter((s) => s === 409)).toHaveLength(SHOPPERS - STOCK);
		for (const [i, body] of bodies.entries()) {
			if (statuses[i] === 409) expect(body.code).toBe("insufficient-stock");
		}
		expect(await stockOf(variant)).toEqual({ onHand: STOCK, reserved: STOCK });
		const orders = await testDb().execute<{ n: string; units: string }>(sql`
			SELECT count(DISTINCT o.id) AS n, coalesce(sum(ol.quantity), 0) AS units
			FROM orders o JOIN order_lines ol ON ol.order_id = o.id WHERE o.store_id = ${shop.m.storeId}`);
		expect(Number(orders.rows[0]?.n)).toBe(STOCK);
		expect(Number(orders.rows[0]?.units)).toBe(STOCK);
		// Order numbers are unique (gaps are allowed).
		const numbers = await testDb().execute<{ n: string; distinct: string }>(
			sql`SELECT count(*) AS n, count(DISTINCT number) AS distinct FROM orders WHERE store_id = ${shop.m.storeId}`,
		);
		expect(numbers.rows[0]?.n).toBe(numbers.rows[0]?.distinct);
	}, 120_000);
});

// A store's first orders create its order-number sequence (migration 0028). Carts for different
// variants lock different inventory rows, so against PostgreSQL these checkouts reach the
// numbering together: every one must succeed and draw from the one sequence.
describe("a new store's first orders, all at once", () => {
	it("numbers them 1001 upwards, each once, none refused", async () => {
		const fresh = await openShop(Array.from({ length: 10 }, () => 5));
		const carts = await Promise.all(fresh.variants.map((variant) => cartWith(fresh.m.slug, [[variant, 1]])));
		const responses = await Promise.all(carts.map((cart) => checkout(fresh.m.slug, cart.id, checkoutBody(fresh))));
		const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ order?: { number: number } }>));
		expect(responses.map((r) => r.status)).toEqual(carts.map(() => 201));
		const numbers = bodies.map((b) => b.order?.number ?? 0).sort((a, b) => a - b);
		expect(numbers).toEqual(Array.from({ length: 10 }, (_, i) => 1001 + i));

		// The commerce Worker from before migration 0028, still running while it deploys, numbers
		// orders by upserting the counter row: a trigger makes that draw from the same sequence.
		const legacy = await testDb().execute<{ last_number: number }>(sql`
			INSERT INTO store_order_counters (store_id, last_number) VALUES (${fresh.m.storeId}, 1001)
			ON CONFLICT (store_id) DO UPDATE SET last_number = store_order_counters.last_number + 1
			RETURNING last_number`);
		const drawn = Number(legacy.rows[0]?.last_number);
		expect(drawn).toBeGreaterThan(1010);
		const next = await cartWith(fresh.m.slug, [[fresh.variants[0] as string, 1]]);
		const placed = await jsonOf<{ order: { number: number } }>(await checkout(fresh.m.slug, next.id, checkoutBody(fresh)), 201);
		expect(placed.order.number).toBeGreaterThan(drawn);
	}, 120_000);
});
