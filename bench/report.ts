// docs/benchmarks.json and docs/benchmarks.md. The markdown is regenerated whole on every run
// so the page never mixes numbers from different machines or days.
import { writeFile } from "node:fs/promises";
import { withCommerceSection } from "./commerce-report.ts";
import type { LoadResult } from "./load.ts";
import { withSearchPlanSection } from "./search-plan-report.ts";

/** One scenario: the load generator's numbers plus what the harness measured around them. */
export interface ScenarioResult extends Omit<LoadResult, "durationSeconds" | "wallSeconds" | "headerCounts"> {
	name: string;
	method: string;
	path: string;
	/** neon-local POST /sql calls during the measured run, per completed request. */
	sqlRoundTripsPerRequest: number;
	/** Worker console lines per completed request (0 for the bare Worker, which never logs). */
	logLinesPerRequest: number;
	/** Throughput relative to the bare-workerd scenario in the same run. */
	percentOfBaseline: number | null;
	/** Every watched process's memory right after the measured run. */
	memoryAfter?: MemorySample;
}

/** Resident memory per process (role → MiB now and peak so far; null if unreadable). */
export type MemorySample = Record<string, { rssMiB: number; peakMiB: number; anonMiB?: number; fileMiB?: number } | null>;

export interface SoakResult {
	paths: string[];
	durationSeconds: number;
	sampleSeconds: number;
	requests: number;
	requestsPerSecond: number;
	errors: number;
	statusCodes: Record<string, number>;
	/** `heap` (V8, per Worker isolate, after a full GC) only in `--heap` runs. */
	samples: {
		seconds: number;
		memory: MemorySample;
		heap?: Record<string, { usedMiB: number; totalMiB: number }>;
		/** Whether a full garbage collection ran just before `heap` was read. */
		collected?: boolean;
	}[];
}

export interface Report {
	date: string;
	command: string;
	machine: {
		cpuModel: string;
		cpuCount: number;
		memoryGiB: number;
		platform: string;
		node: string;
		/** 1-minute load average when the run started and ended (above cpuCount: other work shared the machine). */
		loadAverage?: { start: number; end: number };
	};
	/** Free text from BENCH_NOTE, shown at the top, e.g. what else ran on the machine. */
	note?: string;
	runtime: { miniflare: string; workerd: string };
	backend: string;
	parameters: { connections: number; durationSeconds: number; warmupSeconds: number };
	target: { scenario: string; minPercentOfBaseline: number; percent: number | null; met: boolean };
	scenarios: ScenarioResult[];
	/** In-process measurements of single operations (no HTTP), e.g. token verification. */
	micro?: { name: string; iterations: number; p50Us: number; p99Us: number; where: string }[];
	/** Each process's memory at the end of the run; peakMiB is the kernel's high-water mark (VmHWM). */
	memory?: { processes: string[]; final: MemorySample };
	soak?: SoakResult;
}

const fmt = (n: number, digits = 0) =>
	n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function microSection(report: Report): string {
	if (!report.micro || report.micro.length === 0) return "";
	const rows = report.micro.map((m) => `| ${m.name} | ${fmt(m.p50Us)} | ${fmt(m.p99Us)} | ${fmt(m.iterations)} | ${m.where} |`);
	const login = report.scenarios.find((s) => s.path === "/v1/auth/login");
	const loginLine = login
		? `\nLogins are PBKDF2-SHA256 at 100,000 iterations (the Workers maximum). workerd runs a Worker's requests on one thread, so the login row's ${fmt(login.requestsPerSecond)} req/s is **logins per second per core** on this machine.\n`
		: "";
	return `
### Single operations (in-process)

| Operation | p50 µs | p99 µs | iterations | where |
| --- | ---: | ---: | ---: | --- |
${rows.join("\n")}
${loginLine}`;
}

