import { schema } from "@oja/db";
import { asMerchant as as, gateway, signUpMerchant as merchant, problemOf, type TestMerchant, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Catalog slice: merchant product CRUD with variants and stock, inventory changes that
// never go below reserved, storefront visibility, tenant isolation.

type Merchant = TestMerchant;

const ankara = {
	title: "Ankara Wrap Dress",
	description: "Hand-finished cotton wax print.",
	status: "active",
	tags: ["dresses", "ankara"],
	images: [{ url: "https://cdn.example.com/ankara.jpg", alt: "Blue ankara wrap dress" }],
	options: [{ name: "Size", values: ["S", "M"] }],
	variants: [
		{ sku: "ANK-S", optionValues: ["S"], priceMinor: 1_500_000, compareAtMinor: 1_800_000, inventory: { onHand: 3 } },
		{ sku: "ANK-M", optionValues: ["M"], priceMinor: 1_500_000, inventory: { onHand: 20 } },
	],
};

interface ProductBody {
	id: string;
	handle: string;
	status: string;
	variants: { id: string; sku: string; priceMinor: number; currency: string; inventory: { onHand: number; available: number } }[];
}

let a: Merchant;
let b: Merchant;

beforeAll(async () => {
	[a, b] = await Promise.all([merchant(), merchant()]);
});

describe("merchant catalog API", () => {
	it("creates a product with variants, prices in minor units of the store currency and opening stock", async () => {
		const res = await as(a, "POST", `/v1/stores/${a.storeId}/products`, ankara);
		const product = (await res.json()) as ProductBody;
		expect(res.status, JSON.stringify(product)).toBe(201);
		expect(product.handle).toBe("ankara-wrap-dress");
		expect(product.variants.map((v) => [v.sku, v.priceMinor, v.currency, v.inventory.onHand])).toEqual([
			["ANK-S", 1_500_000, "NGN", 3],
			["ANK-M", 1_500_000, "NGN", 20],
		]);
		const fetched = (await (await as(a, "GET", `/v1/stores/${a.storeId}/products/${product.id}`)).json()) as ProductBody;
		expect(fetched).toEqual(product);
		const history = await testDb()
			.select()
			.from(schema.inventoryAdjustments)
			.where(eq(schema.inventoryAdjustments.storeId, a.storeId));
		expect(history.map((h) => h.delta).sort((x, y) => x - y)).toEqual([3, 20]);
		const events = await testDb().select().from(schema.outbox).where(eq(schema.outbox.aggregateId, product.id));
		expect(events.map((e) => e.type)).toEqual(["catalog.product.created"]);
	});

	const invalid: [string, (p: typeof ankara) => unknown, string][] = [
		["a negative price", (p) => ({ ...p, variants: [{ ...p.variants[0], priceMinor: -1 }] }), "variants.0.priceMinor"],
		["a fractional price", (p) => ({ ...p, variants: [{ ...p.variants[0], priceMinor: 10.5 }] }), "variants.0.priceMinor"],
		["HTML in the title", (p) => ({ ...p, title: "<script>x</script>" }), "title"],
		["a too-long title", (p) => ({ ...p, title: "x".repeat(201) }), "title"],
		[
			"a duplicate SKU in one product",
			(p) => ({ ...p, variants: [p.variants[0], { ...p.variants[1], sku: "ANK-S" }] }),
			"variants.1.sku",
		],
		[
			"an unknown option value",
			(p) => ({ ...p, variants: [{ ...p.variants[0], optionValues: ["XXL"] }] }),
			"variants.0.optionValues.0",
		],
		["a non-https image", (p) => ({ ...p, images: [{ url: "http://x.test/a.jpg", alt: "" }] }), "images.0.url"],
		["no variants", (p) => ({ ...p, variants: [] }), "variants"],
		[
			"a currency field (prices use the store's)",
			(p) => ({ ...p, variants: [{ ...p.variants[0], currency: "USD" }] }),
			"variants.0",
		],
	];
	for (const [what, make, path] of invalid) {
		it(`rejects ${what} with 422 and writes nothing`, async () => {
			const before = await testDb().select().from(schema.products).where(eq(schema.products.storeId, a.storeId));
			const problem = await problemOf(await as(a, "POST", `/v1/stores/${a.storeId}/products`, make(ankara)), 422);
			expect(problem.errors?.map((e) => e.path)).toContain(path);
			expect(await testDb().select().from(schema.products).where(eq(schema.products.storeId, a.storeId))).toHaveLength(
				before.length,
			);
		});
	}

	it("answers 409 for a handle or SKU already used in the store, writing nothing", async () => {
		const m = await merchant();
		expect((await as(m, "POST", `/v1/stores/${m.storeId}/products`, ankara)).status).toBe(201);
		const sameHandle = await problemOf(
			await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
				...ankara,
				variants: [
					{ ...ankara.variants[0], sku: "NEW-1" },
					{ ...ankara.variants[1], sku: "NEW-2" },
				],
			}),
			409,
		);
		expect(sameHandle.errors?.[0]?.path).toBe("handle");
		const sameSku = await problemOf(
			await as(m, "POST", `/v1/stores/${m.storeId}/products`, { ...ankara, handle: "other-handle" }),
			409,
		);
		expect(sameSku.errors?.[0]?.path).toBe("variants");
		const rows = await testDb().select().from(schema.products).where(eq(schema.products.storeId, m.storeId));
		expect(rows).toHaveLength(1);
		// Another store may use the same handle and SKUs.
		const other = await merchant();
		expect((await as(other, "POST", `/v1/stores/${other.storeId}/products`, ankara)).status).toBe(201);
	});

	it("lists with cursor pagination and filters, updates and deletes", async () => {
		const m = await merchant();
		for (let i = 0; i < 5; i++) {
			await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
				title: `Item ${i}`,
				status: i % 2 === 0 ? "active" : "draft",
				variants: [{ sku: `I-${i}`, priceMinor: 1000 * (i + 1) }],
			});
		}
		const page1 = (await (await as(m, "GET", `/v1/stores/${m.storeId}/products?limit=2`)).json()) as {
			items: ProductBody[];
			nextCursor: string;
		};
		expect(page1.items).toHaveLength(2);
		const page2 = (await (await as(m, "GET", `/v1/stores/${m.storeId}/products?limit=2&cursor=${page1.nextCursor}`)).json()) as {
			items: ProductBody[];
			nextCursor: string | null;
		};
		const page3 = (await (await as(m, "GET", `/v1/stores/${m.storeId}/products?limit=2&cursor=${page2.nextCursor}`)).json()) as {
			items: ProductBody[];
			nextCursor: string | null;
		};
		const all = [...page1.items, ...page2.items, ...page3.items].map((p) => p.handle);
		expect(new Set(all).size).toBe(5);
		expect(page3.nextCursor).toBeNull();
		const drafts = (await (await as(m, "GET", `/v1/stores/${m.storeId}/products?status=draft`)).json()) as {
			items: ProductBody[];
		};
		expect(drafts.items.every((p) => p.status === "draft")).toBe(true);
		expect(drafts.items).toHaveLength(2);

		const target = page1.items[0] as ProductBody;
		const patched = await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${target.id}`, {
			title: "Renamed",
			status: "archived",
		});
		expect(((await patched.json()) as { title: string }).title).toBe("Renamed");
		await problemOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${target.id}`, {}), 422);
		expect((await as(m, "DELETE", `/v1/stores/${m.storeId}/products/${target.id}`)).status).toBe(204);
		await problemOf(await as(m, "GET", `/v1/stores/${m.storeId}/products/${target.id}`), 404);
	});

	it("keeps stores apart: B cannot read, change or stock A's products", async () => {
		const created = (await (
			await as(a, "POST", `/v1/stores/${a.storeId}/products`, {
				...ankara,
				handle: "isolation",
				variants: [{ sku: "ISO-1", optionValues: ["S"], priceMinor: 100 }],
			})
		).json()) as ProductBody;
		const variantId = created.variants[0]?.id;
		await problemOf(await as(b, "GET", `/v1/stores/${a.storeId}/products/${created.id}`), 404);
		// Even on B's own store path, A's ids resolve to nothing.
		await problemOf(await as(b, "GET", `/v1/stores/${b.storeId}/products/${created.id}`), 404);
		await problemOf(await as(b, "PATCH", `/v1/stores/${b.storeId}/products/${created.id}`, { title: "Stolen" }), 404);
		await problemOf(await as(b, "DELETE", `/v1/stores/${b.storeId}/products/${created.id}`), 404);
		await problemOf(await as(b, "PUT", `/v1/stores/${b.storeId}/inventory/${variantId}`, { onHand: 0 }), 404);
		const list = (await (await as(b, "GET", `/v1/stores/${b.storeId}/products`)).json()) as { items: ProductBody[] };
		expect(list.items.map((p) => p.id)).not.toContain(created.id);
		const still = (await (await as(a, "GET", `/v1/stores/${a.storeId}/products/${created.id}`)).json()) as { title: string };
		expect(still.title).toBe(ankara.title);
	});
});

