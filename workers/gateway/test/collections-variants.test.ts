import { schema } from "@oja/db";
import { asMerchant as as, gateway, jsonOf, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Variants on their own, manual collections with ordering, store profile settings, and how
// all three show on the storefront.

interface VariantBody {
	id: string;
	sku: string | null;
	title: string;
	optionValues: string[];
	priceMinor: number;
	compareAtMinor: number | null;
	inventory: { onHand: number; reserved: number; available: number };
}
interface ProductBody {
	id: string;
	handle: string;
	variants: VariantBody[];
}
interface StorefrontList {
	items: { handle: string; variants: { priceMinor: number; availability: string; available?: number }[] }[];
	nextCursor: string | null;
}

let a: TestMerchant;
let b: TestMerchant;

beforeAll(async () => {
	[a, b] = await Promise.all([signUpMerchant(), signUpMerchant()]);
});

async function product(m: TestMerchant, title: string, prices: number[], extra: Record<string, unknown> = {}) {
	return jsonOf<ProductBody>(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title,
			status: "active",
			options: prices.length > 1 ? [{ name: "Size", values: prices.map((_, i) => `S${i}`) }] : [],
			variants: prices.map((priceMinor, i) => ({
				priceMinor,
				optionValues: prices.length > 1 ? [`S${i}`] : [],
				inventory: { onHand: 10 },
			})),
			...extra,
		}),
		201,
	);
}

