// Webhook ingest as the payments and messaging benchmarks measure it: one signed request POSTed
// as fast as the gateway takes it (warm-up first), beside bare workerd in the same run (three
// rounds, each bare then ingest; medians reported), counting every neon-local round trip while
// it runs (the route makes none; consumers' come after).
import type { Stack } from "../scripts/local-stack.ts";
import type { Load } from "./commerce.ts";
import { settle } from "./commerce.ts";

export interface IngestResult {
	perSecond: number;
	p50Ms: number;
	p99Ms: number;
	statuses: Record<string, number>;
	requests: number;
	sqlInRequests: number;
}

export interface IngestRound {
	ingestPerSecond: number;
	helloWorldPerSecond: number;
	ratio: number;
}

/** Rounds of bare workerd then ingest, each ratio within its own round: the median is reported. */
const ROUNDS = 3;

const median = (xs: number[]): number => {
	const sorted = xs.toSorted((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] as number;
};

export async function measureIngest(
	stack: Stack,
	load: Load,
	request: { path: string; headers: Record<string, string>; body: string },
	durationSeconds: number,
): Promise<{
	ingest: IngestResult;
	helloWorld: { perSecond: number };
	ingestRatio: number;
	rounds: IngestRound[];
}> {
	const run = {
		url: `${stack.gatewayUrl}${request.path}`,
		method: "POST",
		headers: request.headers,
		body: request.body,
		connections: 32,
		durationSeconds: 3,
	};
	await load(run);
	// The machine's speed drifts (other tenants): each round measures bare workerd just before
	// ingest, and the reported ratio is the median round's.
	const rounds: IngestRound[] = [];
	const p50s: number[] = [];
	const p99s: number[] = [];
	const statuses: Record<string, number> = {};
	let requests = 0;
	let sqlInRequests = 0;
	for (let round = 0; round < ROUNDS; round++) {
		await settle(stack);
		const hello = await load({
			url: stack.helloWorldUrl,
			method: "GET",
			headers: {},
			body: undefined,
			connections: 32,
			durationSeconds,
		});
		await stack.admin.resetStats();
		const measured = await load({ ...run, durationSeconds });
		sqlInRequests += (await stack.admin.stats()).requests;
		requests += measured.requests;
		for (const [code, n] of Object.entries(measured.statusCodes)) statuses[code] = (statuses[code] ?? 0) + n;
		p50s.push(measured.latencyP50Ms);
		p99s.push(measured.latencyP99Ms);
		rounds.push({
			ingestPerSecond: measured.requestsPerSecond,
			helloWorldPerSecond: hello.requestsPerSecond,
			ratio: Math.round((measured.requestsPerSecond / hello.requestsPerSecond) * 100) / 100,
		});
	}
	return {
		ingest: {
			perSecond: median(rounds.map((r) => r.ingestPerSecond)),
			p50Ms: median(p50s),
			p99Ms: median(p99s),
			statuses,
			requests,
			sqlInRequests,
		},
		helloWorld: { perSecond: median(rounds.map((r) => r.helloWorldPerSecond)) },
		ingestRatio: median(rounds.map((r) => r.ratio)),
		rounds,
	};
}
