import { env } from "cloudflare:workers";
import { listVersionKey, productVersionKey, storeVersionKey } from "@oja/contracts";
import { schema } from "@oja/db";
import {
	asMerchant as as,
	eventually,
	type FakeQueueMessage,
	fakeQueueBatch,
	fakeQueueMessage,
	gateway,
	jsonOf,
	signUpMerchant,
	type TestMerchant,
	testDb,
} from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { invalidateBatch } from "../../catalog/src/cache-invalidation.ts";

// The edge cache: hits, ETags, and invalidation through the outbox → queue → catalog
// consumer → KV version tokens, exactly for what changed.

interface ProductBody {
	id: string;
	handle: string;
	variants: { id: string; priceMinor: number }[];
}
interface StorefrontProductBody {
	handle: string;
	variants: { priceMinor: number; availability: string }[];
}

const versions = (env as unknown as { STOREFRONT_VERSIONS: KVNamespace }).STOREFRONT_VERSIONS;

let m: TestMerchant;
let dress: ProductBody;
let scarf: ProductBody;

async function create(title: string, priceMinor: number): Promise<ProductBody> {
	return jsonOf<ProductBody>(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title,
			status: "active",
			variants: [{ priceMinor, inventory: { onHand: 10 } }],
		}),
		201,
	);
}

/** Requests the path until the edge cache answers (its put runs after the response). */
async function cachedHit(path: string): Promise<Response> {
	return eventually(
		async () => {
			const res = await gateway(path);
			if (res.headers.get("x-cache") === "HIT") return res;
			await res.body?.cancel();
			return undefined;
		},
		5_000,
		`a cache hit for ${path}`,
	);
}

beforeAll(async () => {
	m = await signUpMerchant();
	dress = await create("Aso Oke Dress", 2_500_000);
	scarf = await create("Silk Scarf", 400_000);
	// Creating products bumps the listing version once the events are consumed; wait for it
	// so the tests below start from a settled state.
	await eventually(async () => ((await versions.get(productVersionKey(m.slug, scarf.handle))) ? true : undefined));
});

