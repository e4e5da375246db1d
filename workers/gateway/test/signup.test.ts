import { schema } from "@oja/db";
import { gateway, postJson, problemOf, signupInput, testDb } from "@oja/test-helpers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

async function rowCounts() {
	const db = testDb();
	const [[users], [stores], [memberships], [outbox]] = await Promise.all([
		db.select({ n: count() }).from(schema.users),
		db.select({ n: count() }).from(schema.stores),
		db.select({ n: count() }).from(schema.memberships),
		db.select({ n: count() }).from(schema.outbox),
	]);
	return { users: users?.n, stores: stores?.n, memberships: memberships?.n, outbox: outbox?.n };
}

describe("POST /v1/auth/signup", () => {
	it("creates the user, store, owner membership and events together", async () => {
		const input = signupInput({ email: "  Ada@Example.COM ", storeSlug: "ada-fabrics" });
		const res = await postJson("/v1/auth/signup", input);
		const body = (await res.json()) as {
			user: { id: string; email: string };
			store: { id: string; slug: string; currency: string };
		};
		expect(res.status, JSON.stringify(body)).toBe(201);
		expect(body.user.id).toMatch(/^usr_[0-9A-Z]{26}$/);
		expect(body.user.email).toBe("ada@example.com");
		expect(body.store).toMatchObject({ slug: "ada-fabrics", currency: "NGN" });
		expect(JSON.stringify(body)).not.toContain("password");

		const db = testDb();
		const [user] = await db.select().from(schema.users).where(eq(schema.users.id, body.user.id));
		expect(user?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/);
		const [membership] = await db.select().from(schema.memberships).where(eq(schema.memberships.storeId, body.store.id));
		expect(membership).toMatchObject({ userId: body.user.id, role: "owner" });
		const events = await db.select().from(schema.outbox).where(eq(schema.outbox.aggregateId, body.store.id));
		expect(events).toHaveLength(1);
		expect(events[0]).toMatchObject({ type: "identity.store.created", storeId: body.store.id, sequence: 1 });
	});

	it("answers 409 for a taken email or slug and writes nothing", async () => {
		const first = signupInput();
		expect((await postJson("/v1/auth/signup", first)).status).toBe(201);
		const before = await rowCounts();

		const sameEmail = await problemOf(
			await postJson("/v1/auth/signup", signupInput({ email: String(first.email).toUpperCase() })),
			409,
		);
		expect(sameEmail.errors?.[0]?.path).toBe("email");
		const sameSlug = await problemOf(await postJson("/v1/auth/signup", signupInput({ storeSlug: first.storeSlug })), 409);
		expect(sameSlug.errors?.[0]?.path).toBe("storeSlug");

		expect(await rowCounts()).toEqual(before);
	});

	it("lets exactly one of many concurrent signups claim a slug", async () => {
		const slug = "race-for-this-slug";
		const results = await Promise.all(
			Array.from({ length: 8 }, () => postJson("/v1/auth/signup", signupInput({ storeSlug: slug }))),
		);
		const statuses = results.map((r) => r.status).sort();
		expect(statuses.filter((s) => s === 201)).toHaveLength(1);
		expect(statuses.filter((s) => s === 409)).toHaveLength(7);
		const stores = await testDb().select().from(schema.stores).where(eq(schema.stores.slug, slug));
		expect(stores).toHaveLength(1);
		const owners = await testDb()
			.select()
			.from(schema.memberships)
			.where(eq(schema.memberships.storeId, stores[0]?.id ?? ""));
		expect(owners).toHaveLength(1);
	});

	const invalid: [string, Record<string, unknown>, string][] = [
		["a malformed email", { email: "not-an-email" }, "email"],
		["a short password", { password: "short" }, "password"],
		["a reserved slug", { storeSlug: "admin" }, "storeSlug"],
		["an uppercase slug", { storeSlug: "Ada-Shop" }, "storeSlug"],
		["a too-short slug", { storeSlug: "ab" }, "storeSlug"],
		["HTML in the store name", { storeName: "<b>Sale</b>" }, "storeName"],
		["an unknown currency", { currency: "EUR" }, "currency"],
		["an unknown field", { isAdmin: true }, ""],
		["a missing name", { name: undefined }, "name"],
		["a too-long name", { name: "x".repeat(101) }, "name"],
	];
	for (const [what, overrides, path] of invalid) {
		it(`rejects ${what} with 422 and writes nothing`, async () => {
			const before = await rowCounts();
			const problem = await problemOf(await postJson("/v1/auth/signup", signupInput(overrides)), 422);
			expect(problem.type).toBe("https://oja.dev/problems/validation-failed");
			expect(problem.errors?.map((e) => e.path)).toContain(path);
			expect(await rowCounts()).toEqual(before);
		});
	}

	it("rejects malformed JSON with 400 and a non-JSON content type with 415", async () => {
		await problemOf(await postJson("/v1/auth/signup", "{not json"), 400);
		const res = await gateway("/v1/auth/signup", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
		await problemOf(res, 415);
	});
});

describe("GET /v1/storefront/:slug", () => {
	it("returns the public profile of a store and 404 for an unknown one", async () => {
		const input = signupInput();
		await postJson("/v1/auth/signup", input);
		const res = await gateway(`/v1/storefront/${input.storeSlug}`);
		expect(res.status).toBe(200);
		const body = (await res.json()) as Record<string, unknown>;
		expect(body).toMatchObject({ slug: input.storeSlug, name: input.storeName, currency: "NGN" });
		expect(Object.keys(body).sort()).toEqual(["contact", "currency", "id", "name", "showStockCounts", "slug"]);
		expect(body.contact).toEqual({ email: null, phone: null });

		await problemOf(await gateway("/v1/storefront/no-such-store"), 404);
		await problemOf(await gateway("/v1/storefront/NOT_A_SLUG"), 422);
	});
});
