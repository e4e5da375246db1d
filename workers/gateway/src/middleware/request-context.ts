import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { GatewayEnv } from "../app-env.ts";

// A client (or an upstream proxy) may send its own id so logs can be joined across
// systems; anything that is not a short token is replaced rather than logged verbatim.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function newRequestId(): string {
	return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Assigns the request id (echoed as `x-request-id`) and writes exactly one structured log
 * line per request when it finishes. Workers Logs indexes JSON lines, so these are queryable
 * by route, status and store.
 */
export const requestContext = createMiddleware<GatewayEnv>(async (c, next) => {
	const started = performance.now();
	const incoming = c.req.header("x-request-id");
	const requestId = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
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
