import { PROBLEM_BASE_URI, type Problem, ProblemError, problem, type Result } from "@oja/contracts";
import { clientAddress } from "@oja/edge-cache";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { StorefrontEnv } from "./app-env.ts";

// The HTTP conventions the pages had in the gateway, kept the same here: a request id on every
// response and one JSON log line per request, errors the pages do not render themselves as
// problem+json, and the per-IP public limit (the gateway's namespace, so one budget for both).

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const PERIOD_SECONDS = 60;

/** Renders a Problem as RFC 9457 JSON with the request id (the gateway's problemResponse). */
export function problemResponse(p: Problem, requestId: string, headers: HeadersInit = {}): Response {
	const body: Record<string, unknown> = {
		type: `${PROBLEM_BASE_URI}${p.type}`,
		title: p.title,
		status: p.status,
		requestId,
	};
	if (p.detail !== undefined) body.detail = p.detail;
	if (p.errors && p.errors.length > 0) body.errors = p.errors;
	if (p.extensions) Object.assign(body, p.extensions);
	const h = new Headers(headers);
	h.set("content-type", "application/problem+json");
	h.set("cache-control", "no-store");
	const retryAfter = p.extensions?.retryAfter;
	if (typeof retryAfter === "number") h.set("retry-after", String(Math.max(1, Math.ceil(retryAfter))));
	return new Response(JSON.stringify(body), { status: p.status, headers: h });
}

/**
 * Assigns the request id (the client's, when it is a short token, so logs join across systems)
 * and writes exactly one structured log line per request when it finishes.
 */
export const requestContext = createMiddleware<StorefrontEnv>(async (c, next) => {
	const started = performance.now();
	const incoming = c.req.header("x-request-id");
	const requestId =
		incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll("-", "")}`;
	c.set("requestId", requestId);
	try {
		await next();
	} finally {
		c.res.headers.set("x-request-id", requestId);
		console.log(
			JSON.stringify({
				level: c.res.status >= 500 ? "error" : "info",
				msg: "request",
				requestId,
				method: c.req.method,
				route: routePath(c),
				path: c.req.path,
				status: c.res.status,
				// Workers advance timers only across I/O (a Spectre mitigation): this is time spent waiting.
				durationMs: Math.round((performance.now() - started) * 100) / 100,
				storeId: c.get("storeId") ?? null,
			}),
		);
	}
});

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
