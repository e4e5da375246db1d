import { AccessTokenError, type Audience, type PublicJwk, verifyAccessToken } from "@oja/auth";
import {
	type ApiKeyPrincipal,
	type CustomerPrincipal,
	type OperatorPrincipal,
	type Principal,
	ProblemError,
	problem,
	type UserPrincipal,
} from "@oja/contracts";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";
import { unwrap } from "../validate.ts";
import { countCredentialFailure, enforceLimit, refuseIfTooManyFailures } from "./rate-limit.ts";

export const ACCESS_COOKIE = "oja_access";
export const CSRF_COOKIE = "oja_csrf";
export const CSRF_HEADER = "x-csrf-token";

// The public keys rarely change, so one fetch per isolate serves every request; an unknown
// `kid` (a key rotated in after we cached) triggers one refetch, at most every 30 s so a
// flood of forged kids cannot turn into a flood of RPCs.
const JWKS_TTL_MS = 5 * 60_000;
const REFETCH_FLOOR_MS = 30_000;
let jwks: { keys: PublicJwk[]; fetchedAt: number } | undefined;

async function publicKeys(c: Context<GatewayEnv>, force = false): Promise<PublicJwk[]> {
	const now = Date.now();
	const stale = !jwks || now - jwks.fetchedAt > JWKS_TTL_MS;
	const mayRefetch = !jwks || now - jwks.fetchedAt > REFETCH_FLOOR_MS;
	if (stale || (force && mayRefetch)) {
		const { keys } = await c.env.IDENTITY.jwks();
		jwks = { keys, fetchedAt: now };
	}
	return (jwks as { keys: PublicJwk[] }).keys;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

type Credential = { kind: "jwt"; token: string; viaCookie: boolean } | { kind: "api_key"; key: string };

function credentialFrom(c: Context<GatewayEnv>): Credential | undefined {
	const header = c.req.header("authorization");
	if (header !== undefined) {
		const apiKey = /^Bearer ((?:sk|pk)_(?:live|test)_[A-Za-z0-9_-]{32,64})$/.exec(header);
		if (apiKey?.[1]) return { kind: "api_key", key: apiKey[1] };
		const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header);
		if (!match?.[1]) throw unauthorized("The Authorization header must be `Bearer <token>`.", "malformed");
		return { kind: "jwt", token: match[1], viaCookie: false };
	}
	const cookie = getCookie(c, ACCESS_COOKIE);
	return cookie ? { kind: "jwt", token: cookie, viaCookie: true } : undefined;
}

function unauthorized(detail: string, code: string): ProblemError {
	return new ProblemError(problem("unauthorized", detail, { extensions: { code } }));
}

/**
 * Browsers attach cookies to cross-site requests, so a cookie alone never authorises a
 * state change: the page must also echo the CSRF cookie in a header (double submit), which
 * a cross-site page cannot read.
 */
export function checkCsrf(c: Context<GatewayEnv>): void {
	if (!UNSAFE.has(c.req.method)) return;
	const cookie = getCookie(c, CSRF_COOKIE);
	const header = c.req.header(CSRF_HEADER);
	if (!cookie || !header || cookie !== header) {
		throw new ProblemError(
			problem(
				"forbidden",
				`Cookie-authenticated ${c.req.method} requests must send the ${CSRF_COOKIE} cookie's value in ${CSRF_HEADER}.`,
				{
					extensions: { code: "csrf" },
				},
			),
		);
	}
}

/** Verifies the access token for `audience` and puts the principal on the context. */
export async function verifyPrincipal(c: Context<GatewayEnv>, audience: Audience): Promise<UserPrincipal | undefined> {
	const found = credentialFrom(c);
	if (!found) return undefined;
	if (found.kind === "api_key")
		throw unauthorized("This route needs a user's access token, not an API key.", "api-key-not-accepted");
	return verifyJwt(c, found.token, found.viaCookie, audience);
}

