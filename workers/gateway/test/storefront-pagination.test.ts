import { asMerchant as as, gateway, jsonOf, signUpMerchant, type TestMerchant } from "@oja/test-helpers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

// Keyset pagination as a property: for every sort order and page size, paging through a
// store's listing visits every active product exactly once, in order, even with many ties
// (equal prices, titles that differ only in case) and products that are not active.

interface Listing {
	items: { id: string; handle: string; title: string; variants: { priceMinor: number }[] }[];
	nextCursor: string | null;
}

const SORTS = ["newest", "price-asc", "price-desc", "title"] as const;

let m: TestMerchant;
const active = new Map<string, { title: string; minPrice: number }>();

beforeAll(async () => {
	m = await signUpMerchant();
	// Fixed, tie-heavy data: 4 distinct prices and 5 distinct titles (case varies) over 24 products.
	const titles = ["Kaftan", "kaftan", "Adire", "ADIRE", "Zobo"];
	for (let i = 0; i < 24; i++) {
		const prices = [1_000 * ((i % 4) + 1), 1_000 * ((i % 4) + 1) + (i % 3) * 500];
		const status = i % 7 === 3 ? "draft" : "active";
		const product = await jsonOf<{ id: string }>(
			await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
				title: titles[i % titles.length],
				handle: `p-${i}`,
				status,
				options: [{ name: "Size", values: ["S", "M"] }],
				variants: prices.map((priceMinor, k) => ({ priceMinor, optionValues: [k === 0 ? "S" : "M"] })),
			}),
			201,
		);
		if (status === "active")
			active.set(product.id, { title: titles[i % titles.length] as string, minPrice: Math.min(...prices) });
	}
});

async function pageThrough(sort: string, limit: number): Promise<Listing["items"]> {
	const seen: Listing["items"] = [];
	let cursor: string | null = null;
	for (let guard = 0; guard < 100; guard++) {
		const res: Listing = await jsonOf<Listing>(
			await gateway(`/v1/storefront/${m.slug}/products?sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`),
		);
		expect(res.items.length).toBeLessThanOrEqual(limit);
		seen.push(...res.items);
		cursor = res.nextCursor;
		if (!cursor) return seen;
	}
	throw new Error("pagination did not end");
}

describe("storefront pagination", () => {
	it("visits every active product exactly once, in order, for any sort and page size", async () => {
		await fc.assert(
			fc.asyncProperty(fc.constantFrom(...SORTS), fc.integer({ min: 1, max: 30 }), async (sort, limit) => {
				const items = await pageThrough(sort, limit);
				const ids = items.map((p) => p.id);
				expect(new Set(ids).size).toBe(ids.length);
				expect(new Set(ids)).toEqual(new Set(active.keys()));
				const minPrice = (p: Listing["items"][number]) => Math.min(...p.variants.map((v) => v.priceMinor));
				for (let i = 1; i < items.length; i++) {
					const [a, b] = [items[i - 1], items[i]] as [Listing["items"][number], Listing["items"][number]];
					if (sort === "newest") expect(a.id > b.id).toBe(true);
					if (sort === "price-asc") expect(minPrice(a) <= minPrice(b)).toBe(true);
					if (sort === "price-desc") expect(minPrice(a) >= minPrice(b)).toBe(true);
					if (sort === "title") expect(a.title.toLowerCase() <= b.title.toLowerCase()).toBe(true);
				}
			}),
			{ numRuns: 25 },
		);
	});
});