describe("variants", () => {
	it("adds, changes and removes variants, keeping option combinations, SKUs and prices valid", async () => {
		const shirt = await jsonOf<ProductBody>(
			await as(a, "POST", `/v1/stores/${a.storeId}/products`, {
				title: "Adire Shirt",
				options: [
					{ name: "Size", values: ["M", "L"] },
					{ name: "Colour", values: ["Indigo", "Rust"] },
				],
				variants: [{ sku: "ADR-M-IND", optionValues: ["M", "Indigo"], priceMinor: 900_000 }],
			}),
			201,
		);
		const base = `/v1/stores/${a.storeId}/products/${shirt.id}/variants`;

		const added = await jsonOf<VariantBody>(
			await as(a, "POST", base, {
				sku: "ADR-L-RUS",
				optionValues: ["L", "Rust"],
				priceMinor: 950_000,
				inventory: { onHand: 4 },
			}),
			201,
		);
		expect(added).toMatchObject({ title: "L / Rust", priceMinor: 950_000, inventory: { onHand: 4, available: 4 } });

		// Bad input: 422/409 and nothing written.
		const before = await testDb().select().from(schema.variants).where(eq(schema.variants.productId, shirt.id));
		const wrongValue = await problemOf(await as(a, "POST", base, { optionValues: ["XL", "Rust"], priceMinor: 1 }), 422);
		expect(wrongValue.errors?.[0]?.path).toBe("optionValues.0");
		await problemOf(await as(a, "POST", base, { optionValues: ["L"], priceMinor: 1 }), 422);
		const sameCombo = await problemOf(await as(a, "POST", base, { optionValues: ["L", "Rust"], priceMinor: 1 }), 409);
		expect(sameCombo.errors?.[0]?.path).toBe("optionValues");
		await problemOf(await as(a, "POST", base, { sku: "ADR-M-IND", optionValues: ["L", "Indigo"], priceMinor: 1 }), 409);
		await problemOf(await as(a, "POST", base, { optionValues: ["L", "Indigo"], priceMinor: -5 }), 422);
		await problemOf(await as(a, "POST", base, { optionValues: ["L", "Indigo"], priceMinor: 1.5 }), 422);
		expect(await testDb().select().from(schema.variants).where(eq(schema.variants.productId, shirt.id))).toHaveLength(
			before.length,
		);

		const patched = await jsonOf<VariantBody>(
			await as(a, "PATCH", `${base}/${added.id}`, { priceMinor: 800_000, compareAtMinor: 950_000 }),
		);
		expect([patched.priceMinor, patched.compareAtMinor]).toEqual([800_000, 950_000]);
		// Compare-at must stay above the price, checked against the stored price too.
		await problemOf(await as(a, "PATCH", `${base}/${added.id}`, { priceMinor: 1_000_000 }), 422);
		await problemOf(await as(a, "PATCH", `${base}/${added.id}`, { sku: "ADR-M-IND" }), 409);
		expect(await jsonOf<VariantBody>(await as(a, "GET", `${base}/${added.id}`))).toMatchObject({ priceMinor: 800_000 });

		const listed = await jsonOf<{ items: VariantBody[] }>(await as(a, "GET", base));
		expect(listed.items.map((v) => v.sku)).toEqual(["ADR-M-IND", "ADR-L-RUS"]);

		// Units reserved by an open order keep a variant from being deleted.
		await testDb().update(schema.inventory).set({ reserved: 1 }).where(eq(schema.inventory.variantId, added.id));
		await problemOf(await as(a, "DELETE", `${base}/${added.id}`), 409);
		await testDb().update(schema.inventory).set({ reserved: 0 }).where(eq(schema.inventory.variantId, added.id));
		expect((await as(a, "DELETE", `${base}/${added.id}`)).status).toBe(204);
		// The last variant stays: a product always has something to buy.
		const last = listed.items[0] as VariantBody;
		await problemOf(await as(a, "DELETE", `${base}/${last.id}`), 409);

		const events = await testDb()
			.select()
			.from(schema.outbox)
			.where(eq(schema.outbox.aggregateId, shirt.id))
			.orderBy(schema.outbox.sequence);
		expect(events.map((e) => e.type)).toEqual([
			"catalog.product.created",
			"catalog.product.updated",
			"catalog.product.updated",
			"catalog.product.updated",
		]);
	});

	it("two concurrent deletes of a two-variant product leave exactly one variant", async () => {
		const p = await product(a, "Race Pair", [100, 200]);
		const results = await Promise.all(
			p.variants.map((v) => as(a, "DELETE", `/v1/stores/${a.storeId}/products/${p.id}/variants/${v.id}`)),
		);
		expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
		expect(await testDb().select().from(schema.variants).where(eq(schema.variants.productId, p.id))).toHaveLength(1);
	});

	it("keeps stores apart", async () => {
		const p = await product(a, "Private Variant", [100]);
		const variant = p.variants[0] as VariantBody;
		for (const [method, path, body] of [
			["GET", `/v1/stores/${b.storeId}/products/${p.id}/variants`],
			["POST", `/v1/stores/${b.storeId}/products/${p.id}/variants`, { priceMinor: 1 }],
			["PATCH", `/v1/stores/${b.storeId}/products/${p.id}/variants/${variant.id}`, { priceMinor: 1 }],
			["DELETE", `/v1/stores/${b.storeId}/products/${p.id}/variants/${variant.id}`],
			["GET", `/v1/stores/${a.storeId}/products/${p.id}/variants/${variant.id}`],
		] as const) {
			await problemOf(await as(b, method, path, body), 404);
		}
		const [row] = await testDb().select().from(schema.variants).where(eq(schema.variants.id, variant.id));
		expect(row?.priceMinor).toBe(100);
	});
});

