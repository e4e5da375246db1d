// `npm run bench`: builds the Workers, starts the stack on workerd (scripts/local-stack.ts), drives
// every scenario in bench/scenarios.ts from a separate load process (bench/load.ts) and writes
// docs/benchmarks.json and docs/benchmarks.md. Exits non-zero if any scenario saw errors.
//
//   --quick              ~3 s runs with a 1 s warm-up, for checking the harness itself
//   --duration <s>       measured seconds per scenario   (env BENCH_DURATION, default 10)
//   --warmup <s>         warm-up seconds per scenario    (env BENCH_WARMUP, default 3)
//   --connections <n>    concurrent connections          (env BENCH_CONNECTIONS, default 32)
//   --only <text>        run only scenarios whose name contains <text> (plus the baseline);
//                        for investigating, it does not write docs/. `--only soak` runs only the soak
//   --only commerce      run only the commerce benchmark (bench/commerce.ts: add-to-cart, checkout,
//                        listing beside checkouts, the rush) and record it for this backend in
//                        docs/benchmarks-commerce.json and its section of docs/benchmarks.md
//   --only messaging     run only the messaging benchmark (bench/messaging.ts: WhatsApp webhook ingest,
//                        inbound-to-reply latency through the queues) and record it in
//                        docs/benchmarks-messaging.json and the messaging section of docs/benchmarks.md
//   --only payments      run only the payments benchmark (bench/payments.ts: webhook ingest, charge to
//                        paid, ledger postings/s) and record it in docs/benchmarks-payments.json and
//                        its section of docs/benchmarks.md
//   --only probe         for investigating webhook ingest (writes nothing): bare workerd (GET, and the
//                        same signed POST), the gateway's /health and its WhatsApp webhook, three
//                        rounds each, with every process's CPU µs per request (env PROBE_RUNS picks
//                        runs by name, e.g. "hello GET,gw whatsapp")
//   --disk-storage       with --only commerce: keep Miniflare's Durable Object/KV/cache storage in
//                        the system temp dir (on disk) instead of /dev/shm (see scripts/local-stack.ts)
//   --heap               start workerd with its inspector and sample each Worker's V8 heap
//                        (after a full GC) during the soak: JavaScript memory vs the runtime's own
//   --gc                 with --heap: force a full GC in every isolate at every sample, to tell
//                        garbage not yet collected from memory that is still held
//   --soak <s>           seconds of the memory soak (cold storefront reads, RSS sampled every
//                        few seconds) at the end of the run   (env BENCH_SOAK, default 180; 0 skips it)
//   DATABASE_URL=...     benchmark against that PostgreSQL instead of embedded PGlite
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildWorkers } from "../scripts/build-workers.ts";
import { type Stack, startStack } from "../scripts/local-stack.ts";
import { seedBulkCatalog } from "../scripts/seed.ts";
import { runCommerce } from "./commerce.ts";
import { COMMERCE_JSON, writeCommerceReport } from "./commerce-report.ts";
import type { LoadReply, LoadRequest, LoadResult } from "./load.ts";
import { heapUsage, sample, type WatchedProcess } from "./memory.ts";
import { runMessaging } from "./messaging.ts";
import { MESSAGING_JSON, writeMessagingReport } from "./messaging-report.ts";
import { runPayments } from "./payments.ts";
import { PAYMENTS_JSON, writePaymentsReport } from "./payments-report.ts";
import { type Report, type ScenarioResult, type SoakResult, writeReport } from "./report.ts";
import { BASELINE, type BenchContext, SCENARIOS, type Scenario, SOAK } from "./scenarios.ts";
import { measureTokenVerification } from "./token-verify.ts";

const TARGET = { scenario: "GET /health", minPercentOfBaseline: 60 };

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT);

const { values: flags } = parseArgs({
	options: {
		quick: { type: "boolean", default: false },
		duration: { type: "string" },
		warmup: { type: "string" },
		connections: { type: "string" },
		only: { type: "string" },
		soak: { type: "string" },
		heap: { type: "boolean", default: false },
		gc: { type: "boolean", default: false },
		"disk-storage": { type: "boolean", default: false },
	},
});

function positive(name: string, value: string | undefined, fallback: number): number {
	if (value === undefined || value === "") return fallback;
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
	return n;
}