describe("inventory", () => {
	it("sets and adjusts stock with history, never below what is reserved, and serialises concurrent changes", async () => {
		const created = (await (
			await as(a, "POST", `/v1/stores/${a.storeId}/products`, {
				title: "Stock test",
				variants: [{ sku: "STK-1", priceMinor: 500, inventory: { onHand: 10 } }],
			})
		).json()) as ProductBody;
		const variantId = created.variants[0]?.id as string;
		const set = await as(a, "PUT", `/v1/stores/${a.storeId}/inventory/${variantId}`, { onHand: 50 });
		expect(await set.json()).toEqual({ variantId, onHand: 50, reserved: 0, available: 50 });

		// 20 concurrent −3 adjustments against 50: 16 succeed, 4 are refused, none goes negative.
		const results = await Promise.all(
			Array.from({ length: 20 }, () =>
				as(a, "POST", `/v1/stores/${a.storeId}/inventory/${variantId}/adjustments`, { delta: -3, reason: "sold at market" }),
			),
		);
		const statuses = results.map((r) => r.status);
		expect(statuses.filter((s) => s === 201)).toHaveLength(16);
		expect(statuses.filter((s) => s === 409)).toHaveLength(4);
		const [level] = await testDb().select().from(schema.inventory).where(eq(schema.inventory.variantId, variantId));
		expect(level?.onHand).toBe(2);

		// Reserved stock (held by open orders) cannot be counted away.
		await testDb().update(schema.inventory).set({ reserved: 2 }).where(eq(schema.inventory.variantId, variantId));
		const refused = await problemOf(await as(a, "PUT", `/v1/stores/${a.storeId}/inventory/${variantId}`, { onHand: 1 }), 409);
		expect(refused.errors?.[0]?.path).toBe("onHand");
		await problemOf(
			await as(a, "POST", `/v1/stores/${a.storeId}/inventory/${variantId}/adjustments`, { delta: 0, reason: "x" }),
			422,
		);

		const history = await testDb()
			.select()
			.from(schema.inventoryAdjustments)
			.where(eq(schema.inventoryAdjustments.variantId, variantId));
		expect(history.reduce((sum, h) => sum + h.delta, 0)).toBe(2);
		const events = await testDb().select().from(schema.outbox).where(eq(schema.outbox.aggregateId, variantId));
		expect(events).toHaveLength(1 + 16);
	});
});

