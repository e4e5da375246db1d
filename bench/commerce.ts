// The commerce benchmark (`npm run bench -- --only commerce`): add-to-cart on a warm catalog,
// checkout throughput, warm listing alone and beside a checkout load, and the rush (200 carts
// racing for 10 units). Carts are made outside every measurement; each measured checkout
// checks out its own cart exactly once with its own Idempotency-Key.
import { readFileSync } from "node:fs";
import { neon, neonConfig } from "@neondatabase/serverless";
import type { NeonLocalStats } from "@oja/neon-local";
import { BENCH_DATABASE, type Stack } from "../scripts/local-stack.ts";
import { BENCH_STORE } from "../scripts/seed.ts";
import type { LoadRequest, LoadResult } from "./load.ts";

export type Load = (request: Omit<LoadRequest, "id">) => Promise<LoadResult>;

export interface CommerceParameters {
	durationSeconds: number;
	warmupSeconds: number;
	connections: number;
	/** Carts for the add-to-cart grid (each gets up to 100 lines, one per variant). */
	addCarts: number;
	/** Carts checked out in the measured checkout run. */
	checkoutCarts: number;
}

export interface Latency {
	requests: number;
	perSecond: number;
	latencyP50Ms: number;
	latencyP99Ms: number;
	statusCodes: Record<string, number>;
	errors: number;
}

export interface CommerceResult {
	addToCart: Latency & {
		carts: number;
		variants: number;
		sqlRoundTripsPerRequest: number;
		/** CPU milliseconds each process spent per request during the measured run. */
		cpuMsPerRequest: Record<string, number>;
	};
	checkout: Latency & {
		orders: number;
		wallSeconds: number;
		/** Calls of oja_checkout (the checkout transaction, one round trip) per order placed. */
		checkoutRoundTripsPerOrder: number;
		/** Runs recorded before oja_checkout (migration 0029): batches of 11 statements per order. */
		checkoutBatchesPerOrder?: number;
		/** Every SQL round trip while the checkouts ran, per order (includes relay/consumers running meanwhile). */
		roundTripsPerOrderDuringRun: number;
		/** Every SQL round trip until the outbox relay and consumers went quiet, per order. */
		roundTripsPerOrderSettled: number;
		/** Settled round trips by kind: "single" statements and batches by statement count. */
		settledByKind: Record<string, number>;
		/** CPU milliseconds each process spent per order, from the start of the run until SQL went quiet. */
		cpuMsPerOrder: Record<string, number>;
	};
	listing: {
		path: string;
		alone: Latency & { xCache: Record<string, number> };
		besideCheckouts: Latency & { xCache: Record<string, number> };
		/** Listing req/s beside checkouts ÷ alone. */
		ratio: number;
		checkoutsBeside: Latency & { orders: number; wallSeconds: number };
		/** For attribution: the same listing beside an add-to-cart load (no SQL at all) instead. */
		besideAddToCart: Latency & { xCache: Record<string, number> };
		addToCartBeside: Latency;
	};
	rush: Latency & {
		carts: number;
		stock: number;
		concurrency: number;
		wallSeconds: number;
		created: number;
		outOfStock: number;
		inventoryAfter: { onHand: number; reserved: number };
		correct: boolean;
	};
}

export const SLUG = BENCH_STORE.slug;
const PICKUP = `dlv_01BENCH${"1".padStart(19, "0")}`;
// Variants of bench products 501–520 (5 sizes each, scripts/seed.ts seedBulkCatalog): stock so
// deep that no checkout in this run moves their availability label, so every reservation
// leaves the storefront cache alone (labels, not counts, are what the cache keys on).
const DEEP_STOCK = 1_000_000;
export const CART_VARIANTS = Array.from({ length: 100 }, (_, i) => benchVariant(501 + Math.floor(i / 5), 1 + (i % 5)));
const RUSH_VARIANT = benchVariant(999, 1);
const RUSH_STOCK = 10;
const RUSH_CARTS = 200;
const LISTING = `/v1/storefront/${SLUG}/products?limit=20`;
export const CHECKOUT_BODY = JSON.stringify({
	name: "Chioma Eze",
	phone: "0803 123 4567",
	email: "chioma@example.com",
	deliveryOptionId: PICKUP,
	paymentMethod: "pay_on_delivery",
});
const JSON_HEADERS = { "content-type": "application/json" };

function benchVariant(product: number, size: number): string {
	return `var_01BENCH${String(product * 10 + size).padStart(19, "0")}`;
}

