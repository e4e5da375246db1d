import { schema } from "@oja/db";
import { asMerchant as as, gateway, jsonOf, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Merchant discount codes: validation at the boundary, constraints turned into clean problems,
// soft delete, tenant isolation and who may manage them.

interface DiscountBody {
	id: string;
	code: string;
	kind: "percentage" | "fixed";
	percentOff: number | null;
	amountOffMinor: number | null;
	currency: string;
	minSubtotalMinor: number | null;
	startsAt: string | null;
	endsAt: string | null;
	usageLimit: number | null;
	usedCount: number;
	perCustomerLimit: number | null;
	active: boolean;
	createdAt: string;
	updatedAt: string;
}
interface DiscountListBody {
	items: DiscountBody[];
	nextCursor: string | null;
}

let a: TestMerchant;
let b: TestMerchant;
const base = (m: TestMerchant) => `/v1/stores/${m.storeId}/discounts`;

beforeAll(async () => {
	[a, b] = await Promise.all([signUpMerchant(), signUpMerchant({ currency: "GHS" })]);
});

async function create(m: TestMerchant, body: Record<string, unknown>): Promise<DiscountBody> {
	return jsonOf<DiscountBody>(await as(m, "POST", base(m), body), 201);
}

async function rowCount(storeId: string): Promise<number> {
	return (await testDb().select().from(schema.discounts).where(eq(schema.discounts.storeId, storeId))).length;
}

describe("discount codes", () => {
	it("creates, lists, reads, changes and deletes a code; the code is stored upper-cased in the store's currency", async () => {
		const created = await create(a, { code: " welcome10 ", kind: "percentage", percentOff: 10 });
		expect(created).toMatchObject({
			code: "WELCOME10",
			kind: "percentage",
			percentOff: 10,
			amountOffMinor: null,
			currency: "NGN",
			usageLimit: null,
			usedCount: 0,
			active: true,
			startsAt: null,
			endsAt: null,
		});
		expect(created.id).toMatch(/^dsc_/);
		const [row] = await testDb().select().from(schema.discounts).where(eq(schema.discounts.id, created.id));
		expect(row?.code).toBe("WELCOME10");

		const fixed = await create(b, {
			code: "cedi5",
			kind: "fixed",
			amountOffMinor: 500,
			minSubtotalMinor: 2000,
			startsAt: "2026-12-01T00:00:00Z",
			endsAt: "2026-12-31T00:00:00+01:00",
			usageLimit: 100,
			perCustomerLimit: 1,
		});
		expect(fixed).toMatchObject({
			code: "CEDI5",
			currency: "GHS",
			amountOffMinor: 500,
			percentOff: null,
			minSubtotalMinor: 2000,
			startsAt: "2026-12-01T00:00:00.000Z",
			endsAt: "2026-12-30T23:00:00.000Z",
			usageLimit: 100,
			perCustomerLimit: 1,
		});

		expect(await jsonOf<DiscountBody>(await as(a, "GET", `${base(a)}/${created.id}`))).toEqual(created);

		const changed = await jsonOf<DiscountBody>(
			await as(a, "PATCH", `${base(a)}/${created.id}`, { percentOff: 15, active: false, usageLimit: 5 }),
		);
		expect(changed).toMatchObject({ code: "WELCOME10", percentOff: 15, active: false, usageLimit: 5 });
		expect(Date.parse(changed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
		const cleared = await jsonOf<DiscountBody>(await as(a, "PATCH", `${base(a)}/${created.id}`, { usageLimit: null }));
		expect(cleared.usageLimit).toBeNull();

		expect((await as(a, "DELETE", `${base(a)}/${created.id}`)).status).toBe(204);
		await problemOf(await as(a, "GET", `${base(a)}/${created.id}`), 404);
		await problemOf(await as(a, "PATCH", `${base(a)}/${created.id}`, { active: true }), 404);
		await problemOf(await as(a, "DELETE", `${base(a)}/${created.id}`), 404);
		const list = await jsonOf<DiscountListBody>(await as(a, "GET", base(a)));
		expect(list.items.map((d) => d.id)).not.toContain(created.id);
		// Soft delete: the row stays (orders point at it) and the code can be created again.
		const [gone] = await testDb().select().from(schema.discounts).where(eq(schema.discounts.id, created.id));
		expect(gone?.deletedAt).toBeInstanceOf(Date);
		const again = await create(a, { code: "WELCOME10", kind: "fixed", amountOffMinor: 1000 });
		expect(again.id).not.toBe(created.id);
	});

	it("pages the list newest first with a cursor", async () => {
		const m = await signUpMerchant();
		const ids: string[] = [];
		for (const code of ["PAGE1", "PAGE2", "PAGE3"]) ids.push((await create(m, { code, kind: "percentage", percentOff: 5 })).id);
		const first = await jsonOf<DiscountListBody>(await as(m, "GET", `${base(m)}?limit=2`));
		expect(first.items.map((d) => d.code)).toEqual(["PAGE3", "PAGE2"]);
		expect(first.nextCursor).toBe(ids[1]);
		const second = await jsonOf<DiscountListBody>(await as(m, "GET", `${base(m)}?limit=2&cursor=${first.nextCursor}`));
		expect(second).toEqual({ items: [expect.objectContaining({ code: "PAGE1" })], nextCursor: null });
		await problemOf(await as(m, "GET", `${base(m)}?limit=0`), 422);
	});

	it("refuses invalid codes and amounts with 422 naming the field, and writes nothing", async () => {
		const before = await rowCount(a.storeId);
		const cases: [Record<string, unknown>, string][] = [
			[{ code: "PCT0", kind: "percentage", percentOff: 0 }, "percentOff"],
			[{ code: "PCT101", kind: "percentage", percentOff: 101 }, "percentOff"],
			[{ code: "PCTFRAC", kind: "percentage", percentOff: 12.5 }, "percentOff"],
			[{ code: "NEG", kind: "fixed", amountOffMinor: -100 }, "amountOffMinor"],
			[{ code: "ZERO", kind: "fixed", amountOffMinor: 0 }, "amountOffMinor"],
			[{ code: "FRAC", kind: "fixed", amountOffMinor: 10.5 }, "amountOffMinor"],
			[{ code: "HUGE", kind: "fixed", amountOffMinor: 10_000_000_001 }, "amountOffMinor"],
			[{ code: "MIXED", kind: "fixed", amountOffMinor: 100, percentOff: 10 }, ""],
			[{ code: "NOKIND", percentOff: 10 }, "kind"],
			[{ code: "ab", kind: "percentage", percentOff: 10 }, "code"],
			[{ code: "no spaces", kind: "percentage", percentOff: 10 }, "code"],
			[{ code: "<b>X</b>", kind: "percentage", percentOff: 10 }, "code"],
			[
				{ code: "WINDOW", kind: "percentage", percentOff: 10, startsAt: "2026-12-02T00:00:00Z", endsAt: "2026-12-01T00:00:00Z" },
				"endsAt",
			],
			[
				{ code: "SAMEEND", kind: "percentage", percentOff: 10, startsAt: "2026-12-01T00:00:00Z", endsAt: "2026-12-01T00:00:00Z" },
				"endsAt",
			],
			[{ code: "BADDATE", kind: "percentage", percentOff: 10, startsAt: "tomorrow" }, "startsAt"],
			[{ code: "LIMIT0", kind: "percentage", percentOff: 10, usageLimit: 0 }, "usageLimit"],
			[{ code: "EXTRA", kind: "percentage", percentOff: 10, storeId: b.storeId }, ""],
			[{ code: "CUR", kind: "fixed", amountOffMinor: 100, currency: "USD" }, ""],
		];
		for (const [body, path] of cases) {
			const p = await problemOf(await as(a, "POST", base(a), body), 422);
			if (path)
				expect(
					p.errors?.map((e) => e.path),
					JSON.stringify(body),
				).toContain(path);
			else expect(p.errors?.length, JSON.stringify(body)).toBeGreaterThan(0);
		}
		expect(await rowCount(a.storeId)).toBe(before);
	});

	it("a live code is unique per store whatever its case (409), but another store may use it", async () => {
		await create(a, { code: "SALE", kind: "percentage", percentOff: 20 });
		const dup = await problemOf(await as(a, "POST", base(a), { code: "sale", kind: "fixed", amountOffMinor: 100 }), 409);
		expect(dup.errors?.[0]?.path).toBe("code");
		await create(b, { code: "sale", kind: "percentage", percentOff: 20 });
	});

	it("two concurrent creations of one code: one 201, one 409", async () => {
		const m = await signUpMerchant();
		const results = await Promise.all(
			["twin", "TWIN", "Twin"].map((code) => as(m, "POST", base(m), { code, kind: "percentage", percentOff: 10 })),
		);
		expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
		for (const r of results) if (r.status === 409) await problemOf(r, 409);
		expect(await rowCount(m.storeId)).toBe(1);
	});

	it("updates are checked against the discount's kind, window and use count", async () => {
		const pct = await create(a, {
			code: "LIMITED",
			kind: "percentage",
			percentOff: 10,
			startsAt: "2026-12-01T00:00:00Z",
			usageLimit: 10,
		});
		const url = `${base(a)}/${pct.id}`;
		expect((await problemOf(await as(a, "PATCH", url, { amountOffMinor: 100 }), 422)).errors?.[0]?.path).toBe("amountOffMinor");
		expect((await problemOf(await as(a, "PATCH", url, { endsAt: "2026-11-01T00:00:00Z" }), 422)).errors?.[0]?.path).toBe(
			"endsAt",
		);
		await problemOf(await as(a, "PATCH", url, {}), 422);
		await problemOf(await as(a, "PATCH", url, { code: "RENAMED" }), 422);
		await problemOf(await as(a, "PATCH", url, { percentOff: 0 }), 422);
		// Moving the start past the end is checked with the stored end too.
		await jsonOf(await as(a, "PATCH", url, { endsAt: "2026-12-10T00:00:00Z" }));
		await problemOf(await as(a, "PATCH", url, { startsAt: "2026-12-11T00:00:00Z" }), 422);

		// Checkout has used the code 7 times: the limit cannot go below that.
		await testDb().update(schema.discounts).set({ usedCount: 7 }).where(eq(schema.discounts.id, pct.id));
		const below = await problemOf(await as(a, "PATCH", url, { usageLimit: 6 }), 409);
		expect(below.errors?.[0]?.path).toBe("usageLimit");
		expect(await jsonOf<DiscountBody>(await as(a, "PATCH", url, { usageLimit: 7 }))).toMatchObject({
			usageLimit: 7,
			usedCount: 7,
		});

		const fixed = await create(a, { code: "FLAT", kind: "fixed", amountOffMinor: 500 });
		expect((await problemOf(await as(a, "PATCH", `${base(a)}/${fixed.id}`, { percentOff: 10 }), 422)).errors?.[0]?.path).toBe(
			"percentOff",
		);
		await problemOf(await as(a, "PATCH", `${base(a)}/${fixed.id}`, { amountOffMinor: 10_000_000_001 }), 422);
		expect(await jsonOf<DiscountBody>(await as(a, "PATCH", `${base(a)}/${fixed.id}`, { amountOffMinor: 750 }))).toMatchObject({
			amountOffMinor: 750,
		});
	});

	it("another store's discount is invisible: 404 on read, change and delete, and it stays untouched", async () => {
		const theirs = await create(b, { code: "PRIVATE", kind: "percentage", percentOff: 30 });
		await problemOf(await as(a, "GET", `${base(a)}/${theirs.id}`), 404);
		await problemOf(await as(a, "PATCH", `${base(a)}/${theirs.id}`, { percentOff: 99 }), 404);
		await problemOf(await as(a, "DELETE", `${base(a)}/${theirs.id}`), 404);
		// Through the other store's path, a non-member gets 404 for the store itself.
		await problemOf(await as(a, "GET", base(b)), 404);
		await problemOf(await as(a, "POST", base(b), { code: "SNEAKY", kind: "percentage", percentOff: 50 }), 404);
		const listA = await jsonOf<DiscountListBody>(await as(a, "GET", base(a)));
		expect(listA.items.map((d) => d.id)).not.toContain(theirs.id);
		expect(await jsonOf<DiscountBody>(await as(b, "GET", `${base(b)}/${theirs.id}`))).toEqual(theirs);
		await problemOf(await as(a, "GET", `${base(a)}/not-an-id`), 422);
	});

	it("staff and a staff API key may manage codes; no credentials is 401", async () => {
		const owner = await signUpMerchant();
		const colleague = await signUpMerchant();
		expect(
			(await as(owner, "POST", `/v1/stores/${owner.storeId}/members`, { email: colleague.email, role: "staff" })).status,
		).toBe(201);
		// The colleague's own token, now a staff member of the owner's store.
		const staff = { ...colleague, storeId: owner.storeId };
		const byStaff = await create(staff, { code: "STAFF2", kind: "percentage", percentOff: 5 });
		expect(await jsonOf<DiscountBody>(await as(staff, "PATCH", `${base(staff)}/${byStaff.id}`, { active: false }))).toMatchObject(
			{
				active: false,
			},
		);
		expect((await as(staff, "DELETE", `${base(staff)}/${byStaff.id}`)).status).toBe(204);

		const key = await jsonOf<{ key: string }>(
			await as(owner, "POST", `/v1/stores/${owner.storeId}/api-keys`, { name: "pos", role: "staff" }),
			201,
		);
		const viaKey = await gateway(base(owner), {
			method: "POST",
			headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
			body: JSON.stringify({ code: "KEYED", kind: "fixed", amountOffMinor: 100 }),
		});
		expect((await jsonOf<DiscountBody>(viaKey, 201)).code).toBe("KEYED");
		const listed = await jsonOf<DiscountListBody>(
			await gateway(base(owner), { headers: { authorization: `Bearer ${key.key}` } }),
		);
		expect(listed.items.map((d) => d.code)).toContain("KEYED");

		await problemOf(await gateway(base(owner)), 401);
		await problemOf(
			await gateway(base(owner), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
			401,
		);
	});

	it("a limit below the use count raced in by checkout is still a clean 409, never a 500", async () => {
		const d = await create(a, { code: "RACE", kind: "percentage", percentOff: 10, usageLimit: 3 });
		await testDb().execute(sql`UPDATE discounts SET used_count = 3 WHERE id = ${d.id}`);
		await problemOf(await as(a, "PATCH", `${base(a)}/${d.id}`, { usageLimit: 1 }), 409);
		const [row] = await testDb().select().from(schema.discounts).where(eq(schema.discounts.id, d.id));
		expect(row?.usageLimit).toBe(3);
	});
});
