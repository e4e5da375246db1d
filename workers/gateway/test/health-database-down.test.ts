import { env } from "cloudflare:workers";
import { loadSigningKeys, signAccessToken } from "@oja/auth";
import { newId } from "@oja/db";
import { gateway, problemOf } from "@oja/test-helpers";
import { expect, it } from "vitest";

// vitest.config.ts points this file's Workers at a database endpoint where nothing listens.

it("GET /health/ready answers outsiders 503 without naming anything", async () => {
	const problem = await problemOf(await gateway("/health/ready"), 503);
	expect(problem.detail).toBe("Not ready.");
	expect(problem.failing).toBeUndefined();
	expect(problem.checks).toBeUndefined();
});

it("GET /health/ready answers an operator 503 naming the database when it is unreachable", async () => {
	// Only the token's signature is checked: whether the operator is enabled needs the database.
	const keys = await loadSigningKeys(env.TEST_SIGNING_KEYS);
	const opsToken = await signAccessToken(keys, env.AUTH_ISSUER, { sub: newId("operator"), sid: "ol_test", aud: "ops" });
	const res = await gateway("/health/ready", { headers: { authorization: `Bearer ${opsToken}` } });
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