const parameters = {
	durationSeconds: positive("duration", flags.duration ?? process.env.BENCH_DURATION, flags.quick ? 3 : 10),
	warmupSeconds: positive("warmup", flags.warmup ?? process.env.BENCH_WARMUP, flags.quick ? 1 : 3),
	connections: Math.round(positive("connections", flags.connections ?? process.env.BENCH_CONNECTIONS, 32)),
};
const soakArg = flags.soak ?? process.env.BENCH_SOAK;
const soakSeconds = soakArg === "0" ? 0 : positive("soak", soakArg, flags.quick ? 20 : 180);
const SOAK_SAMPLE_SECONDS = 5;
const databaseUrl = process.env.DATABASE_URL || undefined;
// wrangler's config reader announces each .dev.vars it finds; that is noise here.
process.env.WRANGLER_LOG ??= "warn";
process.env.WRANGLER_SEND_METRICS ??= "false";

// Teardown runs in reverse start order, once, on success, failure or Ctrl-C.
const disposers: (() => Promise<void>)[] = [];
let tearingDown: Promise<void> | undefined;
function teardown(): Promise<void> {
	tearingDown ??= (async () => {
		for (const dispose of disposers.reverse()) {
			await dispose().catch((error: unknown) => console.error("bench: cleanup step failed:", error));
		}
	})();
	return tearingDown;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	// Miniflare's signal-exit hook may re-raise the signal before this teardown finishes. That
	// is tolerable: it kills workerd itself, the load generator exits when its IPC channel
	// closes, and neon-local and the embedded database live in this process.
	process.on(signal, () => {
		if (tearingDown) return;
		console.error(`bench: ${signal}, shutting down`);
		void teardown().finally(() => process.exit(130));
	});
}

type LoadGenerator = ((request: Omit<LoadRequest, "id">) => Promise<LoadResult>) & { pid: number };

