import { ProblemError, problem } from "@oja/contracts";
import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ConventionsEnv, errorProblem, methodNotAllowedProblem, notFoundProblem, requestContext } from "../src/index.ts";

function app() {
	const a = new Hono<ConventionsEnv>();
	a.use(requestContext());
	a.use(methodNotAllowed({ app: a, onMethodNotAllowed: methodNotAllowedProblem }));
	a.get("/stores/:id", (c) => {
		c.set("storeId", c.req.param("id"));
		return c.text("ok");
	});
	a.get("/refused", () => {
		throw new ProblemError(problem("conflict", "No."));
	});
	a.get("/broken", () => {
		throw new Error("secret value 0803 123 4567");
	});
	a.notFound(notFoundProblem());
	a.onError(errorProblem());
	return a;
}

const lines = () => vi.mocked(console.log).mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);

describe("http conventions", () => {
	afterEach(() => vi.restoreAllMocks());

	it("echoes a short client request id, replaces anything else, and logs one line without the query", async () => {
		vi.spyOn(console, "log").mockImplementation(() => {});
		const kept = await app().request("/stores/st_1?email=a@example.com", { headers: { "x-request-id": "upstream-123" } });
		expect(kept.headers.get("x-request-id")).toBe("upstream-123");
		const replaced = await app().request("/stores/st_1", { headers: { "x-request-id": "bad id with spaces" } });
		expect(replaced.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
		expect(lines()).toHaveLength(2);
		expect(lines()[0]).toMatchObject({ msg: "request", requestId: "upstream-123", route: "/stores/:id", path: "/stores/st_1" });
		expect(lines()[0]?.storeId).toBe("st_1");
		expect(JSON.stringify(lines())).not.toContain("example.com");
	});

	it("answers every error as problem+json with the request id, never the message of an unexpected one", async () => {
		vi.spyOn(console, "log").mockImplementation(() => {});
		const errors = vi.spyOn(console, "error").mockImplementation(() => {});
		const a = app();
		const cases = [
			["/refused", "GET", 409],
			["/nowhere", "GET", 404],
			["/stores/st_1", "POST", 405],
			["/broken", "GET", 500],
		] as const;
		for (const [path, method, status] of cases) {
			const res = await a.request(path, { method });
			expect(res.status).toBe(status);
			expect(res.headers.get("content-type")).toBe("application/problem+json");
			const body = (await res.json()) as { requestId: string; status: number };
			expect(body).toMatchObject({ status, requestId: res.headers.get("x-request-id") });
			expect(JSON.stringify(body)).not.toContain("0803");
		}
		expect(JSON.stringify(errors.mock.calls)).not.toContain("0803");
	});
});