describe("storefront catalog", () => {
	it("shows active products only, with availability labels and no merchant-only fields", async () => {
		const m = await merchant();
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, ankara);
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title: "Secret Draft",
			status: "draft",
			variants: [{ priceMinor: 100 }],
		});
		const list = (await (await gateway(`/v1/storefront/${m.slug}/products`)).json()) as {
			items: { handle: string; variants: Record<string, unknown>[] }[];
		};
		expect(list.items.map((p) => p.handle)).toEqual(["ankara-wrap-dress"]);
		expect(list.items[0]?.variants.map((v) => v.availability)).toEqual(["low", "in_stock"]);
		expect(JSON.stringify(list)).not.toMatch(/onHand|reserved|"status"/);

		expect((await gateway(`/v1/storefront/${m.slug}/products/ankara-wrap-dress`)).status).toBe(200);
		await problemOf(await gateway(`/v1/storefront/${m.slug}/products/secret-draft`), 404);
		// Another store's product never appears under this store.
		await problemOf(await gateway(`/v1/storefront/${b.slug}/products/ankara-wrap-dress`), 404);
	});
});

describe("storefront search", () => {
	it("ranks title matches first, matches prefixes in any script, and never returns drafts or other stores' products", async () => {
		const m = await merchant();
		const add = (title: string, extra: Record<string, unknown> = {}) =>
			as(m, "POST", `/v1/stores/${m.storeId}/products`, { title, status: "active", variants: [{ priceMinor: 1000 }], ...extra });
		await add("Ankara Wrap Dress");
		await add("Plain Kaftan", { tags: ["ankara"] });
		await add("Leather Sandals", { description: "Pairs well with ankara prints." });
		await add("Ankara Draft", { status: "draft" });
		await add("Ọ̀fàdà Rice 5kg");
		const other = await merchant();
		await as(other, "POST", `/v1/stores/${other.storeId}/products`, {
			title: "Ankara Elsewhere",
			status: "active",
			variants: [{ priceMinor: 1 }],
		});

		const search = async (q: string) =>
			(
				(await (await gateway(`/v1/storefront/${m.slug}/search?q=${encodeURIComponent(q)}`)).json()) as {
					items: { title: string }[];
				}
			).items.map((p) => p.title);
		expect(await search("ankara")).toEqual(["Ankara Wrap Dress", "Plain Kaftan", "Leather Sandals"]);
		expect(await search("ank dre")).toEqual(["Ankara Wrap Dress"]);
		expect(await search("ọ̀fàdà")).toEqual(["Ọ̀fàdà Rice 5kg"]);
		expect(await search("5kg")).toEqual(["Ọ̀fàdà Rice 5kg"]);
		expect(await search("zzz")).toEqual([]);
		// tsquery syntax in the input is just text.
		expect(await search("ankara & !dress | (")).toEqual(["Ankara Wrap Dress"]);
		await problemOf(await gateway(`/v1/storefront/${m.slug}/search?q=`), 422);
	});

	it("answers 422 (never 500) to a query with nothing searchable in it", async () => {
		const m = await merchant();
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title: "Ankara Wrap Dress",
			status: "active",
			variants: [{ priceMinor: 1000 }],
		});
		await problemOf(await gateway(`/v1/storefront/${m.slug}/search`), 422);
		for (const q of ["!", "-", "  ", "🙂", "\u200b", "%00", "!!! --- ???"]) {
			const raw = q === "%00" ? q : encodeURIComponent(q);
			const body = await problemOf(await gateway(`/v1/storefront/${m.slug}/search?q=${raw}`), 422);
			expect(body.errors?.map((e) => e.path).join(), q).toMatch(/\bq\b/);
		}
	});
});
