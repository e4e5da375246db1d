import { ProblemError, problem } from "@oja/contracts";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";

// Workers Rate Limiting counts per Cloudflare location and is eventually consistent, so a
// client spread over locations can exceed a limit somewhat. That is the right trade for
// abuse protection on hot public paths (no extra hop, no single-writer bottleneck). Where
// the count must be exact — locking an account after repeated failed logins — identity
// uses a Durable Object instead.

type Limiter = "PUBLIC_RATE_LIMITER" | "AUTH_RATE_LIMITER" | "API_KEY_RATE_LIMITER";

/** Every limiter's period, in seconds (Workers Rate Limiting allows 10 or 60). */
const PERIOD_SECONDS = 60;

/** The client's address as Cloudflare's edge reports it (clients cannot set this header there). */
export function clientIp(c: Context<GatewayEnv>): string {
	return c.req.header("cf-connecting-ip") ?? "local";
}

export async function enforceLimit(c: Context<GatewayEnv>, limiter: Limiter, key: string, what: string): Promise<void> {
	const { success } = await c.env[limiter].limit({ key });
	if (!success) {
		// problemResponse turns `retryAfter` into the Retry-After header.
		throw new ProblemError(
			problem("rate-limited", `Too many ${what}; try again in ${PERIOD_SECONDS} seconds.`, {
				extensions: { code: "rate-limited", retryAfter: PERIOD_SECONDS },
			}),
		);
	}
}

/** Route-group middleware: limits each client IP on the given limiter. */
export function limitByIp(limiter: Limiter, what: string) {
	return createMiddleware<GatewayEnv>(async (c, next) => {
		await enforceLimit(c, limiter, `${limiter}:${clientIp(c)}`, what);
		await next();
	});
}

/**
 * The per-IP storefront limit, for requests that reach the origin. Edge-cache hits skip it:
 * the limit exists to protect the database and domain Workers, and a hit touches neither.
 */
export function limitStorefrontOrigin(c: Context<GatewayEnv>): Promise<void> {
	return enforceLimit(c, "PUBLIC_RATE_LIMITER", `PUBLIC_RATE_LIMITER:${clientIp(c)}`, "requests from your network");
}