/** The storefront targets: warm (edge-cached) reads ≥ 50% of bare workerd with 0 SQL; cold ≤ 1 round trip. */
function storefrontSection(report: Report): string {
	const warm = report.scenarios.filter((s) => s.name.startsWith("storefront") && s.name.endsWith(", warm"));
	const cold = report.scenarios.filter((s) => s.name.startsWith("storefront") && s.name.endsWith(", cold"));
	if (warm.length === 0 && cold.length === 0) return "";
	const lowestWarm = Math.min(...warm.map((s) => s.percentOfBaseline ?? 0));
	const warmSql = Math.max(...warm.map((s) => s.sqlRoundTripsPerRequest));
	const coldSql = Math.max(...cold.map((s) => s.sqlRoundTripsPerRequest));
	return `
### Storefront

Reads against a seeded store of 1,000 active products / 5,000 variants (\`scripts/seed.ts\` \`seedBulkCatalog\`). **Warm**: the same URL repeatedly, answered by the edge cache (in-isolate tier in front of the Cache API; \`@oja/edge-cache\`), no domain Worker and no SQL: the API's in the gateway, the HTML pages' in the storefront Worker, which the gateway forwards them to over a service binding. The *straight to oja-storefront* rows send the same pages to the storefront Worker directly (as if it had its own route), so the gap to the rows above them is the gateway hop. **Cold**: every request carries a unique query parameter, so each one misses, is answered by the catalog Worker with one SQL statement, and is written to the cache. Every warm scenario runs before any cold one (a cold run leaves thousands of cache writes draining in Miniflare's disk-backed cache). Locally about a quarter of a cold request's cost is that cache write; on Cloudflare it is a local write in the data centre.

- Warm: lowest **${fmt(lowestWarm)}%** of bare-workerd throughput (target ≥ 50%), ${fmt(warmSql, 2)} SQL round trips per request.
- Cold: at most **${fmt(coldSql, 2)}** SQL round trips per request (target ≤ 1; the hundredths above 1 are the 32 requests in flight when the measured run ends: their SQL is counted, their responses are not). Search included.
`;
}

// "workerd (Oja Workers)" and "workerd (hello-world)" need their qualifier; the others do not.
const shortRole = (role: string) => (role.startsWith("workerd") ? role : role.replace(/ \(.*\)$/, ""));

function memorySection(report: Report): string {
	if (!report.memory) return "";
	const { processes, final } = report.memory;
	if (processes.every((role) => final[role] === null || final[role] === undefined)) {
		return "\n### Memory\n\nNot measured: this system has no /proc.\n";
	}
	const rows = processes.map((role) => {
		const m = final[role];
		return `| ${role} | ${m ? fmt(m.peakMiB, 1) : "–"} | ${m ? fmt(m.rssMiB, 1) : "–"} |`;
	});
	// The Oja Workers' process after each scenario, in run order: what request churn alone does.
	const ojaRole = processes.find((role) => role.includes("Oja"));
	const perScenario = ojaRole
		? report.scenarios
				.filter((s) => s.memoryAfter?.[ojaRole])
				.map((s) => {
					const m = s.memoryAfter?.[ojaRole];
					return `| ${s.name} | ${fmt(s.requests)} | ${m ? fmt(m.rssMiB, 1) : "–"} | ${m ? fmt(m.peakMiB, 1) : "–"} |`;
				})
		: [];
	const scenarioText =
		perScenario.length === 0
			? ""
			: `
\`${ojaRole}\` after each scenario above, in run order (requests = the measured run's; the warm-up adds about a third):

| After scenario | requests | RSS MiB | peak MiB |
| --- | ---: | ---: | ---: |
${perScenario.join("\n")}
`;
	const soak = report.soak;
	let soakText = "";
	if (soak) {
		const header = soak.samples[0] ? Object.keys(soak.samples[0].memory) : processes;
		// A row every ~30 s keeps the table readable; the JSON has every sample.
		const every = Math.max(1, Math.round(30 / soak.sampleSeconds));
		const shown = soak.samples.filter((_, i) => i % every === 0 || i === soak.samples.length - 1);
		const soakRows = shown.map((s) => {
			const cells = header.map((role) => {
				const m = s.memory[role];
				return m ? fmt(m.rssMiB, 1) : "–";
			});
			return `| ${s.seconds} | ${cells.join(" | ")} |`;
		});
		soakText = `
#### Soak: resident memory over ${fmt(soak.durationSeconds)} s of cold reads

${fmt(soak.requests)} requests (${fmt(soak.requestsPerSecond)} req/s, ${fmt(soak.errors)} errors), ${report.parameters.connections} connections, every URL unique (\`?_r=…\`) so every request misses both cache tiers, reads Postgres and adds a cache entry; the paths take turns: ${soak.paths.map((p) => `\`${p}\``).join(", ")}. RSS in MiB, sampled every ${soak.sampleSeconds} s (every sample is in benchmarks.json); the last row is taken ${soak.sampleSeconds} s after the load stops.

| s | ${header.map(shortRole).join(" | ")} |
| ---: | ${header.map(() => "---:").join(" | ")} |
${soakRows.join("\n")}
`;
	}
	return `
### Memory

