import { env } from "cloudflare:workers";
import { loadSigningKeys, signAccessToken } from "@oja/auth";
import { newId } from "@oja/db";
import { gateway, postJson, problemOf } from "@oja/test-helpers";
import { describe, expect, it } from "vitest";

describe("liveness and readiness", () => {
	it("GET /health answers without touching dependencies", async () => {
		const res = await gateway("/health");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: "ok" });
	});

	it("GET /health/ready answers outsiders with the status alone", async () => {
		const res = await gateway("/health/ready");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: "ready" });
		// A token that is not an operator's gets nothing more.
		await problemOf(await gateway("/health/ready", { headers: { authorization: "Bearer not.a.token" } }), 401);
	});

	it("GET /health/ready gives an operator every check: a database round trip and a ping of every bound Worker", async () => {
		const keys = await loadSigningKeys(env.TEST_SIGNING_KEYS);
		const opsToken = await signAccessToken(keys, env.AUTH_ISSUER, { sub: newId("operator"), sid: "ol_test", aud: "ops" });
		const res = await gateway("/health/ready", { headers: { authorization: `Bearer ${opsToken}` } });
		const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
		expect(res.status, JSON.stringify(body)).toBe(200);
		expect(body.status).toBe("ready");
		expect(Object.keys(body.checks).sort()).toEqual(["catalog", "database", "identity", "ops"]);
		for (const check of Object.values(body.checks)) expect(check.ok).toBe(true);
	});
});

describe("cross-cutting HTTP behaviour", () => {
	it("echoes a well-formed x-request-id and replaces a malformed one", async () => {
		const kept = await gateway("/health", { headers: { "x-request-id": "client-trace-12345" } });
		expect(kept.headers.get("x-request-id")).toBe("client-trace-12345");

		const replaced = await gateway("/health", { headers: { "x-request-id": "<script>alert(1)</script>" } });
		expect(replaced.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);

		const minted = await gateway("/health");
		expect(minted.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
		expect(minted.headers.get("x-request-id")).not.toBe(replaced.headers.get("x-request-id"));
	});

	it("answers unknown routes with a problem+json 404", async () => {
		const problem = await problemOf(await gateway("/v1/nope"), 404);
		expect(problem.type).toBe("https://oja.dev/problems/not-found");
	});

	it("answers a wrong method with 405 and an Allow header", async () => {
		const res = await gateway("/v1/auth/signup", { method: "GET" });
		expect(res.headers.get("allow")).toContain("POST");
		const problem = await problemOf(res, 405);
		expect(problem.type).toBe("https://oja.dev/problems/method-not-allowed");
	});

	it("allows CORS only from configured origins", async () => {
		const preflight = (origin: string) =>
			gateway("/v1/auth/signup", {
				method: "OPTIONS",
				headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
			});
		const allowed = await preflight("http://localhost:8787");
		expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
		expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");

		const denied = await preflight("https://evil.example");
		expect(denied.headers.get("access-control-allow-origin")).toBeNull();
	});

	it("lets a cookie-signed-in page on an allowed origin send its CSRF token on unsafe requests", async () => {
		const res = await gateway("/v1/stores/str_x/products", {
			method: "OPTIONS",
			headers: {
				origin: "http://localhost:8787",
				"access-control-request-method": "POST",
				"access-control-request-headers": "content-type, x-csrf-token",
			},
		});
		expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
		const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(/,\s*/).map((h) => h.toLowerCase());
		expect(allowed).toEqual(expect.arrayContaining(["content-type", "x-csrf-token"]));
	});

	it("adds CORS headers to actual responses for allowed origins only, and varies on Origin", async () => {
		const allowed = await gateway("/health", { headers: { origin: "http://127.0.0.1:8787" } });
		expect(allowed.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8787");
		expect(allowed.headers.get("access-control-expose-headers")).toContain("x-request-id");
		expect(allowed.headers.get("vary")).toContain("Origin");

		const denied = await gateway("/health", { headers: { origin: "https://evil.example" } });
		expect(denied.headers.get("access-control-allow-origin")).toBeNull();
		expect(denied.headers.get("vary")).toContain("Origin");

		// Errors carry CORS headers too, so a browser client can read the problem body.
		const notFound = await gateway("/v1/nope", { headers: { origin: "http://localhost:8787" } });
		expect(notFound.status).toBe(404);
		expect(notFound.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
	});

	it("refuses bodies over the limit with 413", async () => {
		const huge = JSON.stringify({ email: "a@b.co", padding: "x".repeat(1024 * 1024 + 10) });
		const problem = await problemOf(await postJson("/v1/auth/signup", huge), 413);
		expect(problem.type).toBe("https://oja.dev/problems/payload-too-large");
	});
});

describe("API description", () => {
	it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
		const res = await gateway("/openapi.json");
		expect(res.status).toBe(200);
		const doc = (await res.json()) as {
			openapi: string;
			servers: { url: string }[];
			paths: Record<
				string,
				Record<
					string,
					{
						requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> };
						responses: Record<string, unknown>;
					}
				>
			>;
		};
		expect(doc.openapi).toBe("3.1.0");
		expect(doc.servers[0]?.url).toBe("http://oja.test");
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining(["/health", "/health/ready", "/v1/auth/signup", "/v1/storefront/{slug}"]),
		);
		const signup = doc.paths["/v1/auth/signup"]?.post;
		const schema = signup?.requestBody?.content["application/json"]?.schema;
		expect(schema?.required).toEqual(expect.arrayContaining(["email", "password", "name", "storeName", "storeSlug"]));
		expect(Object.keys(signup?.responses ?? {})).toEqual(
			expect.arrayContaining(["201", "400", "409", "413", "415", "422", "500"]),
		);
	});

	it("serves a human-readable reference at /docs", async () => {
		const res = await gateway("/docs");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toContain("text/html");
		const page = await res.text();
		expect(page).toContain("/v1/auth/signup");
		expect(page).toContain("Create a merchant account and their store");
	});
});
