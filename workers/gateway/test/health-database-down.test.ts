import { gateway } from "@oja/test-helpers";
import { expect, it } from "vitest";

// vitest.config.ts points this file's Workers at a database endpoint where nothing listens.

it("GET /health/ready answers 503 naming the database when it is unreachable", async () => {
	const res = await gateway("/health/ready");
	expect(res.status).toBe(503);
	expect(res.headers.get("content-type")).toContain("application/problem+json");
	const body = (await res.json()) as {
		failing: string[];
		detail: string;
		checks: Record<string, { ok: boolean; error?: string }>;
	};
	expect(body.failing).toEqual(["database"]);
	expect(body.detail).toContain("database");
	expect(body.checks.identity?.ok).toBe(true);
	expect(body.checks.ops?.ok).toBe(true);
	expect(body.checks.database?.error).not.toContain("oja:oja");
});

it("GET /health still answers 200: liveness does not depend on the database", async () => {
	expect((await gateway("/health")).status).toBe(200);
});