Resident memory per process from \`/proc/<pid>/status\`: *peak* is the kernel's high-water mark (VmHWM) over the whole run, *end* is VmRSS when the run finished. The Oja Workers (gateway, identity, catalog, commerce, ops, storefront) share one workerd process with Miniflare's own emulation Workers (Cache API, KV, queues, rate limits), as they do under \`npm start\`; neon-local and embedded PGlite run inside the bench host. With \`DATABASE_URL\` set, the PostgreSQL server's memory is not counted. Memory, unlike throughput, does not depend on how busy the machine is, so these numbers hold even when the req/s above are noisy. What the memory is and what bounds it: [memory.md](memory.md).

| Process | peak MiB | end MiB |
| --- | ---: | ---: |
${rows.join("\n")}
${scenarioText}${soakText}`;
}

function loadLine(report: Report): string {
	const load = report.machine.loadAverage;
	if (!load) return "";
	const busy = Math.max(load.start, load.end) > report.machine.cpuCount;
	return `\nLoad average (1 min) ${fmt(load.start, 1)} at the start, ${fmt(load.end, 1)} at the end, on ${report.machine.cpuCount} cores${busy ? ": **other work shared the machine during this run, so its throughput and latency numbers are depressed and noisy; its memory numbers are not affected**" : ""}.\n`;
}

export function renderMarkdown(report: Report): string {
	const { parameters: p, machine: m, target } = report;
	const rows = report.scenarios.map((s) =>
		[
			s.name,
			fmt(s.requestsPerSecond),
			fmt(s.latencyP50Ms, 2),
			fmt(s.latencyP99Ms, 2),
			fmt(s.non2xx + s.errors),
			fmt(s.sqlRoundTripsPerRequest, 2),
			s.percentOfBaseline === null ? "–" : `${fmt(s.percentOfBaseline)}%`,
		].join(" | "),
	);
	const verdict =
		target.percent === null
			? `**Target not evaluated:** no \`${target.scenario}\` result in this run.`
			: target.met
				? `**Target met:** \`${target.scenario}\` reached ${fmt(target.percent)}% of bare-workerd throughput (target ≥ ${target.minPercentOfBaseline}%).`
				: `**Target not met:** \`${target.scenario}\` reached ${fmt(target.percent)}% of bare-workerd throughput (target ≥ ${target.minPercentOfBaseline}%).`;

	return `<!-- Generated by bench/run.ts (\`npm run bench\`); edits here are overwritten on the next run. -->

# Benchmarks

Throughput and latency of the gateway on workerd, measured against a bare hello-world Worker on the same workerd build in the same run. The numbers show what Oja's own code costs per request, not what production will see.

- **How the Workers run:** the gateway and every domain Worker run as their \`wrangler deploy\` bundles on workerd through the Miniflare API, with the bindings, service bindings and queues from their \`wrangler.toml\`. \`wrangler dev\` is deliberately not used: its proxy layer adds so much per-request overhead that it would be the thing measured.
- **Database:** neon-local (backend: ${report.backend}) serving a freshly migrated and seeded \`oja_bench\` database over the Neon HTTP protocol. *SQL round trips/req* is the number of POST /sql calls during the measured run divided by the requests completed.
- **Load:** autocannon in a separate process, ${p.connections} connections, a ${p.warmupSeconds} s warm-up, then a ${p.durationSeconds} s measured run per scenario. Latencies are per request, from the client's side; *errors* are non-2xx responses plus connection errors and timeouts.
- **Noise:** this runs on a small shared machine (${m.cpuCount} × ${m.cpuModel}) where the load generator, workerd and neon-local compete for the same cores. Absolute numbers move between runs; compare ratios within one run (the *% of bare workerd* column), not across runs. The load generator (autocannon, Node) itself tops out at a few thousand requests per second here, so the bare-workerd row is partly its ceiling; single runs of the \`/health\` ratio have ranged from about 55% to 90%.

${loadLine(report)}${report.note ? `\n**Note:** ${report.note}\n` : ""}
| Scenario | req/s | p50 ms | p99 ms | errors | SQL round trips/req | % of bare workerd |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r} |`).join("\n")}

${verdict}
${storefrontSection(report)}
${memorySection(report)}
${microSection(report)}
Run on ${report.date} · Node ${m.node} · ${m.platform} · ${m.cpuCount} × ${m.cpuModel} · ${fmt(m.memoryGiB, 1)} GiB · miniflare ${report.runtime.miniflare} · workerd ${report.runtime.workerd}. Machine-readable results: [benchmarks.json](benchmarks.json).

Command:

\`\`\`sh
${report.command}
\`\`\`
`;
}

export async function writeReport(report: Report, jsonPath: string, markdownPath: string): Promise<void> {
	await writeFile(jsonPath, `${JSON.stringify(report, null, "\t")}\n`);
	await writeFile(markdownPath, withSearchPlanSection(withCommerceSection(renderMarkdown(report))));
}
