import { env } from "cloudflare:workers";
import { listVersionKey, productVersionKey } from "@oja/contracts";
import { eventually, jsonOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { cartWith, checkout, checkoutBody, openShop, type Shop } from "./commerce-fixtures.ts";

// A rush must not turn the storefront cold: a reservation invalidates cached listings and the
// product page only when what a shopper sees changes (in stock → low → sold out), not on every
// order.

const versions = (env as unknown as { STOREFRONT_VERSIONS: KVNamespace }).STOREFRONT_VERSIONS;
const ops = (env as unknown as { OPS: { relayOutbox(): Promise<{ published: number }> } }).OPS;

let shop: Shop;

beforeAll(async () => {
	// 8 in stock: "low" is 5 or fewer.
	shop = await openShop([8]);
	await eventually(async () => ((await versions.get(listVersionKey(shop.m.slug))) ? true : undefined));
});

/** Publishes everything, then waits until the cache consumer has handled it. */
async function settle(): Promise<void> {
	await ops.relayOutbox();
	await eventually(async () => {
		const pending = await testDb().execute<{ n: string }>(sql`
			SELECT count(*) AS n FROM outbox o WHERE o.type LIKE 'inventory.%' AND NOT EXISTS (
				SELECT 1 FROM processed_messages p WHERE p.event_id = o.id AND p.consumer = 'ops.event-log')`);
		return Number(pending.rows[0]?.n) === 0 ? true : undefined;
	});
	// The cache consumer runs beside the event log; give its KV writes a moment.
	await new Promise((r) => setTimeout(r, 1500));
}

describe("checkout and the storefront cache", () => {
	it("an order that leaves the label unchanged invalidates nothing; one that crosses it does", async () => {
		const product = shop.products[0]?.handle as string;
		await settle();
		const list = await versions.get(listVersionKey(shop.m.slug));
		const page = await versions.get(productVersionKey(shop.m.slug, product));
		// 8 → 7: still "in stock".
		const one = await cartWith(shop.m.slug, [[shop.variants[0] as string, 1]]);
		await jsonOf(await checkout(shop.m.slug, one.id, checkoutBody(shop)), 201);
		await settle();
		expect(await versions.get(listVersionKey(shop.m.slug))).toBe(list);
		expect(await versions.get(productVersionKey(shop.m.slug, product))).toBe(page);
		// 7 → 5: now "low", which shoppers see.
		const two = await cartWith(shop.m.slug, [[shop.variants[0] as string, 2]]);
		await jsonOf(await checkout(shop.m.slug, two.id, checkoutBody(shop)), 201);
		await settle();
		expect(await versions.get(listVersionKey(shop.m.slug))).not.toBe(list);
		expect(await versions.get(productVersionKey(shop.m.slug, product))).not.toBe(page);
	});
});
