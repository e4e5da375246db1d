import { ACCESS_TOKEN_TTL_SECONDS } from "@oja/auth";
import type { ClientMeta, IssuedTokens } from "@oja/contracts";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { GatewayEnv } from "./app-env.ts";
import { ACCESS_COOKIE, CSRF_COOKIE } from "./middleware/authenticate.ts";

export const SESSION_COOKIE = "oja_session";
// The refresh token is only ever needed by /v1/auth/*, so the browser sends it nowhere else.
const SESSION_COOKIE_PATH = "/v1/auth";

function randomToken(): string {
	return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Browser sessions: the refresh token and the access token in HttpOnly cookies (script
 * cannot read them), plus a readable CSRF token the page echoes in `x-csrf-token`.
 */
export function setSessionCookies(c: Context<GatewayEnv>, tokens: IssuedTokens): void {
	const common = { httpOnly: true, secure: true, sameSite: "Lax" } as const;
	setCookie(c, SESSION_COOKIE, tokens.refreshToken, {
		...common,
		path: SESSION_COOKIE_PATH,
		expires: new Date(tokens.refreshExpiresAt),
	});
	setCookie(c, ACCESS_COOKIE, tokens.accessToken, { ...common, path: "/", maxAge: ACCESS_TOKEN_TTL_SECONDS.merchant });
	setCookie(c, CSRF_COOKIE, randomToken(), {
		secure: true,
		sameSite: "Lax",
		path: "/",
		expires: new Date(tokens.refreshExpiresAt),
	});
}

export function clearSessionCookies(c: Context<GatewayEnv>): void {
	deleteCookie(c, SESSION_COOKIE, { path: SESSION_COOKIE_PATH, secure: true });
	deleteCookie(c, ACCESS_COOKIE, { path: "/", secure: true });
	deleteCookie(c, CSRF_COOKIE, { path: "/", secure: true });
}

export function clientMeta(c: Context<GatewayEnv>): ClientMeta {
	return { userAgent: c.req.header("user-agent") ?? null, ip: c.req.header("cf-connecting-ip") ?? null };
}
