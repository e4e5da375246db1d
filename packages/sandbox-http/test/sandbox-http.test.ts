import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyTooLarge, escapeHtml, isLoopback, readBody, sendJson } from "../src/index.ts";

describe("sandbox HTTP plumbing", () => {
	let server: Server;
	let url = "";
	beforeAll(async () => {
		server = createServer(async (req, res) => {
			try {
				sendJson(res, 200, { got: await readBody(req, 16) }, { "x-kind": "echo" });
			} catch (error) {
				sendJson(res, error instanceof BodyTooLarge ? 413 : 500, { limit: (error as BodyTooLarge).limit });
			}
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
	});
	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	it("reads a body up to its limit, as UTF-8, and answers JSON with its headers", async () => {
		const res = await fetch(url, { method: "POST", body: "naira ₦" });
		expect([res.status, res.headers.get("content-type"), res.headers.get("x-kind")]).toEqual([200, "application/json", "echo"]);
		expect(await res.json()).toEqual({ got: "naira ₦" });
	});

	it("refuses a body past its limit", async () => {
		const res = await fetch(url, { method: "POST", body: "x".repeat(17) });
		expect([res.status, await res.json()]).toEqual([413, { limit: 16 }]);
	});

	it("escapes HTML and recognises loopback addresses only", () => {
		expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
		expect(["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
		expect(["10.0.0.1", "::ffff:10.0.0.1", "::2", undefined, ""].some(isLoopback)).toBe(false);
	});
});
