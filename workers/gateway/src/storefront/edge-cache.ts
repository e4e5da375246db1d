import { INITIAL_VERSION, listVersionKey, productVersionKey, storeVersionKey } from "@oja/contracts";
import type { Context } from "hono";
import type { GatewayEnv } from "../app-env.ts";

// Storefront reads and pages are served from the Cache API. The Cache API is per data
// centre and a purge there does not reach the others, so instead of purging, every cache
// key carries version tokens held in Workers KV (readable in every location): when the
// catalog changes, catalog's cache consumer writes new tokens, and every location's next
// request builds a key that has never been cached and reads fresh data.
//
// Staleness bound: queue delivery (≈1 s, max_batch_timeout) + KV's global propagation
// (up to ~60 s) + the KV edge-read cache below (30 s, KV's minimum). A stale copy never
// decides a price or stock at checkout: checkout re-reads Postgres.

/** What a response depends on: the store profile always, plus listings or one product. */
export type CacheScope = { slug: string; list: true } | { slug: string; product: string } | { slug: string };

/** How long a copy may live in a location's cache even if nothing changes (a backstop). */
const EDGE_TTL_SECONDS = 3600;
/** KV edge-read cache; KV's minimum. */
const VERSION_READ_TTL_SECONDS = 30;
/** Browsers and intermediaries revalidate every time; a matching ETag costs a 304. */
const CLIENT_CACHE_CONTROL = "public, max-age=0, must-revalidate";

async function versionsFor(kv: KVNamespace, scope: CacheScope): Promise<string> {
	const keys = [
		storeVersionKey(scope.slug),
		...("list" in scope ? [listVersionKey(scope.slug)] : []),
		...("product" in scope ? [productVersionKey(scope.slug, scope.product)] : []),
	];
	const values = await Promise.all(keys.map((key) => kv.get(key, { cacheTtl: VERSION_READ_TTL_SECONDS })));
	return values.map((v) => v ?? INITIAL_VERSION).join(".");
}

function cacheKey(url: URL, scope: CacheScope, versions: string): Request {
	// Query parameters sorted, so ?a=1&b=2 and ?b=2&a=1 share a copy.
	const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	const query = new URLSearchParams(params).toString();
	return new Request(`https://storefront-cache.oja.internal/${scope.slug}/${versions}${url.pathname}${query ? `?${query}` : ""}`);
}

async function etagOf(body: ArrayBuffer): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
	let hex = "";
	for (const byte of digest.subarray(0, 12)) hex += byte.toString(16).padStart(2, "0");
	return `"${hex}"`;
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
	if (!ifNoneMatch) return false;
	return ifNoneMatch
		.split(",")
		.map((t) => t.trim().replace(/^W\//, ""))
		.some((t) => t === etag || t === "*");
}

function notModified(etag: string, state: string): Response {
	return new Response(null, { status: 304, headers: { etag, "cache-control": CLIENT_CACHE_CONTROL, "x-cache": state } });
}

/**
 * Serves a GET from the edge cache, or runs `produce` (which reads the origin) and caches a
 * 200 for the next request. Only successful responses are cached; errors always go to origin.
 */
export async function edgeCached(c: Context<GatewayEnv>, scope: CacheScope, produce: () => Promise<Response>): Promise<Response> {
	const url = new URL(c.req.url);
	const versions = await versionsFor(c.env.STOREFRONT_VERSIONS, scope);
	const key = cacheKey(url, scope, versions);
	const cache = caches.default;
	const ifNoneMatch = c.req.header("if-none-match");

	const hit = await cache.match(key);
	if (hit) {
		const etag = hit.headers.get("etag") ?? "";
		if (matchesEtag(ifNoneMatch, etag)) return notModified(etag, "HIT");
		const response = new Response(hit.body, hit);
		response.headers.set("cache-control", CLIENT_CACHE_CONTROL);
		response.headers.set("x-cache", "HIT");
		return response;
	}

	const fresh = await produce();
	if (fresh.status !== 200) return fresh;
	const body = await fresh.arrayBuffer();
	const etag = await etagOf(body);
	const headers = new Headers(fresh.headers);
	headers.set("etag", etag);
	headers.delete("set-cookie");
	const stored = new Headers(headers);
	stored.set("cache-control", `public, max-age=${EDGE_TTL_SECONDS}`);
	c.executionCtx.waitUntil(cache.put(key, new Response(body, { status: 200, headers: stored })));
	if (matchesEtag(ifNoneMatch, etag)) return notModified(etag, "MISS");
	headers.set("cache-control", CLIENT_CACHE_CONTROL);
	headers.set("x-cache", "MISS");
	return new Response(body, { status: 200, headers });
}