describe("edge cache", () => {
	it("serves repeats from the cache with an ETag, and 304 for If-None-Match", async () => {
		const path = `/v1/storefront/${m.slug}/products/${dress.handle}`;
		const first = await gateway(path);
		expect(first.status).toBe(200);
		const etag = first.headers.get("etag");
		expect(etag).toMatch(/^"[0-9a-f]{24}"$/);
		expect(first.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
		const body = await first.text();

		const hit = await cachedHit(path);
		expect(hit.headers.get("etag")).toBe(etag);
		expect(await hit.text()).toBe(body);

		const revalidated = await gateway(path, { headers: { "if-none-match": etag as string } });
		expect(revalidated.status).toBe(304);
		expect(await revalidated.text()).toBe("");
		expect((await gateway(path, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
	});

	it("a price change reaches the product page and listings, and leaves other products' pages cached", async () => {
		const dressPath = `/v1/storefront/${m.slug}/products/${dress.handle}`;
		const scarfPath = `/v1/storefront/${m.slug}/products/${scarf.handle}`;
		const listPath = `/v1/storefront/${m.slug}/products`;
		await cachedHit(dressPath);
		await cachedHit(scarfPath);
		await cachedHit(listPath);
		const scarfVersion = await versions.get(productVersionKey(m.slug, scarf.handle));
		const storeVersion = await versions.get(storeVersionKey(m.slug));

		const variantId = dress.variants[0]?.id as string;
		await jsonOf(
			await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${dress.id}/variants/${variantId}`, { priceMinor: 1_990_000 }),
		);

		// The consumer bumps the dress's and the listing's versions: the next reads miss and are fresh.
		const page = await eventually(async () => {
			const p = await jsonOf<StorefrontProductBody>(await gateway(dressPath));
			return p.variants[0]?.priceMinor === 1_990_000 ? p : undefined;
		});
		expect(page.handle).toBe(dress.handle);
		await eventually(async () => {
			const list = await jsonOf<{ items: StorefrontProductBody[] }>(await gateway(listPath));
			return list.items.find((p) => p.handle === dress.handle)?.variants[0]?.priceMinor === 1_990_000 ? true : undefined;
		});
		// Once fresh, never stale again: every later read agrees.
		for (let i = 0; i < 5; i++) {
			const p = await jsonOf<StorefrontProductBody>(await gateway(dressPath));
			expect(p.variants[0]?.priceMinor).toBe(1_990_000);
		}
		// Exactly what changed: the scarf's page and the store profile keep their versions (and copies).
		expect(await versions.get(productVersionKey(m.slug, scarf.handle))).toBe(scarfVersion);
		expect(await versions.get(storeVersionKey(m.slug))).toBe(storeVersion);
		expect((await gateway(scarfPath)).headers.get("x-cache")).toBe("HIT");
	});

	it("a stock change updates availability; a handle change serves the new URL and 404s the old", async () => {
		const variantId = scarf.variants[0]?.id as string;
		const path = `/v1/storefront/${m.slug}/products/${scarf.handle}`;
		await cachedHit(path);
		await jsonOf(await as(m, "PUT", `/v1/stores/${m.storeId}/inventory/${variantId}`, { onHand: 0 }));
		await eventually(async () => {
			const p = await jsonOf<StorefrontProductBody>(await gateway(path));
			return p.variants[0]?.availability === "sold_out" ? true : undefined;
		});

		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${scarf.id}`, { handle: "silk-scarf-blue" }));
		await eventually(async () => ((await gateway(path)).status === 404 ? true : undefined));
		expect((await gateway(`/v1/storefront/${m.slug}/products/silk-scarf-blue`)).status).toBe(200);
	});

	it("archiving removes a product from cached listings and search", async () => {
		const hat = await create("Fila Hat", 150_000);
		const searchPath = `/v1/storefront/${m.slug}/search?q=fila`;
		await eventually(async () => {
			const res = await jsonOf<{ items: StorefrontProductBody[] }>(await gateway(searchPath));
			return res.items.length === 1 ? true : undefined;
		});
		await cachedHit(searchPath);
		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${hat.id}`, { status: "archived" }));
		await eventually(async () => {
			const res = await jsonOf<{ items: StorefrontProductBody[] }>(await gateway(searchPath));
			return res.items.length === 0 ? true : undefined;
		});
	});

	it("store settings refresh the profile and every page that shows them", async () => {
		const profilePath = `/v1/storefront/${m.slug}`;
		await cachedHit(profilePath);
		const listBefore = await versions.get(listVersionKey(m.slug));
		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}`, { name: "Ada's Aso Oke" }));
		await eventually(async () => {
			const p = await jsonOf<{ name: string }>(await gateway(profilePath));
			return p.name === "Ada's Aso Oke" ? true : undefined;
		});
		// The listing token is untouched; listings miss anyway because every key carries the store token.
		expect(await versions.get(listVersionKey(m.slug))).toBe(listBefore);
	});

	it("never caches errors, and a rejected write changes nothing", async () => {
		const missing = `/v1/storefront/${m.slug}/products/no-such-thing`;
		expect((await gateway(missing)).status).toBe(404);
		expect((await gateway(missing)).headers.get("x-cache")).toBeNull();
		const before = await versions.get(listVersionKey(m.slug));
		const res = await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${dress.id}`, { title: "<i>x</i>" });
		expect(res.status).toBe(422);
		const events = await testDb().select().from(schema.outbox).where(eq(schema.outbox.aggregateId, dress.id));
		expect(events.filter((e) => e.type === "catalog.product.updated")).toHaveLength(1);
		expect(await versions.get(listVersionKey(m.slug))).toBe(before);
	});
});

describe("the invalidation consumer", () => {
	function fakeBatch(bodies: unknown[]): { batch: MessageBatch<unknown>; messages: FakeQueueMessage[] } {
		const messages = bodies.map((body, i) => fakeQueueMessage(body, `m${i}`));
		return { batch: fakeQueueBatch("oja-storefront-cache", messages), messages };
	}
	async function envelopesOf(storeId: string) {
		const rows = await testDb().select().from(schema.outbox).where(eq(schema.outbox.storeId, storeId));
		return rows
			.filter((r) => r.type.startsWith("catalog."))
			.map((r) => ({
				id: r.id,
				type: r.type,
				storeId: r.storeId,
				aggregateId: r.aggregateId,
				sequence: r.sequence,
				occurredAt: r.occurredAt.toISOString(),
				requestId: r.requestId,
				payload: r.payload,
			}));
	}

	it("writes each affected key once per batch, however many events name it", async () => {
		const shop = await signUpMerchant();
		const products: ProductBody[] = [];
		for (const title of ["One", "Two", "Three"]) {
			products.push(
				await jsonOf<ProductBody>(
					await as(shop, "POST", `/v1/stores/${shop.storeId}/products`, { title, variants: [{ priceMinor: 100 }] }),
					201,
				),
			);
		}
		const envelopes = await envelopesOf(shop.storeId);
		expect(envelopes).toHaveLength(3);
		const puts: string[] = [];
		const kv = { put: async (key: string) => void puts.push(key) } as unknown as KVNamespace;
		// Three product events, each delivered twice, plus one malformed message.
		const { batch, messages } = fakeBatch([...envelopes, ...envelopes, { nonsense: true }]);
		const result = await invalidateBatch(batch, { db: testDb(), kv, retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 } });
		expect(result).toEqual({ keys: 4, events: 6 });
		expect(puts.sort()).toEqual(
			[listVersionKey(shop.slug), ...products.map((p) => productVersionKey(shop.slug, p.handle))].sort(),
		);
		expect(messages.map((m) => m.outcome)).toEqual([...Array(6).fill("ack"), "retry"]);

		// KV refusing (e.g. its 1 write/s per key limit) retries the batch instead of losing it.
		const failing = { put: async () => Promise.reject(new Error("429 Too Many Requests")) } as unknown as KVNamespace;
		const again = fakeBatch(envelopes);
		await invalidateBatch(again.batch, { db: testDb(), kv: failing, retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 } });
		expect(again.messages.map((m) => m.outcome)).toEqual(["retry", "retry", "retry"]);
	});

	it("renaming a collection refreshes the navigation on cached product pages", async () => {
		const path = `/s/${m.slug}/products/${dress.handle}`;
		const collection = await jsonOf<{ id: string }>(
			await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Festive Picks", productIds: [dress.id] }),
			201,
		);
		await eventually(async () => ((await (await gateway(path)).text()).includes("Festive Picks") ? true : undefined));
		await cachedHit(path);
		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/collections/${collection.id}`, { title: "Sallah Picks" }));
		await eventually(async () => ((await (await gateway(path)).text()).includes("Sallah Picks") ? true : undefined));
	});
});