/** A pickup option for the bench store, and the stock the scenarios need. */
export async function seedCommerce(stack: Stack): Promise<void> {
	neonConfig.fetchEndpoint = stack.sqlEndpoint;
	const sql = neon(stack.databaseUrl);
	await sql.transaction([
		sql.query(
			`INSERT INTO delivery_options (id, store_id, kind, name, fee_minor, currency, books_courier, pay_on_delivery,
				pay_on_delivery_max_total_minor, states, position)
			VALUES ($1, $2, 'pickup', 'Pick up in Yaba', 0, 'NGN', false, true, null, '{}', 0) ON CONFLICT DO NOTHING`,
			[PICKUP, BENCH_STORE.id],
		),
		sql.query("UPDATE inventory SET on_hand = $1, reserved = 0 WHERE variant_id = ANY($2::text[])", [DEEP_STOCK, CART_VARIANTS]),
		sql.query("UPDATE inventory SET on_hand = $1, reserved = 0 WHERE variant_id = $2", [RUSH_STOCK, RUSH_VARIANT]),
	]);
}

async function inventoryOf(stack: Stack, variantId: string): Promise<{ onHand: number; reserved: number }> {
	neonConfig.fetchEndpoint = stack.sqlEndpoint;
	const rows = await neon(stack.databaseUrl).query("SELECT on_hand, reserved FROM inventory WHERE variant_id = $1", [variantId]);
	const row = rows[0] as { on_hand: number; reserved: number } | undefined;
	return { onHand: Number(row?.on_hand), reserved: Number(row?.reserved) };
}

/** `count` new carts, each holding one unit of `variantOf(i)` if given: setup, a few at a time. */
export async function makeCarts(gatewayUrl: string, count: number, variantOf?: (i: number) => string): Promise<string[]> {
	const ids: string[] = new Array(count);
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			const res = await fetch(`${gatewayUrl}/v1/storefront/${SLUG}/carts`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
			if (res.status !== 201) throw new Error(`bench: creating a cart answered ${res.status}: ${await res.text()}`);
			const { id } = (await res.json()) as { id: string };
			ids[i] = id;
			if (variantOf) {
				const line = await fetch(`${gatewayUrl}/v1/storefront/${SLUG}/carts/${id}/lines`, {
					method: "POST",
					headers: JSON_HEADERS,
					body: JSON.stringify({ variantId: variantOf(i), quantity: 1 }),
				});
				if (line.status !== 201) throw new Error(`bench: adding a line answered ${line.status}: ${await line.text()}`);
				await line.body?.cancel();
			}
		}
	};
	await Promise.all(Array.from({ length: 16 }, worker));
	return ids;
}

/** user + system CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid: number): number | undefined {
	try {
		// Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return undefined;
	}
}

/** Starts a CPU reading of each process; the returned function gives CPU ms per unit since. */
export function cpuMeter(processes: { role: string; pid: number }[]): (units: number) => Record<string, number> {
	const start = processes.map((p) => cpuSeconds(p.pid));
	return (units) => {
		const out: Record<string, number> = {};
		for (const [i, p] of processes.entries()) {
			const before = start[i];
			const now = cpuSeconds(p.pid);
			if (before !== undefined && now !== undefined && units > 0)
				out[p.role] = Math.round(((now - before) * 1000 * 10) / units) / 10;
		}
		return out;
	};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until neon-local has seen no SQL for a second (the outbox relay and consumers done). */
export async function settle(stack: Stack, maxSeconds = 30): Promise<NeonLocalStats> {
	let before = await stack.admin.stats();
	for (let waited = 0; waited < maxSeconds; waited++) {
		await sleep(1000);
		const now = await stack.admin.stats();
		if (now.requests === before.requests) return now;
		before = now;
	}
	return before;
}

function latency(r: LoadResult): Latency {
	return {
		requests: r.requests,
		perSecond: r.requestsPerSecond,
		latencyP50Ms: r.latencyP50Ms,
		latencyP99Ms: r.latencyP99Ms,
		statusCodes: r.statusCodes,
		errors: r.non2xx + r.errors,
	};
}

const per = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 100) / 100);

function checkoutRun(gatewayUrl: string, carts: string[], connections: number): Omit<LoadRequest, "id"> {
	return {
		url: gatewayUrl,
		method: "POST",
		headers: JSON_HEADERS,
		body: CHECKOUT_BODY,
		connections: Math.min(connections, carts.length),
		durationSeconds: 600,
		amount: carts.length,
		// Every cart is checked out once: a slow answer is measured, not dropped as a timeout.
		timeoutSeconds: 60,
		grid: { paths: carts.map((id) => `/v1/storefront/${SLUG}/carts/${id}/checkout`), idempotencyKey: true },
	};
}

