// Webhook ingest as the payments and messaging benchmarks measure it: one signed request POSTed
// as fast as the gateway takes it (warm-up first), beside bare workerd in the same run, counting
// every neon-local round trip while it runs (the route makes none; consumers' come after).
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

export async function measureIngest(
	stack: Stack,
	load: Load,
	request: { path: string; headers: Record<string, string>; body: string },
	durationSeconds: number,
): Promise<{ ingest: IngestResult; helloWorld: { perSecond: number }; ingestRatio: number }> {
	const run = {
		url: `${stack.gatewayUrl}${request.path}`,
		method: "POST",
		headers: request.headers,
		body: request.body,
		connections: 32,
		durationSeconds: 3,
	};
	await load(run);
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
	const during = await stack.admin.stats();
	return {
		ingest: {
			perSecond: measured.requestsPerSecond,
			p50Ms: measured.latencyP50Ms,
			p99Ms: measured.latencyP99Ms,
			statuses: measured.statusCodes,
			requests: measured.requests,
			sqlInRequests: during.requests,
		},
		helloWorld: { perSecond: hello.requestsPerSecond },
		ingestRatio: Math.round((measured.requestsPerSecond / hello.requestsPerSecond) * 100) / 100,
	};
}
