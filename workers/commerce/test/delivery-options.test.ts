import { schema } from "@oja/db";
import { asMerchant as as, gateway, jsonOf, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// A store's delivery options are replaced as a whole list; what is left out is archived and
// disappears from the merchant's list and the storefront's.

interface OptionBody {
	id: string;
	kind: "pickup" | "delivery";
	name: string;
	states: string[];
	cities: string[];
	feeMinor: number;
	currency: string;
	booksCourier: boolean;
	payOnDelivery: boolean;
	payOnDeliveryMaxTotalMinor: number | null;
}
interface OptionList {
	items: OptionBody[];
}

let a: TestMerchant;
let b: TestMerchant;
const path = (m: TestMerchant) => `/v1/stores/${m.storeId}/delivery-options`;
const put = (m: TestMerchant, options: unknown[]) => as(m, "PUT", path(m), { options });
const storefront = (m: TestMerchant) => gateway(`/v1/storefront/${m.slug}/delivery-options`);

const pickup = { kind: "pickup", name: "Pick up at the shop, Yaba" };
const lagos = {
	kind: "delivery",
	name: "Lagos delivery",
	states: ["Lagos"],
	feeMinor: 150_000,
	booksCourier: true,
	payOnDelivery: true,
	payOnDeliveryMaxTotalMinor: 5_000_000,
};
const nationwide = { kind: "delivery", name: "Nationwide (GIG)", feeMinor: 350_000 };

async function rows(storeId: string) {
	return testDb().select().from(schema.deliveryOptions).where(eq(schema.deliveryOptions.storeId, storeId));
}

beforeAll(async () => {
	[a, b] = await Promise.all([signUpMerchant(), signUpMerchant({ currency: "KES" })]);
});

describe("delivery options", () => {
	it("a new store has none; PUT sets the list in order with defaults and the store's currency", async () => {
		expect(await jsonOf<OptionList>(await as(a, "GET", path(a)))).toEqual({ items: [] });
		expect(await jsonOf<OptionList>(await storefront(a))).toEqual({ items: [] });

		const set = await jsonOf<OptionList>(await put(a, [pickup, lagos, nationwide]));
		expect(set.items.map((o) => o.name)).toEqual([pickup.name, lagos.name, nationwide.name]);
		expect(set.items[0]).toMatchObject({
			kind: "pickup",
			feeMinor: 0,
			states: [],
			cities: [],
			currency: "NGN",
			booksCourier: false,
			payOnDelivery: false,
			payOnDeliveryMaxTotalMinor: null,
		});
		expect(set.items[1]).toMatchObject({ ...lagos, cities: [], currency: "NGN" });
		for (const o of set.items) expect(o.id).toMatch(/^dlv_/);
		expect(await jsonOf<OptionList>(await as(a, "GET", path(a)))).toEqual(set);
		expect(await jsonOf<OptionList>(await storefront(a))).toEqual(set);

		const other = await jsonOf<OptionList>(await put(b, [{ ...nationwide, name: "Nairobi courier" }]));
		expect(other.items[0]?.currency).toBe("KES");
	});

	it("PUT replaces the set: kept ids are updated and reordered, new ones created, omitted ones archived", async () => {
		const m = await signUpMerchant();
		const [p, l, n] = (await jsonOf<OptionList>(await put(m, [pickup, lagos, nationwide]))).items;
		if (!p || !l || !n) throw new Error("three options expected");

		const abuja = { kind: "delivery", name: "Abuja delivery", states: ["FCT"], cities: ["Garki", "Wuse"], feeMinor: 250_000 };
		const next = await jsonOf<OptionList>(
			await put(m, [{ ...nationwide, id: n.id, feeMinor: 400_000 }, abuja, { ...pickup, id: p.id, name: "Pick up in Yaba" }]),
		);
		expect(next.items.map((o) => o.name)).toEqual(["Nationwide (GIG)", "Abuja delivery", "Pick up in Yaba"]);
		expect(next.items[0]).toMatchObject({ id: n.id, feeMinor: 400_000 });
		expect(next.items[2]?.id).toBe(p.id);
		expect(next.items[1]?.cities).toEqual(["Garki", "Wuse"]);

		// Lagos was left out: gone from both lists, but its row stays (orders snapshot it).
		expect((await jsonOf<OptionList>(await as(m, "GET", path(m)))).items.map((o) => o.id)).not.toContain(l.id);
		const shop = await jsonOf<OptionList>(await storefront(m));
		expect(shop).toEqual(next);
		const archived = (await rows(m.storeId)).find((r) => r.id === l.id);
		expect(archived?.archivedAt).toBeInstanceOf(Date);
		const live = await testDb()
			.select()
			.from(schema.deliveryOptions)
			.where(and(eq(schema.deliveryOptions.storeId, m.storeId), isNull(schema.deliveryOptions.archivedAt)));
		expect(live.map((r) => [r.id, r.position]).sort()).toEqual(next.items.map((o, i) => [o.id, i] as [string, number]).sort());

		// An archived option of this store may be brought back by id.
		const back = await jsonOf<OptionList>(await put(m, [{ ...lagos, id: l.id }]));
		expect(back.items.map((o) => o.id)).toEqual([l.id]);

		// An empty list retires everything.
		expect(await jsonOf<OptionList>(await put(m, []))).toEqual({ items: [] });
		expect(await jsonOf<OptionList>(await storefront(m))).toEqual({ items: [] });
		expect((await rows(m.storeId)).every((r) => r.archivedAt !== null)).toBe(true);
	});

	it("concurrent replacements leave exactly one of the sets live, never a mix", async () => {
		const m = await signUpMerchant();
		for (let round = 0; round < 3; round++) {
			const sets = [0, 1, 2, 3].map((i) => [
				{ ...nationwide, name: `Set ${round}.${i} courier` },
				{ ...pickup, name: `Set ${round}.${i} pickup` },
			]);
			const results = await Promise.all(sets.map((options) => put(m, options)));
			for (const res of results) expect(res.status).toBe(200);
			const live = (await jsonOf<OptionList>(await as(m, "GET", path(m)))).items.map((o) => o.name);
			expect(sets.map((set) => set.map((o) => o.name))).toContainEqual(live);
		}
	});

	it("pickup is free and books no courier; bad fees and fields are 422 and nothing changes", async () => {
		const m = await signUpMerchant();
		const initial = await jsonOf<OptionList>(await put(m, [pickup]));
		const before = await rows(m.storeId);
		const cases: [unknown[], string][] = [
			[[{ ...pickup, feeMinor: 100 }], "options.0.feeMinor"],
			[[{ ...pickup, booksCourier: true }], "options.0.feeMinor"],
			[[{ ...nationwide, feeMinor: -1 }], "options.0.feeMinor"],
			[[{ ...nationwide, feeMinor: 10.5 }], "options.0.feeMinor"],
			[[{ ...nationwide, feeMinor: 10_000_000_001 }], "options.0.feeMinor"],
			[[{ ...nationwide, payOnDeliveryMaxTotalMinor: 0 }], "options.0.payOnDeliveryMaxTotalMinor"],
			[[{ ...nationwide, kind: "drone" }], "options.0.kind"],
			[[{ ...nationwide, name: "" }], "options.0.name"],
			[[{ ...nationwide, name: "<script>x</script>" }], "options.0.name"],
			[[pickup, { ...nationwide, currency: "USD" }], ""],
			[[{ ...nationwide, id: "dlv_123" }], "options.0.id"],
		];
		for (const [options, field] of cases) {
			const p = await problemOf(await put(m, options), 422);
			if (field)
				expect(
					p.errors?.map((e) => e.path),
					JSON.stringify(options),
				).toContain(field);
		}
		await problemOf(await as(m, "PUT", path(m), { options: [pickup], extra: true }), 422);
		await problemOf(await as(m, "PUT", path(m), [pickup]), 422);
		const id = initial.items[0]?.id;
		const twice = await problemOf(
			await put(m, [
				{ ...pickup, id },
				{ ...nationwide, id },
			]),
			422,
		);
		expect(twice.errors?.map((e) => e.path)).toContain("options.1.id");
		expect(await rows(m.storeId)).toEqual(before);
	});

	it("another store's option id is a 422 naming it, and neither store's options change", async () => {
		const theirs = (await jsonOf<OptionList>(await as(b, "GET", path(b)))).items;
		const theirId = theirs[0]?.id;
		expect(theirId).toBeDefined();
		const beforeA = await rows(a.storeId);
		const beforeB = await rows(b.storeId);
		const p = await problemOf(await put(a, [pickup, { ...nationwide, id: theirId, name: "Hijacked" }]), 422);
		expect(p.errors).toEqual([expect.objectContaining({ path: "options.1.id", code: "unknown" })]);
		expect(p.errors?.[0]?.message).toContain(theirId);
		expect(await rows(a.storeId)).toEqual(beforeA);
		expect(await rows(b.storeId)).toEqual(beforeB);
		expect((await jsonOf<OptionList>(await as(b, "GET", path(b)))).items).toEqual(theirs);

		// A non-member cannot read or replace another store's list.
		await problemOf(await as(a, "GET", path(b)), 404);
		await problemOf(await put({ ...a, storeId: b.storeId }, []), 404);
		expect(await rows(b.storeId)).toEqual(beforeB);
	});

	it("staff and a staff API key may manage options; no credentials is 401; the storefront needs none", async () => {
		const owner = await signUpMerchant();
		const colleague = await signUpMerchant();
		expect(
			(await as(owner, "POST", `/v1/stores/${owner.storeId}/members`, { email: colleague.email, role: "staff" })).status,
		).toBe(201);
		const staff = { ...colleague, storeId: owner.storeId };
		expect((await jsonOf<OptionList>(await put(staff, [pickup]))).items).toHaveLength(1);

		const key = await jsonOf<{ key: string }>(
			await as(owner, "POST", `/v1/stores/${owner.storeId}/api-keys`, { name: "pos", role: "staff" }),
			201,
		);
		const viaKey = await gateway(path(owner), {
			method: "PUT",
			headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
			body: JSON.stringify({ options: [pickup, lagos] }),
		});
		expect((await jsonOf<OptionList>(viaKey)).items).toHaveLength(2);
		expect(
			(await jsonOf<OptionList>(await gateway(path(owner), { headers: { authorization: `Bearer ${key.key}` } }))).items,
		).toHaveLength(2);

		await problemOf(await gateway(path(owner)), 401);
		await problemOf(
			await gateway(path(owner), { method: "PUT", headers: { "content-type": "application/json" }, body: '{"options":[]}' }),
			401,
		);
		expect((await jsonOf<OptionList>(await storefront(owner))).items).toHaveLength(2);
		await problemOf(await gateway("/v1/storefront/no-such-store-here/delivery-options"), 404);
	});
});