/** Like verifyPrincipal, but also accepts a secret API key (store-scoped server-to-server calls). */
export async function verifyPrincipalOrApiKey(c: Context<GatewayEnv>, audience: Audience): Promise<Principal | undefined> {
	const found = credentialFrom(c);
	if (!found) return undefined;
	if (found.kind === "jwt") return verifyJwt(c, found.token, found.viaCookie, audience);
	refuseIfTooManyFailures(c);
	if (!found.key.startsWith("sk_live_")) {
		// Test-mode and publishable keys were removed (issue 8): refused without a lookup.
		await countCredentialFailure(c);
		throw unauthorized(
			"Only secret live keys (sk_live_…) exist; test-mode and publishable keys were removed.",
			"api-key-kind-removed",
		);
	}
	let principal: ApiKeyPrincipal;
	try {
		principal = unwrap(await c.env.IDENTITY.authenticateApiKey(found.key, { requestId: c.get("requestId") }));
	} catch (error) {
		if (error instanceof ProblemError && error.problem.status === 401) await countCredentialFailure(c);
		throw error;
	}
	await enforceLimit(c, "API_KEY_RATE_LIMITER", principal.keyId, "requests with this API key");
	c.set("principal", principal);
	return principal;
}

/**
 * Operator tokens (audience `ops`) are accepted only as a Bearer header: no cookies (so no
 * CSRF surface) and never an API key.
 */
export async function verifyOperator(c: Context<GatewayEnv>): Promise<OperatorPrincipal | undefined> {
	const found = credentialFrom(c);
	if (!found) return undefined;
	if (found.kind !== "jwt" || found.viaCookie)
		throw unauthorized("Operators authenticate with `Authorization: Bearer <ops token>`.", "invalid");
	const verified = await verifyToken(c, found.token, "ops");
	const principal: OperatorPrincipal = { kind: "operator", operatorId: verified.sub, loginId: verified.sid };
	c.set("principal", principal);
	return principal;
}

/** A shopper's storefront token (Bearer only), bound to the store it was issued for. */
export async function verifyCustomer(c: Context<GatewayEnv>): Promise<CustomerPrincipal | undefined> {
	const found = credentialFrom(c);
	if (!found) return undefined;
	if (found.kind !== "jwt" || found.viaCookie)
		throw unauthorized("Shoppers authenticate with `Authorization: Bearer <storefront token>`.", "invalid");
	const verified = await verifyToken(c, found.token, "storefront");
	if (!verified.store) throw unauthorized("The access token is not valid.", "invalid");
	const principal: CustomerPrincipal = {
		kind: "customer",
		customerId: verified.sub,
		sessionId: verified.sid,
		storeId: verified.store,
	};
	c.set("principal", principal);
	return principal;
}

async function verifyToken(c: Context<GatewayEnv>, token: string, audience: Audience) {
	const issuer = c.env.AUTH_ISSUER;
	try {
		return await verifyAccessToken(token, { publicJwks: await publicKeys(c), issuer, audience });
	} catch (error) {
		if (!(error instanceof AccessTokenError && error.reason === "unknown-key")) throw toProblem(error);
		try {
			return await verifyAccessToken(token, { publicJwks: await publicKeys(c, true), issuer, audience });
		} catch (retryError) {
			throw toProblem(retryError);
		}
	}
}

async function verifyJwt(c: Context<GatewayEnv>, token: string, viaCookie: boolean, audience: Audience): Promise<UserPrincipal> {
	const verified = await verifyToken(c, token, audience);
	if (viaCookie) checkCsrf(c);
	const principal: UserPrincipal = { kind: "user", userId: verified.sub, sessionId: verified.sid, audience };
	c.set("principal", principal);
	return principal;
}

function toProblem(error: unknown): ProblemError {
	if (error instanceof AccessTokenError) {
		const detail = error.reason === "expired" ? "The access token has expired; refresh it." : "The access token is not valid.";
		return unauthorized(detail, error.reason);
	}
	return unauthorized("The access token is not valid.", "invalid");
}

/** Route middleware: 401 unless a valid token for `audience` is presented. */
export function requireAuth(audience: Audience) {
	return createMiddleware<GatewayEnv>(async (c, next) => {
		const principal = await verifyPrincipal(c, audience);
		if (!principal) {
			throw new ProblemError(
				problem("unauthorized", "Send an access token as `Authorization: Bearer <token>`.", { extensions: { code: "missing" } }),
			);
		}
		await next();
	});
}
