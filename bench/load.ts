// The load generator. bench/run.ts forks this file so that autocannon's event loop never
// competes with the Miniflare/neon-local process it is measuring for the same thread. It
// serves one run per IPC message; the parent sequences warm-up, stats resets and runs.
import { createRequire } from "node:module";

export interface LoadRequest {
	id: number;
	url: string;
	method: string;
	headers: Record<string, string>;
	body: string | undefined;
	connections: number;
	durationSeconds: number;
	/** Append a unique `_r=<n>` query parameter to every request (each one misses any cache). */
	unique?: boolean;
	/** Paths on `url`'s origin to send in turn instead of `url`'s own path. */
	paths?: string[];
	/**
	 * Request n (counted across all connections) goes to `paths[n % paths.length]` with body
	 * `bodies[floor(n / paths.length) % bodies.length]`: carts × lines for add-to-cart, or each
	 * cart once (with `amount` = paths.length) for checkout. `idempotencyKey` adds a fresh
	 * `Idempotency-Key` to every request.
	 */
	grid?: { paths: string[]; bodies?: string[]; idempotencyKey?: boolean };
	/** Stop after this many requests instead of after `durationSeconds`. */
	amount?: number;
	/** Count the values of this response header (e.g. `x-cache`). */
	countHeader?: string;
	/** Seconds before a request counts as timed out (autocannon's default is 10). */
	timeoutSeconds?: number;
}

export interface LoadResult {
	/** Mean of autocannon's per-second samples. */
	requestsPerSecond: number;
	/** Responses received (any status). */
	requests: number;
	latencyP50Ms: number;
	latencyP99Ms: number;
	latencyMeanMs: number;
	non2xx: number;
	/** Connection errors and timeouts. */
	errors: number;
	statusCodes: Record<string, number>;
	durationSeconds: number;
	/** Wall-clock seconds from start to the last response. */
	wallSeconds: number;
	/** With `countHeader`: responses per value of that header ("none" when absent). */
	headerCounts?: Record<string, number>;
}

export type LoadReply = { id: number; ok: true; result: LoadResult } | { id: number; ok: false; error: string };

// autocannon ships no types; this is the subset used here.
interface AutocannonOptions {
	url: string;
	method: string;
	headers: Record<string, string>;
	body: string | undefined;
	connections: number;
	duration: number;
	amount?: number;
	timeout?: number;
	requests?: AutocannonRequest[];
}
interface BuiltRequest {
	path: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
}
interface AutocannonRequest {
	path?: string;
	setupRequest?: (request: BuiltRequest) => BuiltRequest;
	onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string>) => void;
}
interface AutocannonSummary {
	requests: { mean: number; total: number };
	duration: number;
	non2xx: number;
	errors: number;
	timeouts: number;
	statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance extends PromiseLike<AutocannonSummary> {
	on(event: "response", listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
}
type Autocannon = (options: AutocannonOptions) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function percentile(sorted: Float64Array, p: number): number {
	if (sorted.length === 0) return 0;
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[index] ?? 0;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

let uniqueCounter = 0;
function uniquePath(request: { path: string }): { path: string } {
	uniqueCounter++;
	return { ...request, path: `${request.path}${request.path.includes("?") ? "&" : "?"}_r=${process.pid}-${uniqueCounter}` };
}

function gridRequest(grid: NonNullable<LoadRequest["grid"]>): (request: BuiltRequest) => BuiltRequest {
	let n = 0;
	return (request) => {
		const i = n++;
		const path = grid.paths[i % grid.paths.length] ?? "/";
		const body = grid.bodies?.[Math.floor(i / grid.paths.length) % grid.bodies.length];
		const headers = grid.idempotencyKey ? { ...request.headers, "idempotency-key": crypto.randomUUID() } : request.headers;
		return { ...request, path, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) };
	};
}

function requestsOf(request: LoadRequest, onResponse?: AutocannonRequest["onResponse"]): Pick<AutocannonOptions, "requests"> {
	const extra: AutocannonRequest = onResponse ? { onResponse } : {};
	if (request.grid) return { requests: [{ setupRequest: gridRequest(request.grid), ...extra }] };
	const setup = request.unique ? { setupRequest: uniquePath } : {};
	if (request.paths && request.paths.length > 0) return { requests: request.paths.map((path) => ({ path, ...setup, ...extra })) };
	return request.unique || onResponse ? { requests: [{ ...setup, ...extra }] } : {};
}

async function runLoad(request: LoadRequest): Promise<LoadResult> {
	// autocannon's own histogram has 1 ms resolution, too coarse for sub-millisecond Workers;
	// its response event carries the hrtime duration, so percentiles are computed from that.
	const latencies: number[] = [];
	const headerCounts: Record<string, number> = {};
	const countHeader = request.countHeader?.toLowerCase();
	const onResponse = countHeader
		? (_status: number, _body: string, _context: unknown, headers: Record<string, string>) => {
				const value = headers[countHeader] ?? "none";
				headerCounts[value] = (headerCounts[value] ?? 0) + 1;
			}
		: undefined;
	const started = performance.now();
	let last = started;
	const instance = autocannon({
		url: request.url,
		method: request.method,
		headers: request.headers,
		body: request.body,
		connections: request.connections,
		duration: request.durationSeconds,
		...(request.amount ? { amount: request.amount } : {}),
		...(request.timeoutSeconds ? { timeout: request.timeoutSeconds } : {}),
		...requestsOf(request, onResponse),
	});
	instance.on("response", (_client, _status, _bytes, responseTimeMs) => {
		latencies.push(responseTimeMs);
		last = performance.now();
	});
	const summary = await instance;
	const sorted = Float64Array.from(latencies).sort();
	const mean = latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length;
	const wallSeconds = (last - started) / 1000;
	return {
		// A fixed number of requests ends mid-second: its rate is requests over the wall clock.
		requestsPerSecond: request.amount
			? Math.round(summary.requests.total / Math.max(wallSeconds, 0.001))
			: Math.round(summary.requests.mean),
		requests: summary.requests.total,
		latencyP50Ms: round2(percentile(sorted, 50)),
		latencyP99Ms: round2(percentile(sorted, 99)),
		latencyMeanMs: round2(mean),
		non2xx: summary.non2xx,
		errors: summary.errors + summary.timeouts,
		statusCodes: Object.fromEntries(Object.entries(summary.statusCodeStats).map(([code, { count }]) => [code, count])),
		durationSeconds: summary.duration,
		wallSeconds: round2(wallSeconds),
		...(countHeader ? { headerCounts } : {}),
	};
}

if (!process.send) {
	console.error("bench/load.ts is started by bench/run.ts (it takes its work over IPC).");
	process.exit(2);
}
const send = process.send.bind(process);
process.on("message", (request: LoadRequest) => {
	runLoad(request).then(
		(result) => send({ id: request.id, ok: true, result } satisfies LoadReply),
		(error: unknown) => send({ id: request.id, ok: false, error: String(error) } satisfies LoadReply),
	);
});
// An orphaned load generator would keep hammering a port after the bench is gone.
process.on("disconnect", () => process.exit(0));
