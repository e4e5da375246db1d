import { newId, schema } from "@oja/db";
import { gateway, postJson, problemOf, signupInput, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Shopper accounts: guest by default, optional account, tokens bound to one store.

let storeA: { id: string; slug: string; merchantToken: string };
let storeB: { id: string; slug: string };

async function store() {
	const input = signupInput();
	const res = await postJson("/v1/auth/signup", input);
	const body = (await res.json()) as { store: { id: string; slug: string }; accessToken: string };
	return { id: body.store.id, slug: body.store.slug, merchantToken: body.accessToken };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
	storeA = await store();
	storeB = await store();
});

describe("shopper accounts", () => {
	it("sign up, sign in and read the account at one store", async () => {
		const email = `shopper-${crypto.randomUUID()}@example.com`;
		const signup = await postJson(`/v1/storefront/${storeA.slug}/account/signup`, {
			email,
			password: "shopper-password",
			name: "Chidi",
		});
		const created = (await signup.json()) as {
			customer: { id: string; storeId: string; hasAccount: boolean };
			accessToken: string;
		};
		expect(signup.status, JSON.stringify(created)).toBe(201);
		expect(created.customer).toMatchObject({ storeId: storeA.id, hasAccount: true });

		const login = await postJson(`/v1/storefront/${storeA.slug}/account/login`, { email, password: "shopper-password" });
		const { accessToken } = (await login.json()) as { accessToken: string };
		expect(login.status).toBe(200);
		const me = await gateway(`/v1/storefront/${storeA.slug}/account`, bearer(accessToken));
		expect(me.status).toBe(200);
		expect(((await me.json()) as { id: string }).id).toBe(created.customer.id);

		await problemOf(await postJson(`/v1/storefront/${storeA.slug}/account/login`, { email, password: "wrong-password" }), 401);
		await problemOf(
			await postJson(`/v1/storefront/${storeA.slug}/account/signup`, { email, password: "another-password", name: "X" }),
			409,
		);
	});

	it("keeps the same email at two stores as two separate customers, and tokens to their store", async () => {
		const email = `twice-${crypto.randomUUID()}@example.com`;
		const a = (await (
			await postJson(`/v1/storefront/${storeA.slug}/account/signup`, { email, password: "password-at-a", name: "A" })
		).json()) as {
			customer: { id: string };
			accessToken: string;
		};
		const b = (await (
			await postJson(`/v1/storefront/${storeB.slug}/account/signup`, { email, password: "password-at-b", name: "B" })
		).json()) as {
			customer: { id: string };
			accessToken: string;
		};
		expect(a.customer.id).not.toBe(b.customer.id);
		// Store A's password does not open store B's account.
		await problemOf(await postJson(`/v1/storefront/${storeB.slug}/account/login`, { email, password: "password-at-a" }), 401);
		// A storefront token for store A is refused at store B.
		await problemOf(await gateway(`/v1/storefront/${storeB.slug}/account`, bearer(a.accessToken)), 401);
	});

	it("upgrades a guest checkout record instead of duplicating it; guests cannot sign in", async () => {
		const email = `guest-${crypto.randomUUID()}@example.com`;
		const guestId = newId("customer");
		await testDb().insert(schema.customers).values({ id: guestId, storeId: storeA.id, email });
		await problemOf(await postJson(`/v1/storefront/${storeA.slug}/account/login`, { email, password: "anything-at-all" }), 401);
		const res = await postJson(`/v1/storefront/${storeA.slug}/account/signup`, {
			email,
			password: "now-i-have-one",
			name: "Guest",
		});
		const body = (await res.json()) as { customer: { id: string; hasAccount: boolean } };
		expect(res.status).toBe(201);
		expect(body.customer).toMatchObject({ id: guestId, hasAccount: true });
		const rows = await testDb().select().from(schema.customers).where(eq(schema.customers.email, email));
		expect(rows).toHaveLength(1);
	});

	it("keeps storefront, merchant and store-scoped tokens apart, and logout ends the session", async () => {
		const email = `apart-${crypto.randomUUID()}@example.com`;
		const { accessToken } = (await (
			await postJson(`/v1/storefront/${storeA.slug}/account/signup`, { email, password: "shopper-password", name: "S" })
		).json()) as {
			accessToken: string;
		};
		await problemOf(await gateway("/v1/auth/me", bearer(accessToken)), 401);
		await problemOf(await gateway(`/v1/stores/${storeA.id}`, bearer(accessToken)), 401);
		await problemOf(await gateway(`/v1/storefront/${storeA.slug}/account`, bearer(storeA.merchantToken)), 401);

		expect(
			(await gateway(`/v1/storefront/${storeA.slug}/account/logout`, { method: "POST", ...bearer(accessToken) })).status,
		).toBe(204);
		expect((await problemOf(await gateway(`/v1/storefront/${storeA.slug}/account`, bearer(accessToken)), 401)).code).toBe(
			"session-revoked",
		);
	});

	it("validates input and answers 404 for an unknown store", async () => {
		const bad = await problemOf(
			await postJson(`/v1/storefront/${storeA.slug}/account/signup`, { email: "nope", password: "short", name: "<b>x</b>" }),
			422,
		);
		expect(bad.errors?.map((e) => e.path).sort()).toEqual(["email", "name", "password"]);
		await problemOf(
			await postJson("/v1/storefront/no-such-store/account/signup", { email: "a@b.co", password: "long-enough-pw", name: "A" }),
			404,
		);
	});
});
