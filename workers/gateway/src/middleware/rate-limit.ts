import { ProblemError, problem } from "@oja/contracts";
import { clientAddress } from "@oja/edge-cache";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";

// Workers Rate Limiting counts per Cloudflare location and is eventually consistent, so a
// client spread over locations can exceed a limit somewhat. That is the right trade for
// abuse protection on hot public paths (no extra hop, no single-writer bottleneck). Where
// the count must be exact — locking an account after repeated failed logins — identity
// uses a Durable Object instead.

type Limiter = "PUBLIC_RATE_LIMITER" | "AUTH_RATE_LIMITER" | "API_KEY_RATE_LIMITER" | "CREDENTIAL_FAILURE_RATE_LIMITER";

/** Every limiter's period, in seconds (Workers Rate Limiting allows 10 or 60). */
const PERIOD_SECONDS = 60;

/** Who a per-address limit counts (IPv6 by its /64; see @oja/edge-cache client-address.ts). */
export function clientIp(c: Context<GatewayEnv>): string {
	return clientAddress(c.req.header("cf-connecting-ip"));
}

function tooMany(what: string): ProblemError {
	// problemResponse turns `retryAfter` into the Retry-After header.
	return new ProblemError(
		problem("rate-limited", `Too many ${what}; try again in ${PERIOD_SECONDS} seconds.`, {
			extensions: { code: "rate-limited", retryAfter: PERIOD_SECONDS },
		}),
	);
}

export async function enforceLimit(c: Context<GatewayEnv>, limiter: Limiter, key: string, what: string): Promise<void> {
	const { success } = await c.env[limiter].limit({ key });
	if (!success) throw tooMany(what);
}

// Failed credential checks per IP. An API key can only be checked by looking it up in the
// database, so random keys would otherwise buy a lookup each. The limiter has no "peek", so it
// counts failures only (a call per failure), and an address that goes over is remembered in
// this isolate until its period ends: its next keys are refused before any lookup. Another
// isolate learns it on that address's first failure there (the limiter's count is shared per
// location), so past the limit an address gets at most one lookup per isolate per period.
const FAILED_CREDENTIALS = "failed credential checks from your network";
const MAX_REMEMBERED = 10_000;
const refusedUntil = new Map<string, number>();

/** Refuses, without any lookup, a credential from an address that used up its failures. */
export function refuseIfTooManyFailures(c: Context<GatewayEnv>): void {
	const ip = clientIp(c);
	const until = refusedUntil.get(ip);
	if (until === undefined) return;
	if (until > Date.now()) throw tooMany(FAILED_CREDENTIALS);
	refusedUntil.delete(ip);
}

/** Counts one failed credential check for the caller's address; throws 429 once it is over the limit. */
export async function countCredentialFailure(c: Context<GatewayEnv>): Promise<void> {
	const ip = clientIp(c);
	const { success } = await c.env.CREDENTIAL_FAILURE_RATE_LIMITER.limit({ key: `CREDENTIAL_FAILURE_RATE_LIMITER:${ip}` });
	if (success) return;
	// Bounded: the oldest entry goes first (a Map iterates in insertion order).
	if (refusedUntil.size >= MAX_REMEMBERED) refusedUntil.delete(refusedUntil.keys().next().value as string);
	refusedUntil.set(ip, Date.now() + PERIOD_SECONDS * 1000);
	throw tooMany(FAILED_CREDENTIALS);
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
