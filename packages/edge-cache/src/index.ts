import { INITIAL_VERSION, listVersionKey, navVersionKey, productVersionKey, storeVersionKey } from "@oja/contracts";
import { ByteLru, stringBytes } from "@oja/lru";

// Storefront reads and pages are served from the Cache API. The Cache API is per data
// centre and a purge there does not reach the others, so instead of purging, every cache
// key carries version tokens held in Workers KV (readable in every location): when the
// catalog changes, catalog's cache consumer writes new tokens, and every location's next
// request builds a key that has never been cached and reads fresh data.
//
// In front of both sits a small in-isolate tier: version tokens are remembered for a second
// and hot responses are kept in memory under the same versioned key, so a warm request does
// no I/O at all. It cannot serve anything the Cache API would not: the key is the same.
//
// Staleness bound: queue delivery (≈1 s, max_batch_timeout) + KV's global propagation
// (up to ~60 s) + the KV edge-read cache below (30 s, KV's minimum) + the 1 s token memo.
// A stale copy never decides a price or stock at checkout: checkout re-reads Postgres.

/**
 * What a response depends on: the store profile always, plus listings, or one product (and,
 * for a product *page*, the collections navigation it shows).
 */
export type CacheScope = { slug: string; list: true } | { slug: string; product: string; nav?: true } | { slug: string };

/** How long a copy may live in a location's cache even if nothing changes (a backstop). */
const EDGE_TTL_SECONDS = 3600;
/** KV edge-read cache; KV's minimum. */
const VERSION_READ_TTL_SECONDS = 30;
/** Browsers and intermediaries revalidate every time; a matching ETag costs a 304. */
const CLIENT_CACHE_CONTROL = "public, max-age=0, must-revalidate";

/** How long a response stays in an isolate's memory (its key's tokens still decide freshness). */
const MEMORY_TTL_MS = 5 * 60 * 1000;
/** How long an isolate trusts a version token it read. */
const VERSION_MEMO_MS = 1000;
/**
 * The in-isolate tier's byte budget, everything it holds counted (bodies, headers, keys): an
 * isolate has 128 MB for all its work, so this stays a small, fixed share of it. A page or
 * list is ~10–60 KB, so this holds a few hundred hot responses.
 */
export const MEMORY_MAX_BYTES = 8 * 1024 * 1024;
/** A larger response is served from the Cache API only (it would crowd out dozens of others). */
const MEMORY_MAX_ENTRY_BYTES = 512 * 1024;
/** Version tokens are tiny; this bounds the memo even if every request names a new product. */
const VERSION_MEMO_MAX_BYTES = 512 * 1024;
/** Map entry, object and array headers an entry costs beyond its strings and bytes (an overestimate). */
const ENTRY_OVERHEAD_BYTES = 256;

const versionMemo = new ByteLru<{ token: string; until: number }>({
	maxBytes: VERSION_MEMO_MAX_BYTES,
	sizeOf: (key, memo) => ENTRY_OVERHEAD_BYTES + stringBytes(key) + stringBytes(memo.token),
});

function memoised(key: string, now: number): string | undefined {
	const memo = versionMemo.get(key);
	return memo && memo.until > now ? memo.token : undefined;
}

async function versionOf(kv: KVNamespace, key: string, now: number): Promise<string> {
	const memo = memoised(key, now);
	if (memo !== undefined) return memo;
	const token = (await kv.get(key, { cacheTtl: VERSION_READ_TTL_SECONDS })) ?? INITIAL_VERSION;
	versionMemo.set(key, { token, until: now + VERSION_MEMO_MS });
	return token;
}