export async function runCommerce(
	stack: Stack,
	load: Load,
	sideLoad: Load,
	p: CommerceParameters,
	/** Processes whose CPU time is charged per request: the bench host (neon-local, PGlite) and workerd. */
	processes: { role: string; pid: number }[],
	log: (line: string) => void,
): Promise<CommerceResult> {
	const db = () => stack.admin.stats().then((s) => s.byDatabase[BENCH_DATABASE]);
	await seedCommerce(stack);

	// 1. Add-to-cart on a warm catalog. Request n adds one unit of variant ⌊n / carts⌋ mod 100 to
	// cart n mod carts, so a cart never holds more than 100 lines (the cap) and each line grows
	// by one unit per 100 rounds: every request is a real add answered 201.
	const addCarts = await makeCarts(stack.gatewayUrl, p.addCarts);
	log(`commerce: ${addCarts.length} carts made for add-to-cart`);
	const addRun: Omit<LoadRequest, "id"> = {
		url: stack.gatewayUrl,
		method: "POST",
		headers: JSON_HEADERS,
		body: undefined,
		connections: p.connections,
		durationSeconds: p.warmupSeconds,
		grid: {
			paths: addCarts.map((id) => `/v1/storefront/${SLUG}/carts/${id}/lines`),
			bodies: CART_VARIANTS.map((variantId) => JSON.stringify({ variantId, quantity: 1 })),
		},
	};
	// Every variant is read into the edge cache first (that is what "warm catalog" means: the
	// grid's warm-up alone would reach only the first few variants), then the grid warms up.
	const [warmCart] = await makeCarts(stack.gatewayUrl, 1);
	for (const variantId of CART_VARIANTS) {
		const res = await fetch(`${stack.gatewayUrl}/v1/storefront/${SLUG}/carts/${warmCart}/lines`, {
			method: "POST",
			headers: JSON_HEADERS,
			body: JSON.stringify({ variantId, quantity: 1 }),
		});
		if (res.status !== 201) throw new Error(`bench: warming ${variantId} answered ${res.status}: ${await res.text()}`);
		await res.body?.cancel();
	}
	await load(addRun);
	await sleep(1000);
	await stack.admin.resetStats();
	const addCpu = cpuMeter(processes);
	const adds = await load({ ...addRun, durationSeconds: p.durationSeconds });
	const addStats = await stack.admin.stats();
	const addCpuMs = addCpu(adds.requests);
	const addToCart = {
		...latency(adds),
		carts: addCarts.length,
		variants: CART_VARIANTS.length,
		sqlRoundTripsPerRequest: per(addStats.requests, adds.requests),
		cpuMsPerRequest: addCpuMs,
	};
	log(
		`commerce: add-to-cart ${addToCart.perSecond} req/s, p50 ${addToCart.latencyP50Ms} ms, p99 ${addToCart.latencyP99Ms} ms, ` +
			`${addToCart.sqlRoundTripsPerRequest} SQL/req, statuses ${JSON.stringify(addToCart.statusCodes)}, CPU ms/req ${JSON.stringify(addCpuMs)}`,
	);

	// 2. Checkout throughput: every cart holds one unit of a deep-stock variant.
	const warmCarts = await makeCarts(stack.gatewayUrl, 20, (i) => CART_VARIANTS[i % CART_VARIANTS.length] as string);
	const checkoutCarts = await makeCarts(
		stack.gatewayUrl,
		p.checkoutCarts,
		(i) => CART_VARIANTS[i % CART_VARIANTS.length] as string,
	);
	log(`commerce: ${checkoutCarts.length} carts made for checkout`);
	// A few checkouts first so the measured run does not pay for first-use compilation.
	await load(checkoutRun(stack.gatewayUrl, warmCarts, 8));
	await settle(stack);
	await stack.admin.resetStats();
	const checkoutCpu = cpuMeter(processes);
	const checkouts = await load(checkoutRun(stack.gatewayUrl, checkoutCarts, p.connections));
	const duringRun = await stack.admin.stats();
	const settled = await settle(stack);
	const settledDb = await db();
	const orders = checkouts.statusCodes["201"] ?? 0;
	const settledByKind: Record<string, number> = {
		single: (settledDb?.requests ?? 0) - Object.values(settledDb?.batchSizes ?? {}).reduce((a, b) => a + b, 0),
	};
	for (const [size, n] of Object.entries(settledDb?.batchSizes ?? {})) settledByKind[`batch of ${size}`] = n;
	const checkout = {
		...latency(checkouts),
		orders,
		wallSeconds: checkouts.wallSeconds,
		checkoutRoundTripsPerOrder: per(settledDb?.functionCalls?.oja_checkout ?? 0, orders),
		roundTripsPerOrderDuringRun: per(duringRun.requests, orders),
		roundTripsPerOrderSettled: per(settled.requests, orders),
		settledByKind,
		// settle() waits a quiet second, which costs (almost) no CPU.
		cpuMsPerOrder: checkoutCpu(orders),
	};
	log(
		`commerce: checkout ${checkout.perSecond} orders/s (${orders} in ${checkout.wallSeconds} s), p50 ${checkout.latencyP50Ms} ms, ` +
			`p99 ${checkout.latencyP99Ms} ms, ${checkout.checkoutRoundTripsPerOrder} checkout round trips/order, ` +
			`${checkout.roundTripsPerOrderDuringRun} round trips/order during the run, ${checkout.roundTripsPerOrderSettled} settled ${JSON.stringify(settledByKind)}, CPU ms/order ${JSON.stringify(checkout.cpuMsPerOrder)}`,
	);

	// 3. Warm listing alone, then beside a checkout load that outlasts it.
	const listingRun: Omit<LoadRequest, "id"> = {
		url: `${stack.gatewayUrl}${LISTING}`,
		method: "GET",
		headers: {},
		body: undefined,
		connections: p.connections,
		durationSeconds: p.warmupSeconds,
		countHeader: "x-cache",
	};
	await sideLoad(listingRun);
	const alone = await sideLoad({ ...listingRun, durationSeconds: p.durationSeconds });
	const besideCount = Math.max(100, Math.ceil(checkout.perSecond * (p.durationSeconds + 3)));
	const besideCarts = await makeCarts(stack.gatewayUrl, besideCount, (i) => CART_VARIANTS[i % CART_VARIANTS.length] as string);
	await settle(stack);
	const [beside, checkoutsBeside] = await Promise.all([
		sideLoad({ ...listingRun, durationSeconds: p.durationSeconds }),
		load(checkoutRun(stack.gatewayUrl, besideCarts, p.connections)),
	]);
	await settle(stack);
	const [besideAdds, addsBeside] = await Promise.all([
		sideLoad({ ...listingRun, durationSeconds: p.durationSeconds }),
		load({ ...addRun, durationSeconds: p.durationSeconds }),
	]);
	const listing = {
		path: LISTING,
		alone: { ...latency(alone), xCache: alone.headerCounts ?? {} },
		besideCheckouts: { ...latency(beside), xCache: beside.headerCounts ?? {} },
		ratio: per(beside.requestsPerSecond, alone.requestsPerSecond),
		checkoutsBeside: {
			...latency(checkoutsBeside),
			orders: checkoutsBeside.statusCodes["201"] ?? 0,
			wallSeconds: checkoutsBeside.wallSeconds,
		},
		besideAddToCart: { ...latency(besideAdds), xCache: besideAdds.headerCounts ?? {} },
		addToCartBeside: latency(addsBeside),
	};
	log(
		`commerce: listing alone ${alone.requestsPerSecond} req/s ${JSON.stringify(listing.alone.xCache)}, beside checkouts ` +
			`${beside.requestsPerSecond} req/s ${JSON.stringify(listing.besideCheckouts.xCache)} (ratio ${listing.ratio}); ` +
			`checkouts beside ${checkoutsBeside.requestsPerSecond} orders/s over ${checkoutsBeside.wallSeconds} s; ` +
			`listing beside add-to-cart ${besideAdds.requestsPerSecond} req/s ${JSON.stringify(listing.besideAddToCart.xCache)} ` +
			`(add-to-cart beside it ${addsBeside.requestsPerSecond} req/s)`,
	);

	// 4. The rush: 200 carts for one variant with 10 in stock, all checked out at once.
	const rushCarts = await makeCarts(stack.gatewayUrl, RUSH_CARTS, () => RUSH_VARIANT);
	const rushRun = await load(checkoutRun(stack.gatewayUrl, rushCarts, RUSH_CARTS));
	await settle(stack);
	const inventoryAfter = await inventoryOf(stack, RUSH_VARIANT);
	const created = rushRun.statusCodes["201"] ?? 0;
	const outOfStock = rushRun.statusCodes["409"] ?? 0;
	const rush = {
		...latency(rushRun),
		// 409s are the expected answer here, not errors.
		errors: rushRun.requests - created - outOfStock + rushRun.errors,
		carts: RUSH_CARTS,
		stock: RUSH_STOCK,
		concurrency: RUSH_CARTS,
		wallSeconds: rushRun.wallSeconds,
		created,
		outOfStock,
		inventoryAfter,
		correct: created === RUSH_STOCK && outOfStock === RUSH_CARTS - RUSH_STOCK && inventoryAfter.reserved === RUSH_STOCK,
	};
	log(
		`commerce: rush ${rush.perSecond} checkouts/s over ${rush.wallSeconds} s, p50 ${rush.latencyP50Ms} ms, p99 ${rush.latencyP99Ms} ms, ` +
			`${created} × 201, ${outOfStock} × 409, inventory ${JSON.stringify(inventoryAfter)}: ${rush.correct ? "correct" : "WRONG"}`,
	);
	return { addToCart, checkout, listing, rush };
}
