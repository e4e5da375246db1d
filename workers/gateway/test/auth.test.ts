import { env } from "cloudflare:workers";
import { schema } from "@oja/db";
import { gateway, postJson, problemOf, signupInput, testDb } from "@oja/test-helpers";
import { eq, sql } from "drizzle-orm";
import { importJWK, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";

const ISSUER = "https://oja.dev";
const keys = (JSON.parse(env.TEST_SIGNING_KEYS) as { keys: (JWK & { kid: string })[] }).keys;
const [currentKey, previousKey] = keys as [JWK & { kid: string }, JWK & { kid: string }];

interface Signed {
	user: { id: string };
	store: { id: string };
	accessToken: string;
	cookies: Record<string, string>;
	setCookie: string[];
	password: string;
	email: string;
}

function cookiesOf(res: Response): { map: Record<string, string>; raw: string[] } {
	const raw = res.headers.getSetCookie();
	const map: Record<string, string> = {};
	for (const line of raw) {
		const [pair] = line.split(";");
		const [name, ...value] = (pair ?? "").split("=");
		if (name) map[name.trim()] = value.join("=");
	}
	return { map, raw };
}

async function signUp(): Promise<Signed> {
	const input = signupInput();
	const res = await postJson("/v1/auth/signup", input);
	const body = (await res.json()) as Omit<Signed, "cookies" | "setCookie" | "password" | "email">;
	expect(res.status, JSON.stringify(body)).toBe(201);
	const { map, raw } = cookiesOf(res);
	return { ...body, cookies: map, setCookie: raw, password: String(input.password), email: String(input.email) };
}

function me(token: string) {
	return gateway("/v1/auth/me", { headers: { authorization: `Bearer ${token}` } });
}

/**
 * Mints a token for a real, live session (so only verification can reject it) with any
 * claim or header overridden.
 */
async function mint(
	base: { sub: string; sid: string },
	overrides: Record<string, unknown> = {},
	options: { key?: JWK & { kid: string }; kid?: string } = {},
) {
	const key = options.key ?? currentKey;
	const now = Math.floor(Date.now() / 1000);
	const payload = {
		iss: ISSUER,
		aud: "merchant",
		jti: crypto.randomUUID(),
		iat: now,
		nbf: now,
		exp: now + 600,
		...base,
		...overrides,
	};
	return new SignJWT(payload)
		.setProtectedHeader({ alg: "ES256", kid: options.kid ?? key.kid, typ: "JWT" })
		.sign(await importJWK(key, "ES256"));
}

function claimsOf(token: string): { sub: string; sid: string } {
	const [, payload] = token.split(".");
	return JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string; sid: string };
}

/** Codes the gateway's verification gives; a session-check rejection would mean the forgery got through. */
const VERIFICATION_CODES = ["malformed", "invalid", "expired", "not-yet-valid", "unknown-key"];

