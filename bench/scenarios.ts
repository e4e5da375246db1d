// What the benchmark measures. A new scenario is one more entry in SCENARIOS; everything else
// (warm-up, SQL round-trip counting, the docs table) picks it up.

/** What a scenario's setup can use: the running stack and its database. */
export interface BenchContext {
	/** The gateway, e.g. `http://127.0.0.1:41234` (no trailing slash). */
	gatewayUrl: string;
	/** The connection string the Workers are given (for `seedDemo`-style helpers with `sqlEndpoint`). */
	databaseUrl: string;
	sqlEndpoint: string;
}

/** Per-run request details a setup can supply, e.g. a session token made by logging in. */
export interface RequestOverrides {
	path?: string;
	headers?: Record<string, string>;
	body?: unknown;
}

export interface Scenario {
	/** Shown in the table; keep it stable so runs can be compared. */
	name: string;
	/** "hello-world" is the bare-workerd ceiling the others are compared against. Default "gateway". */
	target?: "gateway" | "hello-world";
	method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
	path: string;
	headers?: Record<string, string>;
	/** A string is sent as is; anything else as JSON (with content-type set). */
	body?: unknown;
	/** Cold: every request gets a unique query parameter, so none is served from the edge cache. */
	unique?: boolean;
	/** Runs once before the warm-up, outside any measurement. */
	setup?: (ctx: BenchContext) => Promise<RequestOverrides | undefined>;
}

import { BENCH_STORE, DEMO } from "../scripts/seed.ts";

export const BASELINE = "hello-world (bare workerd)";

export const SCENARIOS: Scenario[] = [
	{ name: BASELINE, target: "hello-world", path: "/" },
	{ name: "GET /health", path: "/health" },
	{ name: "GET /health/ready", path: "/health/ready" },
	{
		name: "GET /v1/auth/me (ES256 bearer)",
		path: "/v1/auth/me",
		// One real login outside the measurement; every request then verifies its token.
		setup: async ({ gatewayUrl }) => {
			const res = await fetch(`${gatewayUrl}/v1/auth/login`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
			});
			if (!res.ok) throw new Error(`bench login failed: ${res.status} ${await res.text()}`);
			const { accessToken } = (await res.json()) as { accessToken: string };
			return { headers: { authorization: `Bearer ${accessToken}` } };
		},
	},
	{
		name: "POST /v1/auth/login (PBKDF2 100k)",
		method: "POST",
		path: "/v1/auth/login",
		body: { email: DEMO.email, password: DEMO.password },
	},
	// Storefront reads against a store of 1,000 products / 5,000 variants (scripts/seed.ts
	// seedBulkCatalog). Warm: the same URL again and again, served from the edge cache.
	// Cold: a unique query parameter per request, so every request misses and reads Postgres.
	...storefrontScenarios(),
];

function storefrontScenarios(): Scenario[] {
	const s = BENCH_STORE.slug;
	const reads: [string, string][] = [
		["storefront product list (API)", `/v1/storefront/${s}/products?limit=20`],
		["storefront product (API)", `/v1/storefront/${s}/products/bench-product-500`],
		["storefront product page (HTML)", `/s/${s}/products/bench-product-500`],
		["storefront home page (HTML)", `/s/${s}/`],
		["storefront search (API)", `/v1/storefront/${s}/search?q=kente+dress`],
	];
	// The pages are the storefront Worker's; the gateway forwards them over a service binding.
	// These rows send the same pages straight to the storefront Worker instead (Miniflare's entry
	// routes by this header), as if it had a route of its own: the difference is the gateway hop.
	const direct: [string, string][] = [
		["storefront product page (HTML, straight to oja-storefront), warm", `/s/${s}/products/bench-product-500`],
		["storefront home page (HTML, straight to oja-storefront), warm", `/s/${s}/`],
	];
	// Every warm scenario runs before any cold one: a cold run leaves thousands of cache writes
	// (waitUntil) still draining in Miniflare's disk-backed cache, which would tax what follows.
	return [
		...reads.map(([name, path]): Scenario => ({ name: `${name}, warm`, path })),
		...direct.map(([name, path]): Scenario => ({ name, path, headers: { "MF-Route-Override": "oja-storefront" } })),
		...reads.map(([name, path]): Scenario => ({ name: `${name}, cold`, path, unique: true })),
	];
}

/**
 * The memory soak (bench/run.ts runSoak): cold reads of a storefront page, a product page and
 * a list, each URL unique, so every request misses both cache tiers and adds a new entry to
 * each. Before the in-isolate tier had a byte budget this is the load that grew workerd.
 */
export const SOAK = {
	paths: [
		`/s/${BENCH_STORE.slug}/`,
		`/s/${BENCH_STORE.slug}/products/bench-product-500`,
		`/v1/storefront/${BENCH_STORE.slug}/products?limit=20`,
	],
};