async function versionsFor(kv: KVNamespace, scope: CacheScope): Promise<string> {
	const keys = [
		storeVersionKey(scope.slug),
		...("list" in scope ? [listVersionKey(scope.slug)] : []),
		...("product" in scope ? [productVersionKey(scope.slug, scope.product)] : []),
		...("nav" in scope && scope.nav ? [navVersionKey(scope.slug)] : []),
	];
	const now = Date.now();
	// Usually every token is memoised: answer without scheduling any promise work.
	const known = keys.map((key) => memoised(key, now));
	if (known.every((t) => t !== undefined)) return known.join(".");
	const values = await Promise.all(keys.map((key) => versionOf(kv, key, now)));
	return values.join(".");
}

interface MemoryEntry {
	body: ArrayBuffer;
	/** Headers as served to clients on a hit (cache-control and x-cache already set). */
	headers: [string, string][];
	etag: string;
	until: number;
}

function memoryEntry(body: ArrayBuffer, stored: Headers, until: number): MemoryEntry {
	const headers = new Headers(stored);
	headers.set("cache-control", CLIENT_CACHE_CONTROL);
	headers.set("x-cache", "HIT");
	return { body, headers: [...headers], etag: stored.get("etag") ?? "", until };
}

function entryBytes(key: string, entry: MemoryEntry): number {
	let bytes = ENTRY_OVERHEAD_BYTES + stringBytes(key) + stringBytes(entry.etag) + entry.body.byteLength;
	for (const [name, value] of entry.headers) bytes += ENTRY_OVERHEAD_BYTES / 4 + stringBytes(name) + stringBytes(value);
	return bytes;
}

/** Least-recently-used responses by versioned cache key, within a fixed byte budget. */
const memory = new ByteLru<MemoryEntry>({
	maxBytes: MEMORY_MAX_BYTES,
	maxEntryBytes: MEMORY_MAX_ENTRY_BYTES,
	sizeOf: entryBytes,
});

function fromMemoryTier(key: string, now: number): MemoryEntry | undefined {
	const entry = memory.get(key);
	if (entry && entry.until <= now) {
		memory.delete(key);
		return undefined;
	}
	return entry;
}

/** What the in-isolate tier holds now (for tests and diagnostics). */
export function memoryTierUsage(): { entries: number; bytes: number; versionMemoBytes: number } {
	return { entries: memory.size, bytes: memory.bytes, versionMemoBytes: versionMemo.bytes };
}

