import { MAX_STOCK, MAX_UNIT_PRICE_MINOR } from "@oja/contracts";
import { schema } from "@oja/db";
import {
	asMerchant as as,
	gateway,
	jsonOf,
	signUpMerchant as merchant,
	postJson,
	problemOf,
	signupInput,
	type TestMerchant,
	testDb,
} from "@oja/test-helpers";
import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Text Postgres cannot store (NUL, lone UTF-16 surrogates) and numbers past Oja's bounds are
// refused at the gateway with a 422 naming the field, before any domain code or SQL runs.

let a: TestMerchant;
let variantId: string;

const product = (variant: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
	title: `Boundary ${crypto.randomUUID().slice(0, 8)}`,
	status: "active",
	options: [{ name: "Size", values: ["S"] }],
	variants: [{ optionValues: ["S"], priceMinor: 1000, inventory: { onHand: 1 }, ...variant }],
	...extra,
});

beforeAll(async () => {
	a = await merchant();
	const created = await jsonOf<{ variants: { id: string }[] }>(
		await as(a, "POST", `/v1/stores/${a.storeId}/products`, product()),
		201,
	);
	variantId = created.variants[0]?.id ?? "";
});

async function productCount(): Promise<number> {
	const [row] = await testDb().select({ n: count() }).from(schema.products).where(eq(schema.products.storeId, a.storeId));
	return Number(row?.n);
}

describe("text that Postgres cannot store", () => {
	it("refuses a lone surrogate in storeName at signup, naming the field, and creates nothing", async () => {
		const input = signupInput();
		// JSON.stringify escapes a lone surrogate as \ud800, which JSON.parse turns back into one.
		const res = await postJson("/v1/auth/signup", { ...input, storeName: "\ud800x" });
		const body = await problemOf(res, 422);
		expect(body.errors?.map((e) => [e.path, e.code])).toEqual([["storeName", "invalid_text"]]);
		const users = await testDb()
			.select({ n: count() })
			.from(schema.users)
			.where(eq(schema.users.email, String(input.email)));
		expect(Number(users[0]?.n)).toBe(0);
	});

	it.each([
		["image alt", product({}, { images: [{ url: "https://cdn.example.com/a.jpg", alt: "bad \udfff" }] }), "images.0.alt"],
		["option name", product({}, { options: [{ name: "Si\ud83dze", values: ["S"] }] }), "options.0.name"],
		["a NUL in the title", product({}, { title: "Ankara\u0000" }), "title"],
		["a NUL in a tag", product({}, { tags: ["ok", "b\u0000d"] }), "tags.1"],
	])("refuses %s with a 422 naming it and writes nothing", async (_what, body, path) => {
		const before = await productCount();
		const res = await as(a, "POST", `/v1/stores/${a.storeId}/products`, body);
		const problem = await problemOf(res, 422);
		expect(problem.errors?.map((e) => e.path)).toContain(path);
		expect(await productCount()).toBe(before);
	});

	it("refuses a lone surrogate in an object key", async () => {
		const res = await as(a, "POST", `/v1/stores/${a.storeId}/products`, { ...product(), "\ud800": 1 });
		expect((await problemOf(res, 422)).errors?.[0]?.code).toBe("invalid_text");
	});

	it("refuses a lone surrogate in an adjustment reason", async () => {
		const res = await as(a, "POST", `/v1/stores/${a.storeId}/inventory/${variantId}/adjustments`, {
			delta: 1,
			reason: "recount \ud800",
		});
		expect((await problemOf(res, 422)).errors?.map((e) => e.path)).toEqual(["reason"]);
	});

	it.each([
		["q", "q=%00"],
		["cursor", "cursor=abc%00def"],
		["q", "q=%ED%A0%80"],
	])("refuses %s carrying NUL or invalid UTF-8 in a merchant list query (%s)", async (field, query) => {
		const res = await as(a, "GET", `/v1/stores/${a.storeId}/products?${query}`);
		if (query.includes("%ED")) {
			// Bytes that are not UTF-8 cannot be decoded; they reach the schema as the literal
			// escape text, which is valid (and matches nothing).
			expect(res.status).toBe(200);
			return;
		}
		expect((await problemOf(res, 422)).errors?.map((e) => e.path)).toEqual([field]);
	});

	it("refuses a NUL in a path parameter", async () => {
		const res = await gateway(`/v1/storefront/${a.slug}%00/products`);
		expect([404, 422]).toContain(res.status);
		await problemOf(res, res.status);
	});

	it("refuses a body nested deeper than any contract needs, without exhausting the stack", async () => {
		let deep: unknown = "x";
		for (let i = 0; i < 5000; i++) deep = [deep];
		const res = await as(a, "POST", `/v1/stores/${a.storeId}/products`, { ...product(), tags: deep });
		expect([400, 422]).toContain(res.status);
		await problemOf(res, res.status);
	});
});

describe("numbers past Oja's bounds", () => {
	it("refuses a unit price above the ceiling with a 422 (and accepts the ceiling itself)", async () => {
		const over = await as(a, "POST", `/v1/stores/${a.storeId}/products`, product({ priceMinor: MAX_UNIT_PRICE_MINOR + 1 }));
		expect((await problemOf(over, 422)).errors?.map((e) => e.path)).toEqual(["variants.0.priceMinor"]);
		const huge = await as(a, "POST", `/v1/stores/${a.storeId}/products`, product({ priceMinor: 2 ** 53 - 1 }));
		await problemOf(huge, 422);
		const at = await as(a, "POST", `/v1/stores/${a.storeId}/products`, product({ priceMinor: MAX_UNIT_PRICE_MINOR }));
		expect(at.status).toBe(201);
	});

	it("keeps stock within int4: set to the ceiling, then adjusting past it is a 422 naming delta, not a 500", async () => {
		const set = await as(a, "PUT", `/v1/stores/${a.storeId}/inventory/${variantId}`, { onHand: MAX_STOCK });
		expect((await jsonOf<{ onHand: number }>(set)).onHand).toBe(MAX_STOCK);
		for (let i = 0; i < 2; i++) {
			const res = await as(a, "POST", `/v1/stores/${a.storeId}/inventory/${variantId}/adjustments`, {
				delta: MAX_STOCK,
				reason: "bulk delivery",
			});
			expect((await problemOf(res, 422)).errors?.map((e) => e.path)).toEqual(["delta"]);
		}
		const over = await as(a, "PUT", `/v1/stores/${a.storeId}/inventory/${variantId}`, { onHand: MAX_STOCK + 1 });
		expect((await problemOf(over, 422)).errors?.map((e) => e.path)).toEqual(["onHand"]);
		const down = await as(a, "POST", `/v1/stores/${a.storeId}/inventory/${variantId}/adjustments`, {
			delta: -MAX_STOCK,
			reason: "recount",
		});
		expect((await jsonOf<{ onHand: number }>(down, 201)).onHand).toBe(0);
	});

	it("holds the ceiling in the database too, for writers that skip the API", async () => {
		await expect(
			testDb()
				.update(schema.inventory)
				.set({ onHand: MAX_STOCK + 1 })
				.where(eq(schema.inventory.variantId, variantId)),
		).rejects.toThrow();
	});
});
