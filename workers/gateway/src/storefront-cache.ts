import { type CacheScope, edgeCached, edgeCachedValue } from "@oja/edge-cache";
import type { Context } from "hono";
import type { GatewayEnv } from "./app-env.ts";
import { limitStorefrontOrigin } from "./middleware/rate-limit.ts";

/**
 * The storefront API's reads through the shared edge cache (@oja/edge-cache; the storefront
 * Worker's pages use the same one). A miss counts against the caller's per-IP limit.
 */
export function cachedRead(c: Context<GatewayEnv>, scope: CacheScope, produce: () => Promise<Response>): Promise<Response> {
	return edgeCached(
		{
			url: c.req.url,
			ifNoneMatch: c.req.header("if-none-match"),
			// The gateway serves the API only; custom-domain pages are the storefront Worker's.
			customDomain: false,
			versions: c.env.STOREFRONT_VERSIONS,
			waitUntil: (promise) => c.executionCtx.waitUntil(promise),
			beforeOrigin: () => limitStorefrontOrigin(c),
		},
		scope,
		produce,
	);
}

/** A JSON value the API needs (e.g. a cart's store and variant) from the same cache tiers; see edgeCachedValue. */
export function cachedValue<T>(c: Context<GatewayEnv>, scope: CacheScope, path: string, produce: () => Promise<T>): Promise<T> {
	return edgeCachedValue(
		{
			versions: c.env.STOREFRONT_VERSIONS,
			waitUntil: (promise) => c.executionCtx.waitUntil(promise),
			beforeOrigin: () => limitStorefrontOrigin(c),
		},
		scope,
		path,
		produce,
	);
}