function cacheKey(url: URL, scope: CacheScope, versions: string, customDomain: boolean): string {
	// Query parameters sorted, so ?a=1&b=2 and ?b=2&a=1 share a copy.
	const query = url.search
		? new URLSearchParams([...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toString()
		: "";
	// Scheme, host and the custom-domain flag are part of the key: pages carry absolute
	// canonical/og:url links, and a custom domain's pages link from the root, not /s/{slug}.
	const site = `${url.protocol.replace(":", "")}.${url.host}${customDomain ? ".cd" : ""}`;
	return `https://storefront-cache.oja.internal/${site}/${scope.slug}/${versions}${url.pathname}${query ? `?${query}` : ""}`;
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

function fromMemory(entry: MemoryEntry, ifNoneMatch: string | undefined): Response {
	if (matchesEtag(ifNoneMatch, entry.etag)) return notModified(entry.etag, "HIT");
	// Constructing a Response from a buffer copies the bytes (Fetch spec), so the shared
	// entry is never handed out or detached.
	return new Response(entry.body, { status: 200, headers: entry.headers });
}

function notModified(etag: string, state: string): Response {
	return new Response(null, { status: 304, headers: { etag, "cache-control": CLIENT_CACHE_CONTROL, "x-cache": state } });
}

/**
 * What the cache needs from a request, whichever Worker (and framework) serves it: the gateway's
 * storefront API and the storefront Worker's pages share this one implementation.
 */
export interface EdgeRequest {
	url: string;
	ifNoneMatch: string | undefined;
	/** Served on a merchant's own domain, whose pages link from the root: cached apart. */
	customDomain: boolean;
	/** The KV namespace holding the version tokens (STOREFRONT_VERSIONS). */
	versions: KVNamespace;
	waitUntil(promise: Promise<unknown>): void;
	/** Runs only when the origin is about to be read (the per-IP limit); hits skip it. */
	beforeOrigin(): Promise<void>;
}

/**
 * Serves a GET from the edge cache, or runs `produce` (which reads the origin) and caches a
 * 200 for the next request. Only successful responses are cached; errors always go to origin.
 */
export async function edgeCached(req: EdgeRequest, scope: CacheScope, produce: () => Promise<Response>): Promise<Response> {
	const url = new URL(req.url);
	const versions = await versionsFor(req.versions, scope);
	const key = cacheKey(url, scope, versions, req.customDomain);
	const cache = caches.default;
	const ifNoneMatch = req.ifNoneMatch;

	const now = Date.now();
	const inMemory = fromMemoryTier(key, now);
	if (inMemory) return fromMemory(inMemory, ifNoneMatch);

	const hit = await cache.match(key);
	if (hit) {
		const entry = memoryEntry(await hit.arrayBuffer(), hit.headers, now + MEMORY_TTL_MS);
		memory.set(key, entry);
		return fromMemory(entry, ifNoneMatch);
	}

	await req.beforeOrigin();
	const fresh = await produce();
	if (fresh.status !== 200) return fresh;
	const body = await fresh.arrayBuffer();
	const etag = await etagOf(body);
	const headers = new Headers(fresh.headers);
	headers.set("etag", etag);
	headers.delete("set-cookie");
	const stored = new Headers(headers);
	stored.set("cache-control", `public, max-age=${EDGE_TTL_SECONDS}`);
	req.waitUntil(cache.put(key, new Response(body, { status: 200, headers: stored })));
	memory.set(key, memoryEntry(body, stored, now + MEMORY_TTL_MS));
	if (matchesEtag(ifNoneMatch, etag)) return notModified(etag, "MISS");
	headers.set("cache-control", CLIENT_CACHE_CONTROL);
	headers.set("x-cache", "MISS");
	return new Response(body, { status: 200, headers });
}

/**
 * A JSON value the API needs (not a response it serves), from the same tiers under the same
 * version tokens: memory, then the Cache API, then `produce` (the origin). Adding to a cart
 * resolves the store and the variant this way, so with a warm cache it reads no SQL. `produce`
 * may throw a ProblemError (not for sale, no such store); failures are never cached.
 */
export async function edgeCachedValue<T>(
	req: Pick<EdgeRequest, "versions" | "waitUntil" | "beforeOrigin">,
	scope: CacheScope,
	path: string,
	produce: () => Promise<T>,
): Promise<T> {
	const versions = await versionsFor(req.versions, scope);
	const key = `https://storefront-cache.oja.internal/values/${scope.slug}/${versions}${path}`;
	const now = Date.now();
	const inMemory = fromMemoryTier(key, now);
	if (inMemory) return JSON.parse(textDecoder.decode(inMemory.body)) as T;
	const cache = caches.default;
	const hit = await cache.match(key);
	if (hit) {
		const body = await hit.arrayBuffer();
		memory.set(key, memoryEntry(body, hit.headers, now + MEMORY_TTL_MS));
		return JSON.parse(textDecoder.decode(body)) as T;
	}
	await req.beforeOrigin();
	const value = await produce();
	const body = textEncoder.encode(JSON.stringify(value)).buffer as ArrayBuffer;
	const stored = new Headers({ "content-type": "application/json", "cache-control": `public, max-age=${EDGE_TTL_SECONDS}` });
	req.waitUntil(cache.put(key, new Response(body, { status: 200, headers: stored })));
	memory.set(key, memoryEntry(body, stored, now + MEMORY_TTL_MS));
	return value;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export { clientAddress, ipv6Prefix64 } from "./client-address.ts";
export {
	CUSTOM_DOMAIN_HEADER,
	DASHBOARD_PATH,
	normalisedHost,
	PLATFORM_PATHS,
	routesToDashboard,
	routesToStorefront,
	STORE_PATH,
} from "./routing.ts";
