import { schema } from "@oja/db";
import { gateway, postJson, problemOf, signupInput, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Tenancy and the role matrix, through the gateway: who can reach which store's data, with
// tokens, cookies and API keys.

interface Account {
	userId: string;
	storeId: string;
	storeName: string;
	email: string;
	token: string;
	cookies: Record<string, string>;
}

async function account(): Promise<Account> {
	const input = signupInput();
	const res = await postJson("/v1/auth/signup", input);
	const body = (await res.json()) as { user: { id: string }; store: { id: string; name: string }; accessToken: string };
	const cookies: Record<string, string> = {};
	for (const line of res.headers.getSetCookie()) {
		const [pair] = line.split(";");
		const [name, ...value] = (pair ?? "").split("=");
		if (name) cookies[name] = value.join("=");
	}
	return {
		userId: body.user.id,
		storeId: body.store.id,
		storeName: body.store.name,
		email: String(input.email),
		token: body.accessToken,
		cookies,
	};
}

function call(method: string, path: string, auth: Record<string, string>, body?: unknown): Promise<Response> {
	const headers: Record<string, string> = { ...auth };
	if (body !== undefined) headers["content-type"] = "application/json";
	return gateway(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookieAuth = (a: Account) => ({
	cookie: `oja_access=${a.cookies.oja_access}; oja_csrf=${a.cookies.oja_csrf}`,
	"x-csrf-token": a.cookies.oja_csrf as string,
});

async function createKey(owner: Account, role: "admin" | "staff") {
	const res = await call("POST", `/v1/stores/${owner.storeId}/api-keys`, bearer(owner.token), { name: `${role} key`, role });
	const body = (await res.json()) as { id: string; key: string; prefix: string };
	expect(res.status, JSON.stringify(body)).toBe(201);
	return body;
}

let a: Account;
let b: Account;
let staff: Account;
let admin: Account;
let aKey: { id: string; key: string };
let bKey: { id: string; key: string; prefix: string };

beforeAll(async () => {
	[a, b, staff, admin] = await Promise.all([account(), account(), account(), account()]);
	for (const [who, role] of [
		[staff, "staff"],
		[admin, "admin"],
	] as const) {
		const res = await call("POST", `/v1/stores/${a.storeId}/members`, bearer(a.token), { email: who.email, role });
		expect(res.status, await res.clone().text()).toBe(201);
	}
	aKey = await createKey(a, "admin");
	bKey = await createKey(b, "admin");
});

/** Every store-scoped route, with what it needs to be called against `store`. */
function storeRoutes(store: Account, key: { id: string }): [string, string, unknown?][] {
	return [
		["GET", `/v1/stores/${store.storeId}`],
		["PATCH", `/v1/stores/${store.storeId}`, { name: "Renamed" }],
		["GET", `/v1/stores/${store.storeId}/members`],
		["POST", `/v1/stores/${store.storeId}/members`, { email: "someone@example.com", role: "staff" }],
		["DELETE", `/v1/stores/${store.storeId}/members/${store.userId}`],
		["POST", `/v1/stores/${store.storeId}/api-keys`, { name: "x", role: "staff" }],
		["GET", `/v1/stores/${store.storeId}/api-keys`],
		["DELETE", `/v1/stores/${store.storeId}/api-keys/${key.id}`],
	];
}

describe("cross-tenant isolation", () => {
	const credentials: [string, () => Record<string, string>][] = [
		["token", () => bearer(a.token)],
		["cookie", () => cookieAuth(a)],
		["API key", () => bearer(aKey.key)],
	];
	for (const [kind, auth] of credentials) {
		it(`store A's ${kind} gets 403/404 and none of B's data on every route of store B`, async () => {
			const before = await testDb().select().from(schema.stores).where(eq(schema.stores.id, b.storeId));
			for (const [method, path, body] of storeRoutes(b, bKey)) {
				const res = await call(method, path, auth(), body);
				const text = await res.text();
				expect([403, 404], `${kind} ${method} ${path} → ${res.status} ${text}`).toContain(res.status);
				expect(res.headers.get("content-type")).toContain("application/problem+json");
				for (const secret of [b.storeName, b.email, bKey.prefix.slice(0, 10), b.userId]) expect(text).not.toContain(secret);
			}
			// Nothing of B's changed.
			expect(await testDb().select().from(schema.stores).where(eq(schema.stores.id, b.storeId))).toEqual(before);
			expect((await call("GET", `/v1/stores/${b.storeId}/api-keys`, bearer(b.token))).status).toBe(200);
			const bKeys = (await (await call("GET", `/v1/stores/${b.storeId}/api-keys`, bearer(b.token))).json()) as {
				apiKeys: { id: string }[];
			};
			expect(bKeys.apiKeys.map((k) => k.id)).toContain(bKey.id);
		});
	}

	it("answers a made-up store id exactly like someone else's store", async () => {
		const other = await problemOf(await call("GET", `/v1/stores/${b.storeId}`, bearer(a.token)), 404);
		const missing = await problemOf(await call("GET", "/v1/stores/st_01JZZZZZZZZZZZZZZZZZZZZZZZ", bearer(a.token)), 404);
		expect({ ...other, requestId: "" }).toEqual({ ...missing, requestId: "" });
	});

	it("requires authentication on store routes", async () => {
		await problemOf(await call("GET", `/v1/stores/${a.storeId}`, {}), 401);
	});
});

describe("role matrix", () => {
	// Expected status per route for each role, in the order of storeRoutes():
	// read, update, list team, add member, remove member, create key, list keys, revoke key.
	const allowed: Record<string, boolean[]> = {
		owner: [true, true, true, true, true, true, true, true],
		admin: [true, true, true, true, true, true, true, true],
		staff: [true, false, true, false, false, false, false, false],
	};

	for (const role of ["admin", "staff"] as const) {
		it(`${role}: allowed routes succeed, the rest answer 403 and change nothing`, async () => {
			const member = role === "admin" ? admin : staff;
			const target = await account();
			await call("POST", `/v1/stores/${a.storeId}/members`, bearer(a.token), { email: target.email, role: "staff" });
			const key = await createKey(a, "staff");
			const routes: [string, string, unknown?][] = [
				["GET", `/v1/stores/${a.storeId}`],
				["PATCH", `/v1/stores/${a.storeId}`, { name: `Renamed by ${role}` }],
				["GET", `/v1/stores/${a.storeId}/members`],
				["POST", `/v1/stores/${a.storeId}/members`, { email: (await account()).email, role: "staff" }],
				["DELETE", `/v1/stores/${a.storeId}/members/${target.userId}`],
				["POST", `/v1/stores/${a.storeId}/api-keys`, { name: "x", role: "staff" }],
				["GET", `/v1/stores/${a.storeId}/api-keys`],
				["DELETE", `/v1/stores/${a.storeId}/api-keys/${key.id}`],
			];
			for (const [i, [method, path, body]] of routes.entries()) {
				const res = await call(method, path, bearer(member.token), body);
				const text = await res.text();
				if (allowed[role]?.[i]) expect(res.status, `${role} ${method} ${path}: ${text}`).toBeLessThan(300);
				else expect(res.status, `${role} ${method} ${path}: ${text}`).toBe(403);
			}
		});
	}

	it("a secret API key acts exactly as its role", async () => {
		const staffKey = await createKey(a, "staff");
		expect((await call("GET", `/v1/stores/${a.storeId}`, bearer(staffKey.key))).status).toBe(200);
		await problemOf(await call("PATCH", `/v1/stores/${a.storeId}`, bearer(staffKey.key), { name: "Nope" }), 403);
		await problemOf(await call("GET", `/v1/stores/${a.storeId}/api-keys`, bearer(staffKey.key)), 403);
		// …and an admin key can update the store, but never manage the team (api-keys.test.ts).
		const adminKey = await createKey(a, "admin");
		expect((await call("PATCH", `/v1/stores/${a.storeId}`, bearer(adminKey.key), { name: "By key" })).status).toBe(200);
		const newcomer = await account();
		await problemOf(
			await call("POST", `/v1/stores/${a.storeId}/members`, bearer(adminKey.key), { email: newcomer.email, role: "staff" }),
			403,
		);
	});

	it("admins cannot create or remove owners or other admins; owners can", async () => {
		const candidate = await account();
		await problemOf(
			await call("POST", `/v1/stores/${a.storeId}/members`, bearer(admin.token), { email: candidate.email, role: "owner" }),
			403,
		);
		await problemOf(await call("DELETE", `/v1/stores/${a.storeId}/members/${a.userId}`, bearer(admin.token)), 403);
		expect(
			(await call("POST", `/v1/stores/${a.storeId}/members`, bearer(a.token), { email: candidate.email, role: "admin" })).status,
		).toBe(201);
		await problemOf(
			await call("POST", `/v1/stores/${a.storeId}/members`, bearer(a.token), { email: candidate.email, role: "staff" }),
			409,
		);
	});
});

describe("API keys", () => {
	it("are shown once, stored hashed, record their last use and stop working when revoked", async () => {
		const key = await createKey(a, "admin");
		expect(key.key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/);
		const [row] = await testDb().select().from(schema.apiKeys).where(eq(schema.apiKeys.id, key.id));
		expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(row)).not.toContain(key.key);

		const list = (await (await call("GET", `/v1/stores/${a.storeId}/api-keys`, bearer(a.token))).json()) as {
			apiKeys: Record<string, unknown>[];
		};
		expect(JSON.stringify(list)).not.toContain(key.key);

		expect((await call("GET", `/v1/stores/${a.storeId}`, bearer(key.key))).status).toBe(200);
		await new Promise((r) => setTimeout(r, 300));
		const [used] = await testDb().select().from(schema.apiKeys).where(eq(schema.apiKeys.id, key.id));
		expect(used?.lastUsedAt).toBeInstanceOf(Date);

		expect((await call("DELETE", `/v1/stores/${a.storeId}/api-keys/${key.id}`, bearer(a.token))).status).toBe(204);
		expect((await problemOf(await call("GET", `/v1/stores/${a.storeId}`, bearer(key.key)), 401)).code).toBe("invalid-api-key");
	});

	it("cannot call user-only routes", async () => {
		expect((await problemOf(await call("GET", "/v1/auth/me", bearer(aKey.key)), 401)).code).toBe("api-key-not-accepted");
	});

	it("validates creation input", async () => {
		const noRole = await problemOf(
			await call("POST", `/v1/stores/${a.storeId}/api-keys`, bearer(a.token), { name: "x", kind: "secret" }),
			422,
		);
		expect(noRole.errors?.[0]?.path).toBe("role");
		await problemOf(await call("POST", `/v1/stores/${a.storeId}/api-keys`, bearer(a.token), { name: "x", role: "owner" }), 422);
	});
});