function b64url(value: unknown): string {
	return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("signup and login", () => {
	it("signup signs the merchant in with an access token and secure session cookies", async () => {
		const s = await signUp();
		expect(s.accessToken.split(".")).toHaveLength(3);
		const session = s.setCookie.find((c) => c.startsWith("oja_session="));
		expect(session).toMatch(/HttpOnly/i);
		expect(session).toMatch(/Secure/i);
		expect(session).toMatch(/SameSite=Lax/i);
		expect(session).toMatch(/Path=\/v1\/auth/);
		expect(s.cookies.oja_session).toMatch(/^rt_/);
		expect(s.setCookie.find((c) => c.startsWith("oja_csrf="))).not.toMatch(/HttpOnly/i);

		const res = await me(s.accessToken);
		const body = (await res.json()) as { user: { id: string }; stores: { id: string; role: string }[] };
		expect(res.status).toBe(200);
		expect(body.user.id).toBe(s.user.id);
		expect(body.stores).toEqual([expect.objectContaining({ id: s.store.id, role: "owner" })]);
	});

	it("logs in with the right password and answers identically for a wrong password or unknown email", async () => {
		const s = await signUp();
		const ok = await postJson("/v1/auth/login", { email: s.email.toUpperCase(), password: s.password });
		const body = (await ok.json()) as { user: { id: string }; stores: { role: string }[]; accessToken: string };
		expect(ok.status).toBe(200);
		expect(body.user.id).toBe(s.user.id);
		expect(body.stores[0]?.role).toBe("owner");
		expect((await me(body.accessToken)).status).toBe(200);

		const wrong = await problemOf(await postJson("/v1/auth/login", { email: s.email, password: "wrong password!" }), 401);
		const unknown = await problemOf(
			await postJson("/v1/auth/login", { email: "nobody@example.com", password: "wrong password!" }),
			401,
		);
		const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
		expect(strip(wrong)).toEqual(strip(unknown));
		expect(wrong.code).toBe("invalid-credentials");
	});
});

describe("access token verification", () => {
	it("accepts tokens from the current and the previous (rotated-out) key", async () => {
		const s = await signUp();
		const claims = claimsOf(s.accessToken);
		expect((await me(await mint(claims))).status).toBe(200);
		expect((await me(await mint(claims, {}, { key: previousKey }))).status).toBe(200);
	});

	const now = () => Math.floor(Date.now() / 1000);
	const forged: [string, (claims: { sub: string; sid: string }) => Promise<string>][] = [
		[
			"alg none",
			async (c) =>
				`${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...c, aud: "merchant", iss: ISSUER, exp: now() + 600, iat: now(), jti: "x" })}.`,
		],
		[
			"HS256 signed with the public key",
			async (c) => {
				const { d: _d, ...publicJwk } = currentKey;
				const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
				return new SignJWT({ ...c, aud: "merchant", iss: ISSUER, jti: "x", iat: now(), exp: now() + 600 })
					.setProtectedHeader({ alg: "HS256", kid: currentKey.kid })
					.sign(secret);
			},
		],
		["expired", (c) => mint(c, { iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 })],
		["not yet valid", (c) => mint(c, { nbf: now() + 3600, exp: now() + 7200 })],
		["an unknown kid", (c) => mint(c, {}, { kid: "someone-elses-key" })],
		["the ops audience", (c) => mint(c, { aud: "ops" })],
		["the storefront audience", (c) => mint(c, { aud: "storefront" })],
		["another issuer", (c) => mint(c, { iss: "https://evil.example" })],
		["no expiry", (c) => mint(c, { exp: undefined })],
		[
			"a tampered payload",
			async (c) => {
				const [h, , sig] = (await mint(c)).split(".");
				return `${h}.${b64url({ ...c, aud: "merchant", iss: ISSUER, exp: now() + 86_400 * 365, iat: now(), jti: "x" })}.${sig}`;
			},
		],
		["garbage", async () => "not.a.jwt"],
	];
	for (const [what, make] of forged) {
		it(`refuses a token with ${what} (401)`, async () => {
			const s = await signUp();
			const problem = await problemOf(await me(await make(claimsOf(s.accessToken))), 401);
			expect(problem.type).toBe("https://oja.dev/problems/unauthorized");
			expect(VERIFICATION_CODES).toContain(problem.code);
		});
	}

	it("refuses a missing or malformed Authorization header", async () => {
		expect((await problemOf(await gateway("/v1/auth/me"), 401)).code).toBe("missing");
		const malformed = await gateway("/v1/auth/me", { headers: { authorization: "Token abc" } });
		expect((await problemOf(malformed, 401)).code).toBe("malformed");
	});
});

describe("refresh, reuse detection and logout", () => {
	it("rotates the refresh token, and a replayed old token signs the whole session out", async () => {
		const s = await signUp();
		const first = s.cookies.oja_session as string;
		const r1 = await postJson("/v1/auth/refresh", { refreshToken: first });
		expect(r1.status).toBe(200);
		const second = cookiesOf(r1).map.oja_session as string;
		expect(second).toMatch(/^rt_/);
		expect(second).not.toBe(first);
		const { accessToken } = (await r1.json()) as { accessToken: string };
		expect((await me(accessToken)).status).toBe(200);

		// A replay moments later is treated as a benign race: refused, session kept.
		expect((await problemOf(await postJson("/v1/auth/refresh", { refreshToken: first }), 401)).code).toBe(
			"refresh-token-rotated",
		);
		expect((await me(accessToken)).status).toBe(200);

		// Later, the same replay is theft: the session is revoked for everyone.
		await testDb().execute(sql`UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE rotated_at IS NOT NULL`);
		expect((await problemOf(await postJson("/v1/auth/refresh", { refreshToken: first }), 401)).code).toBe("refresh-token-reuse");
		expect((await problemOf(await postJson("/v1/auth/refresh", { refreshToken: second }), 401)).code).toBe("session-revoked");
		expect((await problemOf(await me(accessToken), 401)).code).toBe("session-revoked");
	});

	it("lets exactly one of two concurrent refreshes with the same token win", async () => {
		const s = await signUp();
		const token = s.cookies.oja_session as string;
		const results = await Promise.all([1, 2, 3].map(() => postJson("/v1/auth/refresh", { refreshToken: token })));
		expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
		const tokens = await testDb()
			.select()
			.from(schema.refreshTokens)
			.where(eq(schema.refreshTokens.sessionId, (await sessionOf(s.accessToken)) ?? ""));
		expect(tokens.filter((t) => t.rotatedAt === null)).toHaveLength(1);
	});

	it("needs the CSRF header to use cookies for a state change, and logout revokes the session", async () => {
		const s = await signUp();
		const cookie = `oja_access=${s.cookies.oja_access}; oja_session=${s.cookies.oja_session}; oja_csrf=${s.cookies.oja_csrf}`;
		// Reads with the cookie alone are fine.
		expect((await gateway("/v1/auth/me", { headers: { cookie } })).status).toBe(200);
		// A state change with the cookie but without the CSRF echo is refused and changes nothing.
		const forged = await gateway("/v1/auth/logout", { method: "POST", headers: { cookie } });
		expect((await problemOf(forged, 403)).code).toBe("csrf");
		expect((await me(s.accessToken)).status).toBe(200);

		const out = await gateway("/v1/auth/logout", {
			method: "POST",
			headers: { cookie, "x-csrf-token": s.cookies.oja_csrf as string },
		});
		expect(out.status).toBe(204);
		expect(cookiesOf(out).raw.some((c) => /^oja_session=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
		expect((await problemOf(await me(s.accessToken), 401)).code).toBe("session-revoked");
		expect((await problemOf(await postJson("/v1/auth/refresh", { refreshToken: s.cookies.oja_session }), 401)).code).toBe(
			"session-revoked",
		);
	});
});

async function sessionOf(accessToken: string): Promise<string | undefined> {
	const res = await me(accessToken);
	return ((await res.json()) as { sessionId?: string }).sessionId;
}

describe("sessions", () => {
	it("lists the caller's sessions and revokes one, but not someone else's", async () => {
		const s = await signUp();
		const other = await postJson("/v1/auth/login", { email: s.email, password: s.password });
		const otherToken = ((await other.json()) as { accessToken: string }).accessToken;
		const list = await gateway("/v1/auth/sessions", { headers: { authorization: `Bearer ${s.accessToken}` } });
		const { sessions } = (await list.json()) as { sessions: { id: string; current: boolean }[] };
		expect(sessions).toHaveLength(2);
		const otherSession = sessions.find((x) => !x.current);
		expect(otherSession).toBeDefined();

		const stranger = await signUp();
		const denied = await gateway(`/v1/auth/sessions/${otherSession?.id}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${stranger.accessToken}` },
		});
		await problemOf(denied, 404);
		expect((await me(otherToken)).status).toBe(200);

		const revoked = await gateway(`/v1/auth/sessions/${otherSession?.id}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${s.accessToken}` },
		});
		expect(revoked.status).toBe(204);
		expect((await problemOf(await me(otherToken), 401)).code).toBe("session-revoked");
		expect((await me(s.accessToken)).status).toBe(200);
	});

	it("publishes only public keys at /.well-known/jwks.json", async () => {
		const res = await gateway("/.well-known/jwks.json");
		const body = (await res.json()) as { keys: Record<string, unknown>[] };
		expect(body.keys.map((k) => k.kid)).toEqual([currentKey.kid, previousKey.kid]);
		for (const key of body.keys) {
			expect(key).not.toHaveProperty("d");
			expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
		}
	});
});
