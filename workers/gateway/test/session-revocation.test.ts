import { schema } from "@oja/db";
import { asMerchant, postJson, problemOf, signupInput, testDb } from "@oja/test-helpers";
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

// Issue 8, defect 5: an access token outlives its session by up to 15 minutes unless the
// routes that use it check the session. Store access (one round trip to identity on every
// /v1/stores/{id}/… request) checks it, so every way a session ends cuts store access at once.

interface Signed {
	storeId: string;
	email: string;
	password: string;
	token: string;
	refreshToken: string;
	sessionId: string;
}

function cookie(res: Response, name: string): string {
	for (const line of res.headers.getSetCookie()) {
		const [pair] = line.split(";");
		const [key, ...value] = (pair ?? "").split("=");
		if (key === name) return value.join("=");
	}
	throw new Error(`no ${name} cookie`);
}

function sessionOf(token: string): string {
	const payload = JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { sid: string };
	return payload.sid;
}

async function signUp(): Promise<Signed> {
	const input = signupInput();
	const res = await postJson("/v1/auth/signup", input);
	const body = (await res.json()) as { store: { id: string }; accessToken: string };
	expect(res.status).toBe(201);
	return {
		storeId: body.store.id,
		email: String(input.email),
		password: String(input.password),
		token: body.accessToken,
		refreshToken: cookie(res, "oja_session"),
		sessionId: sessionOf(body.accessToken),
	};
}

async function logIn(who: Signed): Promise<Signed> {
	const res = await postJson("/v1/auth/login", { email: who.email, password: who.password });
	const body = (await res.json()) as { accessToken: string };
	expect(res.status).toBe(200);
	return { ...who, token: body.accessToken, refreshToken: cookie(res, "oja_session"), sessionId: sessionOf(body.accessToken) };
}

/** Store routes that read, write, and mint a permanent credential. */
async function storeStatuses(token: string, storeId: string): Promise<number[]> {
	const m = { token };
	const responses = [
		await asMerchant(m, "GET", `/v1/stores/${storeId}`),
		await asMerchant(m, "PATCH", `/v1/stores/${storeId}`, { name: "Renamed after sign-out" }),
		await asMerchant(m, "GET", `/v1/stores/${storeId}/products`),
		await asMerchant(m, "POST", `/v1/stores/${storeId}/api-keys`, { name: "left behind", role: "admin" }),
	];
	return responses.map((r) => r.status);
}

async function expectCutOff(token: string, storeId: string): Promise<void> {
	const keysBefore = await testDb().select().from(schema.apiKeys).where(eq(schema.apiKeys.storeId, storeId));
	const [storeBefore] = await testDb().select().from(schema.stores).where(eq(schema.stores.id, storeId));
	expect(await storeStatuses(token, storeId)).toEqual([401, 401, 401, 401]);
	const problem = await problemOf(await asMerchant({ token }, "GET", `/v1/stores/${storeId}`), 401);
	expect(problem.code).toBe("session-revoked");
	// Nothing was written: no key minted, no rename.
	expect(await testDb().select().from(schema.apiKeys).where(eq(schema.apiKeys.storeId, storeId))).toEqual(keysBefore);
	expect((await testDb().select().from(schema.stores).where(eq(schema.stores.id, storeId)))[0]).toEqual(storeBefore);
}

describe("ending a session ends its store access at once", () => {
	it("logout", async () => {
		const m = await signUp();
		expect((await asMerchant(m, "GET", `/v1/stores/${m.storeId}`)).status).toBe(200);
		expect((await asMerchant(m, "POST", "/v1/auth/logout")).status).toBe(204);
		await expectCutOff(m.token, m.storeId);
	});

	it("revoking the session by id from another session", async () => {
		const first = await signUp();
		const second = await logIn(first);
		expect((await asMerchant(first, "GET", `/v1/stores/${first.storeId}`)).status).toBe(200);
		expect((await asMerchant(second, "DELETE", `/v1/auth/sessions/${first.sessionId}`)).status).toBe(204);
		await expectCutOff(first.token, first.storeId);
		// The signed-out token can no longer see or end the owner's other sessions either.
		await problemOf(await asMerchant(first, "GET", "/v1/auth/sessions"), 401);
		await problemOf(await asMerchant(first, "DELETE", `/v1/auth/sessions/${second.sessionId}`), 401);
		// The other session is untouched.
		expect((await asMerchant(second, "GET", `/v1/stores/${second.storeId}`)).status).toBe(200);
	});

	it("refresh-token reuse detection", async () => {
		const m = await signUp();
		const refreshed = await postJson("/v1/auth/refresh", { refreshToken: m.refreshToken });
		expect(refreshed.status).toBe(200);
		const { accessToken } = (await refreshed.json()) as { accessToken: string };
		expect((await asMerchant({ token: accessToken }, "GET", `/v1/stores/${m.storeId}`)).status).toBe(200);
		// Past the 10 s grace for racing tabs: presenting the rotated token again is a replay.
		await testDb()
			.update(schema.refreshTokens)
			.set({ rotatedAt: sql`now() - interval '1 minute'` })
			.where(and(eq(schema.refreshTokens.sessionId, m.sessionId), isNotNull(schema.refreshTokens.rotatedAt)));
		const replay = await problemOf(await postJson("/v1/auth/refresh", { refreshToken: m.refreshToken }), 401);
		expect(replay.code).toBe("refresh-token-reuse");
		// Both the original and the refreshed access token lose the store.
		await expectCutOff(accessToken, m.storeId);
		await expectCutOff(m.token, m.storeId);
	});
});