/** The forked load generator, one request in flight at a time. */
function startLoadGenerator(): LoadGenerator {
	const child: ChildProcess = fork(fileURLToPath(new URL("load.ts", import.meta.url)), [], {
		stdio: ["ignore", "inherit", "inherit", "ipc"],
	});
	disposers.push(async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise((r) => child.once("exit", r));
		child.disconnect();
		const force = setTimeout(() => child.kill("SIGKILL"), 3000);
		await exited;
		clearTimeout(force);
	});
	let nextId = 1;
	const run = (request: Omit<LoadRequest, "id">) =>
		new Promise<LoadResult>((resolve, reject) => {
			const id = nextId++;
			const onMessage = (reply: LoadReply) => {
				if (reply.id !== id) return;
				cleanup();
				if (reply.ok) resolve(reply.result);
				else reject(new Error(`load generator: ${reply.error}`));
			};
			const onExit = (code: number | null) => {
				cleanup();
				reject(new Error(`load generator exited (${code}) mid-run`));
			};
			const cleanup = () => {
				child.off("message", onMessage);
				child.off("exit", onExit);
			};
			child.on("message", onMessage);
			child.once("exit", onExit);
			child.send({ ...request, id } satisfies LoadRequest);
		});
	return Object.assign(run, { pid: child.pid ?? 0 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScenario(
	scenario: Scenario,
	stack: Stack,
	load: LoadGenerator,
	watched: WatchedProcess[],
): Promise<Omit<ScenarioResult, "percentOfBaseline">> {
	const context: BenchContext = { gatewayUrl: stack.gatewayUrl, databaseUrl: stack.databaseUrl, sqlEndpoint: stack.sqlEndpoint };
	const overrides = (await scenario.setup?.(context)) ?? {};
	const method = scenario.method ?? "GET";
	const path = overrides.path ?? scenario.path;
	const headers: Record<string, string> = { ...scenario.headers, ...overrides.headers };
	const rawBody = overrides.body ?? scenario.body;
	let body: string | undefined;
	if (typeof rawBody === "string") body = rawBody;
	else if (rawBody !== undefined) {
		body = JSON.stringify(rawBody);
		headers["content-type"] ??= "application/json";
	}
	const base = scenario.target === "hello-world" ? stack.helloWorldUrl : stack.gatewayUrl;
	const url = `${base}${path}`;

	// One request first: a scenario that is simply broken should say why, not just count errors.
	const probe = await fetch(url, { method, headers, body });
	const probeText = await probe.text();
	if (!probe.ok) console.error(`bench: ${scenario.name}: probe answered ${probe.status}: ${probeText.slice(0, 500)}`);

	const run = { url, method, headers, body, connections: parameters.connections, unique: scenario.unique };
	await load({ ...run, durationSeconds: parameters.warmupSeconds });
	// Let the warm-up's last in-flight requests (slow ones take hundreds of ms) finish so their SQL isn't counted below.
	await sleep(1000);
	await stack.admin.resetStats();
	const logLinesBefore = stack.gatewayLogs.lines;
	const result = await load({ ...run, durationSeconds: parameters.durationSeconds });
	const stats = await stack.admin.stats();
	const logLines = scenario.target === "hello-world" ? 0 : stack.gatewayLogs.lines - logLinesBefore;

	const perRequest = (n: number) => (result.requests === 0 ? 0 : Math.round((n / result.requests) * 100) / 100);
	return {
		name: scenario.name,
		method,
		path,
		requestsPerSecond: result.requestsPerSecond,
		requests: result.requests,
		latencyP50Ms: result.latencyP50Ms,
		latencyP99Ms: result.latencyP99Ms,
		latencyMeanMs: result.latencyMeanMs,
		non2xx: result.non2xx,
		errors: result.errors,
		statusCodes: result.statusCodes,
		sqlRoundTripsPerRequest: perRequest(stats.requests),
		logLinesPerRequest: perRequest(logLines),
		memoryAfter: sample(watched),
	};
}

/** Total used/allocated MiB over Oja's Worker isolates and over the runtime's own (Miniflare's). */
function heapSummary(heap: Record<string, { usedMiB: number; totalMiB: number }>): string {
	const sum = (entries: [string, { usedMiB: number; totalMiB: number }][]) =>
		entries.reduce((a, [, h]) => ({ used: a.used + h.usedMiB, total: a.total + h.totalMiB }), { used: 0, total: 0 });
	const all = Object.entries(heap);
	const oja = all.filter(([name]) => name.includes("core:user:"));
	const own = sum(oja);
	const runtime = sum(all.filter(([name]) => !name.includes("core:user:")));
	const each = oja.map(([name, h]) => `${name.replace(/.*core:user:/, "")} ${h.usedMiB}/${h.totalMiB}`).join(", ");
	const largest = all
		.filter(([name]) => !name.includes("core:user:"))
		.sort(([, a], [, b]) => b.totalMiB - a.totalMiB)
		.slice(0, 3)
		.map(([name, h]) => `${name.replace(/^workerd: worker /, "")} ${h.usedMiB}/${h.totalMiB}`)
		.join(", ");
	return `Oja ${own.used.toFixed(1)}/${own.total.toFixed(1)} MiB used/allocated (${each}); Miniflare's ${runtime.used.toFixed(1)}/${runtime.total.toFixed(1)} MiB (largest: ${largest})`;
}

/**
 * Minutes of cold storefront reads (every URL unique, so every request misses both cache
 * tiers, reads Postgres and is written to the cache), with every process's resident memory
 * sampled every few seconds: memory that levels off is bounded, memory that climbs is a leak.
 */
async function runSoak(stack: Stack, load: LoadGenerator, watched: WatchedProcess[]): Promise<SoakResult> {
	const started = performance.now();
	const samples: SoakResult["samples"] = [];
	const take = async (collect = flags.gc) => {
		const seconds = Math.round((performance.now() - started) / 1000);
		const memory = sample(watched);
		const heap = stack.inspectorUrl ? await heapUsage(stack.inspectorUrl, collect).catch(() => undefined) : undefined;
		samples.push({ seconds, memory, ...(heap ? { heap, collected: collect } : {}) });
		if (heap) console.log(`bench: soak ${seconds} s V8 heaps${collect ? " after a full GC" : ""}: ${heapSummary(heap)}`);
	};
	await take();
	// Samples are spaced by the interval, whatever a slow inspector round trip costs.
	let timer: ReturnType<typeof setTimeout> | undefined;
	let running = true;
	const tick = () => {
		timer = setTimeout(() => void take().finally(() => running && tick()), SOAK_SAMPLE_SECONDS * 1000);
	};
	tick();
	let result: LoadResult;
	try {
		result = await load({
			url: stack.gatewayUrl,
			paths: SOAK.paths,
			method: "GET",
			headers: {},
			body: undefined,
			connections: parameters.connections,
			durationSeconds: soakSeconds,
			unique: true,
		});
	} finally {
		running = false;
		clearTimeout(timer);
	}
	// The cache writes still draining after the load stops are part of what a soak must show.
	await sleep(SOAK_SAMPLE_SECONDS * 1000);
	await take();
	if (stack.inspectorUrl) await take(true);
	return {
		paths: SOAK.paths,
		durationSeconds: soakSeconds,
		sampleSeconds: SOAK_SAMPLE_SECONDS,
		requests: result.requests,
		requestsPerSecond: result.requestsPerSecond,
		errors: result.non2xx + result.errors,
		statusCodes: result.statusCodes,
		samples,
	};
}

function commandLine(): string {
	const env: string[] = [];
	for (const name of ["BENCH_DURATION", "BENCH_WARMUP", "BENCH_CONNECTIONS", "BENCH_SOAK"]) {
		if (process.env[name]) env.push(`${name}=${process.env[name]}`);
	}
	if (databaseUrl) {
		const shown = new URL(databaseUrl);
		if (shown.password) shown.password = "***";
		env.push(`DATABASE_URL=${shown.href}`);
	}
	const args = process.argv.slice(2);
	const command =
		process.env.npm_lifecycle_event === "bench"
			? `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`
			: ["node bench/run.ts", ...args].join(" ");
	return [...env, command].join(" ");
}

function packageVersion(name: string): string {
	try {
		return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
	} catch {
		return "unknown";
	}
}

async function main(): Promise<number> {
	const started = performance.now();
	const loadAtStart = loadavg()[0] ?? 0;
	const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
	console.log(
		`bench: ${flags.only ? "selected" : SCENARIOS.length} scenarios × (${parameters.warmupSeconds} s warm-up + ${parameters.durationSeconds} s), ${parameters.connections} connections`,
	);
	buildWorkers();
	console.log(`bench: Workers built (${elapsed()})`);
	// The commerce bench writes Durable Objects on every request; their local SQLite files' fsyncs
	// (on workerd's only thread) would otherwise be what it measures. Other scenarios keep the default.
	const runtimeStorageDir =
		(flags.only === "commerce" || flags.only === "payments" || flags.only === "messaging") &&
		!flags["disk-storage"] &&
		existsSync("/dev/shm")
			? "/dev/shm"
			: undefined;
	const stack = await startStack({ databaseUrl, inspect: flags.heap, runtimeStorageDir }, disposers);
	/** What every recorded run says about itself: when, how, on what, and under what load. */
	const runHeader = () => {
		const cpuList = cpus();
		return {
			date: new Date().toISOString(),
			command: commandLine(),
			backend: stack.backend,
			machine: {
				cpuModel: cpuList[0]?.model.trim() ?? "unknown",
				cpuCount: cpuList.length,
				memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
				platform: `${platform()} ${release()}`,
				node: process.version,
				loadAverage: { start: Math.round(loadAtStart * 10) / 10, end: Math.round((loadavg()[0] ?? 0) * 10) / 10 },
			},
			...(process.env.BENCH_NOTE ? { note: process.env.BENCH_NOTE } : {}),
		};
	};
	await seedBulkCatalog(stack.databaseUrl, stack.sqlEndpoint, { products: 1000, variantsPerProduct: 5 });
	console.log(
		`bench: stack up on ${stack.backend}: gateway ${stack.gatewayUrl}, hello-world ${stack.helloWorldUrl} (${elapsed()})`,
	);
	const load = startLoadGenerator();
	const watched: WatchedProcess[] = [
		{ role: "bench host (Miniflare, neon-local, PGlite)", pid: process.pid },
		...stack.processes,
		{ role: "load generator (autocannon)", pid: load.pid },
	];

	if (flags.only === "commerce") {
		const commerce = await runCommerce(
			stack,
			load,
			startLoadGenerator(),
			{
				...parameters,
				addCarts: flags.quick ? 100 : 300,
				checkoutCarts: flags.quick ? 100 : 400,
			},
			[
				{ role: `bench host (neon-local${stack.backend === "pglite" ? ", PGlite" : ""})`, pid: process.pid },
				...stack.processes.filter((w) => w.role.includes("Oja")),
			],
			(line) => console.log(`bench: ${line} (${elapsed()})`),
		);
		const broken = commerce.addToCart.errors + commerce.checkout.errors + commerce.listing.besideCheckouts.errors > 0;
		if (flags.quick) {
			console.log("bench: --quick commerce run, docs/ left as they were");
			return broken || !commerce.rush.correct ? 1 : 0;
		}
		await writeCommerceReport({
			...runHeader(),
			runtime: { miniflare: packageVersion("miniflare"), workerd: packageVersion("workerd") },
			parameters,
			runtimeStorage: runtimeStorageDir ? "tmpfs" : "disk",
			...commerce,
		});
		console.log(`bench: wrote ${COMMERCE_JSON} and the commerce section of docs/benchmarks.md (${elapsed()})`);
		return broken || !commerce.rush.correct ? 1 : 0;
	}

	if (flags.only === "payments") {
		const payments = await runPayments(stack, load, parameters.durationSeconds, (line) =>
			console.log(`bench: ${line} (${elapsed()})`),
		);
		await writePaymentsReport({
			...runHeader(),
			...payments,
		});
		console.log(`bench: wrote ${PAYMENTS_JSON} and the payments section of docs/benchmarks.md (${elapsed()})`);
		return payments.chargeToPaid.allPaid && payments.ledger.consistent ? 0 : 1;
	}

	if (flags.only === "probe") {
		const { inboundMessageEnvelope, signWhatsAppBody } = await import("@oja/whatsapp");
		const { cpuMeter, settle } = await import("./commerce.ts");
		const body = JSON.stringify(
			inboundMessageEnvelope(
				{ phoneNumberId: "999000111222333", displayPhoneNumber: "2340000000", waId: "2348099999999", name: "Bench" },
				[{ type: "text", body: "how much is the gele?" }],
			),
		);
		const headers = {
			"content-type": "application/json",
			"x-hub-signature-256": await signWhatsAppBody(body, stack.whatsappAppSecret),
		};
		const d = parameters.durationSeconds;
		// workerd runs every Oja Worker on one thread, so its CPU µs per request is what bounds req/s
		// (the load generator's is a tenth of it); that reading is steadier than req/s.
		const runs: [string, Omit<LoadRequest, "id">][] = [
			[
				"hello GET",
				{ url: stack.helloWorldUrl, method: "GET", headers: {}, body: undefined, connections: 32, durationSeconds: d },
			],
			["hello POST", { url: stack.helloWorldUrl, method: "POST", headers, body, connections: 32, durationSeconds: d }],
			[
				"gw /health",
				{ url: `${stack.gatewayUrl}/health`, method: "GET", headers: {}, body: undefined, connections: 32, durationSeconds: d },
			],
			[
				"gw whatsapp",
				{ url: `${stack.gatewayUrl}/webhooks/whatsapp`, method: "POST", headers, body, connections: 32, durationSeconds: d },
			],
		];
		const picked = process.env.PROBE_RUNS ? runs.filter(([n]) => process.env.PROBE_RUNS?.split(",").includes(n)) : runs;
		for (const rep of [1, 2, 3])
			for (const [name, r] of picked) {
				await settle(stack);
				await load({ ...r, durationSeconds: 2 });
				const meter = cpuMeter(watched);
				const m = await load(r);
				const cpu = meter(m.requests / 1000);
				console.log(
					`probe ${rep} ${name}: ${JSON.stringify(cpu)} ${Math.round(m.requestsPerSecond)} req/s ${JSON.stringify(m.statusCodes)}`,
				);
			}
		return 0;
	}

	if (flags.only === "messaging") {
		const messaging = await runMessaging(stack, load, parameters.durationSeconds, (line) =>
			console.log(`bench: ${line} (${elapsed()})`),
		);
		await writeMessagingReport({ ...runHeader(), ...messaging });
		console.log(`bench: wrote ${MESSAGING_JSON} and the messaging section of docs/benchmarks.md (${elapsed()})`);
		return messaging.replyLatency.answered === messaging.replyLatency.messages &&
			messaging.replyBurst?.answered === messaging.replyBurst?.messages &&
			messaging.webhookDeliveries.received >= messaging.webhookDeliveries.deliveries
			? 0
			: 1;
	}

	const measured: Omit<ScenarioResult, "percentOfBaseline">[] = [];
	const soakOnly = flags.only !== undefined && "soak".includes(flags.only);
	const selected = soakOnly
		? []
		: flags.only
			? SCENARIOS.filter((s) => s.name === BASELINE || s.name.includes(flags.only as string))
			: SCENARIOS;
	for (const scenario of selected) {
		const result = await runScenario(scenario, stack, load, watched);
		measured.push(result);
		console.log(
			`bench: ${result.name}: ${result.requestsPerSecond} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, ` +
				`${result.non2xx + result.errors} errors, ${result.sqlRoundTripsPerRequest} SQL/req (${elapsed()})`,
		);
	}

	let soak: SoakResult | undefined;
	if (soakSeconds > 0 && (soakOnly || !flags.only)) {
		console.log(`bench: soak: ${soakSeconds} s of cold reads over ${SOAK.paths.join(", ")}`);
		soak = await runSoak(stack, load, watched);
		for (const s of soak.samples) {
			const cells = Object.entries(s.memory).map(
				([role, m]) => `${role} ${m ? `${m.rssMiB} (anon ${m.anonMiB}, file ${m.fileMiB}) peak ${m.peakMiB}` : "–"}`,
			);
			console.log(`bench: soak ${String(s.seconds).padStart(4)} s  RSS MiB: ${cells.join("; ")}`);
		}
		console.log(`bench: soak: ${soak.requests} requests, ${soak.requestsPerSecond} req/s, ${soak.errors} errors (${elapsed()})`);
	}
	const peakMemory = sample(watched);
	for (const [role, m] of Object.entries(peakMemory)) {
		console.log(`bench: ${role}: RSS ${m ? `${m.rssMiB} MiB now, peak ${m.peakMiB} MiB` : "unavailable"}`);
	}

	const baseline = measured.find((s) => s.name === BASELINE)?.requestsPerSecond;
	const scenarios: ScenarioResult[] = measured.map((s) => ({
		...s,
		percentOfBaseline: baseline ? Math.round((s.requestsPerSecond / baseline) * 1000) / 10 : null,
	}));
	const targetPercent = scenarios.find((s) => s.name === TARGET.scenario)?.percentOfBaseline ?? null;
	const report: Report = {
		...runHeader(),
		runtime: { miniflare: packageVersion("miniflare"), workerd: packageVersion("workerd") },
		parameters,
		target: { ...TARGET, percent: targetPercent, met: targetPercent !== null && targetPercent >= TARGET.minPercentOfBaseline },
		scenarios,
		micro: [await measureTokenVerification()],
		memory: { processes: watched.map((p) => p.role), final: peakMemory },
		...(soak ? { soak } : {}),
	};
	if (flags.only) console.log("bench: --only run, docs/ left as they were");
	else {
		await writeReport(report, "docs/benchmarks.json", "docs/benchmarks.md");
		console.log(`bench: wrote docs/benchmarks.md and docs/benchmarks.json (${elapsed()})`);
	}

	const failed: { name: string; statusCodes: Record<string, number> }[] = scenarios.filter((s) => s.non2xx + s.errors > 0);
	if (soak && soak.errors > 0) failed.push({ name: "soak", statusCodes: soak.statusCodes });
	for (const s of failed) console.error(`bench: ${s.name} had errors: status codes ${JSON.stringify(s.statusCodes)}`);
	if (failed.length > 0 && stack.gatewayLogs.errors.length > 0) {
		console.error(`bench: last gateway error logs:\n${stack.gatewayLogs.errors.join("\n")}`);
	}
	return failed.length > 0 ? 1 : 0;
}

let code = 1;
try {
	code = await main();
} catch (error) {
	console.error("bench: failed:", error);
} finally {
	await teardown();
}
process.exit(code);
