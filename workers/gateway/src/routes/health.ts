import { problem } from "@oja/contracts";
import { createSql } from "@oja/db";
import { problemResponse } from "@oja/http-conventions";
import { z } from "zod";
import { operatorAsking } from "../middleware/operator.ts";
import { limitStorefrontOrigin } from "../middleware/rate-limit.ts";
import { routeGroup } from "../openapi/registry.ts";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Readiness = z.object({
	status: z.enum(["ready", "degraded"]),
	checks: z.record(z.string(), Check).optional().describe("Operators only (ops token)"),
});

// A readiness probe must answer even when a dependency hangs rather than fails.
const CHECK_TIMEOUT_MS = 3000;

async function timed(run: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
	const started = performance.now();
	let timer: ReturnType<typeof setTimeout> | undefined;
	try {
		await Promise.race([
			run(),
			new Promise((_, reject) => {
				timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
			}),
		]);
		return { ok: true, latencyMs: Math.round(performance.now() - started) };
	} catch (error) {
		// The message names the failure class only; connection strings never leave the Worker.
		const message =
			error instanceof Error ? error.message.split("\n")[0]?.replace(/postgres(ql)?:\/\/\S+/g, "[database]") : "failed";
		return { ok: false, latencyMs: Math.round(performance.now() - started), error: message };
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}

export const healthRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/health",
			operationId: "health",
			summary: "Liveness: the gateway is running",
			tags: ["health"],
			responses: { 200: { description: "Alive", schema: z.object({ status: z.literal("ok") }) } },
		},
		[],
		(c) => c.json({ status: "ok" as const }, 200, { "cache-control": "no-store" }),
	)
	.declare(
		{
			method: "get",
			path: "/health/ready",
			operationId: "healthReady",
			summary: "Readiness: one database round trip and a ping of every bound Worker",
			description:
				"Answers 503 when a dependency fails. Anyone gets only the status (rate limited per IP, and at most one check a few seconds per isolate); an operator's ops token (`Authorization: Bearer …`) gets every check with its latency and the failing dependencies named.",
			tags: ["health"],
			responses: { 200: { description: "Every dependency answered", schema: Readiness } },
			problems: ["service-unavailable"],
		},
		[],
		async (c) => {
			// Outside callers learn ready or not, nothing about which dependency or how slow.
			if (!(await operatorAsking(c))) {
				await limitStorefrontOrigin(c);
				const ready = await publicReadiness(() => checkAll(c.env));
				if (ready) return c.json({ status: "ready" as const }, 200, { "cache-control": "no-store" });
				return problemResponse(problem("service-unavailable", "Not ready."), c.get("requestId"), { "retry-after": "5" });
			}
			const entries = await checkAll(c.env);
			const checks = Object.fromEntries(entries);
			const failing = entries.filter(([, r]) => !r.ok).map(([name]) => name);
			if (failing.length === 0) return c.json({ status: "ready", checks }, 200, { "cache-control": "no-store" });
			return problemResponse(
				problem("service-unavailable", `Not ready: ${failing.join(", ")} failing.`, { extensions: { failing, checks } }),
				c.get("requestId"),
				{ "retry-after": "5" },
			);
		},
	).app;

function checkAll(env: GatewayBindings) {
	return Promise.all([
		timed(() => createSql(env)`SELECT 1`).then((r) => ["database", r] as const),
		timed(() => env.IDENTITY.ping()).then((r) => ["identity", r] as const),
		timed(() => env.CATALOG.ping()).then((r) => ["catalog", r] as const),
		timed(() => env.OPS.ping()).then((r) => ["ops", r] as const),
	]);
}

// The public answer is shared for a few seconds per isolate, so a flood of probes costs at
// most one database round trip per isolate per interval.
const PUBLIC_TTL_MS = 5000;
let lastPublic: { at: number; ready: Promise<boolean> } | undefined;

function publicReadiness(run: () => ReturnType<typeof checkAll>): Promise<boolean> {
	const now = Date.now();
	if (!lastPublic || now - lastPublic.at > PUBLIC_TTL_MS) {
		lastPublic = { at: now, ready: run().then((entries) => entries.every(([, r]) => r.ok)) };
	}
	return lastPublic.ready;
}
