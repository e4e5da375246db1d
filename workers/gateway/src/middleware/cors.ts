import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";
import { CSRF_HEADER } from "./authenticate.ts";

const ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
// The CSRF header is how a cookie-signed-in page on an allowed origin makes unsafe requests
// (double submit, see authenticate.ts): without it here every such preflight would fail.
const ALLOW_HEADERS = ["content-type", "authorization", "x-request-id", "idempotency-key", CSRF_HEADER];
const EXPOSE_HEADERS = "x-request-id, retry-after";

/**
 * CORS for configured origins only, with credentials.
 *
 * Preflights go through Hono's `cors()`. Actual requests do not: it sets headers on
 * `c.res` before the handler runs, which makes Hono build a placeholder Response and copy
 * it into the real one — measured at ~85 µs of CPU per request, a sixth of the gateway's
 * budget (docs/benchmarks.md). Here the headers are added once, after the handler, and only
 * when the Origin is allowed.
 */
export function corsFor(origins: ReadonlySet<string>) {
	const preflight = honoCors({
		origin: (origin) => (origins.has(origin) ? origin : null),
		allowMethods: ALLOW_METHODS,
		allowHeaders: ALLOW_HEADERS,
		exposeHeaders: EXPOSE_HEADERS.split(", "),
		credentials: true,
		maxAge: 600,
	});
	return createMiddleware<GatewayEnv>(async (c, next) => {
		if (c.req.method === "OPTIONS") return preflight(c, next);
		await next();
		// Responses differ by Origin, so shared caches must key on it.
		c.res.headers.append("vary", "Origin");
		const origin = c.req.header("origin");
		if (origin && origins.has(origin)) {
			c.res.headers.set("access-control-allow-origin", origin);
			c.res.headers.set("access-control-allow-credentials", "true");
			c.res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
		}
	});
}
