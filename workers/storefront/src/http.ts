import { ProblemError, problem, type Result } from "@oja/contracts";
import { clientAddress } from "@oja/edge-cache";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { StorefrontEnv } from "./app-env.ts";

// The per-IP public limit (the gateway's namespace, so one budget for both) and unwrapping a domain
// Worker's Result; the request id, log line and problem+json conventions are @oja/http-conventions.

const PERIOD_SECONDS = 60;

/** Counts one request against the caller's per-IP public limit; 429 once it is over. */
export async function limitPublic(c: Context<StorefrontEnv>): Promise<void> {
	const { success } = await c.env.PUBLIC_RATE_LIMITER.limit({
		key: `PUBLIC_RATE_LIMITER:${clientAddress(c.req.header("cf-connecting-ip"))}`,
	});
	if (!success) {
		throw new ProblemError(
			problem("rate-limited", `Too many requests from your network; try again in ${PERIOD_SECONDS} seconds.`, {
				extensions: { code: "rate-limited", retryAfter: PERIOD_SECONDS },
			}),
		);
	}
}

/** Route middleware: the per-IP public limit on every request (cart and checkout reach the origin every time). */
export const publicLimit = createMiddleware<StorefrontEnv>(async (c, next) => {
	await limitPublic(c);
	await next();
});

/** The value of a domain Worker's Result, or its problem thrown for the page (or onError) to render. */
export function unwrap<T>(result: Result<T>): T {
	if (!result.ok) throw new ProblemError(result.problem);
	return result.value;
}