describe("collections", () => {
	it("keeps the merchant's order, filters lists, and shows only active products on the storefront", async () => {
		const m = await signUpMerchant();
		const cheap = await product(m, "Cheap Scarf", [1_000]);
		const dear = await product(m, "Dear Gown", [90_000]);
		const mid = await product(m, "Mid Cap", [5_000]);
		const draft = await product(m, "Draft Bag", [2_000], { status: "draft" });
		const other = await product(b, "Not Yours", [1]);

		// Another store's product cannot join: 422, nothing written.
		const foreign = await problemOf(
			await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Bad", productIds: [cheap.id, other.id] }),
			422,
		);
		expect(foreign.errors?.[0]?.path).toBe("productIds.1");
		await problemOf(await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "<b>x</b>" }), 422);
		await problemOf(
			await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Dup", productIds: [cheap.id, cheap.id] }),
			422,
		);
		expect(await testDb().select().from(schema.collections).where(eq(schema.collections.storeId, m.storeId))).toHaveLength(0);

		const created = await jsonOf<{ id: string; handle: string; productIds: string[] }>(
			await as(m, "POST", `/v1/stores/${m.storeId}/collections`, {
				title: "New In",
				description: "Fresh this week",
				productIds: [mid.id, draft.id, dear.id, cheap.id],
			}),
			201,
		);
		expect(created.handle).toBe("new-in");
		expect(created.productIds).toEqual([mid.id, draft.id, dear.id, cheap.id]);
		await problemOf(await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "New In" }), 409);

		const page = await jsonOf<{
			title: string;
			items: StorefrontList["items"];
			nextCursor: string | null;
		}>(await gateway(`/v1/storefront/${m.slug}/collections/new-in?limit=2`));
		expect(page.title).toBe("New In");
		expect(page.items.map((p) => p.handle)).toEqual(["mid-cap", "dear-gown"]);
		const rest = await jsonOf<StorefrontList>(
			await gateway(`/v1/storefront/${m.slug}/collections/new-in?limit=2&cursor=${page.nextCursor}`),
		);
		expect(rest.items.map((p) => p.handle)).toEqual(["cheap-scarf"]);
		expect(rest.nextCursor).toBeNull();

		const byPrice = await jsonOf<StorefrontList>(
			await gateway(`/v1/storefront/${m.slug}/products?collection=new-in&sort=price-desc`),
		);
		expect(byPrice.items.map((p) => p.handle)).toEqual(["dear-gown", "mid-cap", "cheap-scarf"]);

		// Duplicates are refused on update too (422, not a constraint error).
		const dup = await problemOf(
			await as(m, "PATCH", `/v1/stores/${m.storeId}/collections/${created.id}`, { productIds: [cheap.id, cheap.id] }),
			422,
		);
		expect(dup.errors?.[0]?.path).toBe("productIds");
		// Reorder by replacing the list.
		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/collections/${created.id}`, { productIds: [cheap.id, mid.id] }));
		const merchantList = await jsonOf<{ items: { id: string }[] }>(
			await as(m, "GET", `/v1/stores/${m.storeId}/products?collection=${created.id}`),
		);
		expect(merchantList.items.map((p) => p.id).sort()).toEqual([cheap.id, mid.id].sort());
		await problemOf(await as(b, "GET", `/v1/stores/${m.storeId}/collections/${created.id}`), 404);
		await problemOf(await as(b, "GET", `/v1/stores/${b.storeId}/collections/${created.id}`), 404);

		expect((await as(m, "DELETE", `/v1/stores/${m.storeId}/collections/${created.id}`)).status).toBe(204);
		await problemOf(await gateway(`/v1/storefront/${m.slug}/collections/new-in`), 404);
		// Its products stay.
		expect((await gateway(`/v1/storefront/${m.slug}/products/cheap-scarf`)).status).toBe(200);
	});
});

describe("storefront sorting and store profile", () => {
	it("sorts by price and title with stable cursors across pages", async () => {
		const m = await signUpMerchant();
		const prices = [700, 300, 500, 300, 900, 100];
		for (const [i, price] of prices.entries()) await product(m, `Item ${String.fromCharCode(70 - i)}`, [price]);
		const seen: number[] = [];
		let cursor: string | null = null;
		do {
			const res: StorefrontList = await jsonOf<StorefrontList>(
				await gateway(`/v1/storefront/${m.slug}/products?sort=price-asc&limit=4${cursor ? `&cursor=${cursor}` : ""}`),
			);
			seen.push(...res.items.map((p) => p.variants[0]?.priceMinor ?? -1));
			cursor = res.nextCursor;
		} while (cursor);
		expect(seen).toEqual([...prices].sort((x, y) => x - y));
		const byTitle = await jsonOf<StorefrontList>(await gateway(`/v1/storefront/${m.slug}/products?sort=title`));
		expect(byTitle.items.map((p) => p.handle)).toEqual(["item-a", "item-b", "item-c", "item-d", "item-e", "item-f"]);
		await problemOf(await gateway(`/v1/storefront/${m.slug}/products?cursor=not-a-cursor`), 422);
		// A cursor made for one order is refused by another (it would compare the wrong column).
		const titlePage = await jsonOf<StorefrontList>(await gateway(`/v1/storefront/${m.slug}/products?sort=title&limit=2`));
		const wrongOrder = await problemOf(
			await gateway(`/v1/storefront/${m.slug}/products?sort=price-asc&cursor=${titlePage.nextCursor}`),
			422,
		);
		expect(wrongOrder.errors?.[0]?.path).toBe("cursor");
		await problemOf(await gateway(`/v1/storefront/${m.slug}/products?sort=cheapest`), 422);
		await problemOf(await gateway(`/v1/storefront/${m.slug}/products?sort=manual`), 422);
	});

	it("pages through titles in any script (cursors carry UTF-8 sort keys)", async () => {
		const m = await signUpMerchant();
		const titles = ["Àdìrẹ Wrapper", "Ẹ̀wà Beans ₦ Special", "Zobo 🌺 Drink", "Çà Va Cap", "아름다운 Scarf"];
		for (const title of titles) await product(m, title, [100]);
		const seen: string[] = [];
		let cursor: string | null = null;
		do {
			const res: StorefrontList = await jsonOf<StorefrontList>(
				await gateway(`/v1/storefront/${m.slug}/products?sort=title&limit=1${cursor ? `&cursor=${cursor}` : ""}`),
			);
			seen.push(...res.items.map((p) => p.handle));
			cursor = res.nextCursor;
		} while (cursor && seen.length < 10);
		expect(seen).toHaveLength(titles.length);
		expect(new Set(seen).size).toBe(titles.length);
	});

	it("shows contact details and, when the store opts in, exact stock counts", async () => {
		const m = await signUpMerchant();
		await product(m, "Counted", [100]);
		await problemOf(await as(m, "PATCH", `/v1/stores/${m.storeId}`, { contact: { phone: "08012345678" } }), 422);
		await problemOf(await as(m, "PATCH", `/v1/stores/${m.storeId}`, { contact: { email: "not-an-email" } }), 422);
		const updated = await jsonOf<{ contact: unknown; showStockCounts: boolean }>(
			await as(m, "PATCH", `/v1/stores/${m.storeId}`, {
				contact: { email: "hello@ada.ng", phone: "+2348012345678" },
				showStockCounts: true,
			}),
		);
		expect(updated).toMatchObject({ contact: { email: "hello@ada.ng", phone: "+2348012345678" }, showStockCounts: true });
		const profile = await jsonOf<Record<string, unknown>>(await gateway(`/v1/storefront/${m.slug}`));
		expect(profile).toMatchObject({ slug: m.slug, currency: "NGN", contact: { email: "hello@ada.ng", phone: "+2348012345678" } });
		const list = await jsonOf<StorefrontList>(await gateway(`/v1/storefront/${m.slug}/products`));
		expect(list.items[0]?.variants[0]).toMatchObject({ availability: "in_stock", available: 10 });

		// Stores that keep the default show labels only.
		const quiet = await jsonOf<StorefrontList>(await gateway(`/v1/storefront/${a.slug}/products`));
		expect(JSON.stringify(quiet)).not.toContain('"available"');
	});
});
