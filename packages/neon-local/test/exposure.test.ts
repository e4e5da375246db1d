import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NeonLocal, neonLocalAdmin, startNeonLocal } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

// neon-local runs any SQL it is sent, unauthenticated. A web page must not be able to reach
// it through the browser (cross-site requests, DNS rebinding), and nothing off the machine at all.

let server: NeonLocal;

beforeAll(async () => {
	server = await startNeonLocal({ dataDir: await tempDir() });
	await neonLocalAdmin(server.url).createDatabase("exposure");
}, 120_000);
afterAll(() => server.close());

interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

/** Raw HTTP, because fetch() will not let a caller choose the Host header. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
	const { port } = new URL(server.url);
	return new Promise((resolve, reject) => {
		const req = request({ host: "127.0.0.1", port, method, path, headers, setHost: false }, (res) => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (chunk: string) => {
				text += chunk;
			});
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
		});
		req.on("error", reject);
		req.end(body);
	});
}

const port = () => new URL(server.url).port;
const sqlBody = JSON.stringify({ query: "SELECT 1 AS one", params: [] });
const sqlHeaders = (host: string, extra: Record<string, string> = {}) => ({
	host,
	"content-type": "application/json",
	"neon-connection-string": "postgres://oja:oja@neon-local.test/exposure",
	...extra,
});

describe("neon-local exposure", () => {
	it("serves the Host names the drivers and scripts use", async () => {
		for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, "[::1]", "neon-local.test", "pglite-1.neon-local.test"]) {
			expect((await send("GET", "/_local/health", { host })).status, host).toBe(200);
		}
		const ok = await send("POST", "/sql", sqlHeaders(`127.0.0.1:${port()}`), sqlBody);
		expect(ok.status).toBe(200);
		expect(ok.headers["access-control-allow-origin"]).toBeUndefined();
	}, 60_000);

	it("refuses any other Host (DNS rebinding): no SQL runs", async () => {
		for (const host of ["evil.example", `attacker.example:${port()}`, "neon-local.test.evil.example", "127.0.0.1.nip.io"]) {
			const res = await send("POST", "/sql", sqlHeaders(host), sqlBody);
			expect(res.status, host).toBe(403);
			expect(res.body).not.toContain('"one"');
		}
		// No Host at all: Node itself answers 400 before the handler runs.
		expect([400, 403]).toContain((await send("GET", "/_local/health", {})).status);
	});

	it("refuses requests a browser sends for a web page, and grants no CORS", async () => {
		const crossSite = await send(
			"POST",
			"/sql",
			sqlHeaders(`127.0.0.1:${port()}`, { origin: "https://evil.example", "content-type": "text/plain" }),
			sqlBody,
		);
		expect(crossSite.status).toBe(403);
		expect(crossSite.headers["access-control-allow-origin"]).toBeUndefined();
		const preflight = await send("OPTIONS", "/sql", {
			host: `127.0.0.1:${port()}`,
			origin: "https://evil.example",
			"access-control-request-method": "POST",
		});
		expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
		expect(preflight.headers["access-control-allow-headers"]).toBeUndefined();
	});

	it("binds loopback only", async () => {
		await expect(startNeonLocal({ host: "0.0.0.0", dataDir: await tempDir() })).rejects.toThrow(/loopback/);
		await expect(startNeonLocal({ host: "::", dataDir: await tempDir() })).rejects.toThrow(/loopback/);
		expect(new URL(server.url).hostname).toBe("127.0.0.1");
	});
});
