import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTransactions } from "../src/admin.ts";
import { type PaystackSandbox, startPaystackSandbox } from "../src/index.ts";

const secret = "sk_test_malformed";

// Whatever a client sends, the sandbox answers with Paystack's error envelope and keeps serving.
describe("paystack sandbox with malformed input", () => {
	let sandbox: PaystackSandbox;
	const post = (path: string, body: string, headers: Record<string, string> = {}) =>
		fetch(`${sandbox.url}${path}`, {
			method: "POST",
			headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers },
			body,
		});

	beforeAll(async () => {
		sandbox = await startPaystackSandbox({ secretKey: secret });
	});
	afterAll(() => sandbox.close());

	it.each([
		["not JSON", "{"],
		["empty", ""],
		["an array", "[]"],
		["null", "null"],
		["a string", '"hello"'],
		["a float amount", JSON.stringify({ email: "a@example.com", amount: 100.5 })],
		["a negative amount", JSON.stringify({ email: "a@example.com", amount: -100 })],
		["a decimal string amount", JSON.stringify({ email: "a@example.com", amount: "100.50" })],
		["a bad email", JSON.stringify({ email: "nope", amount: 100 })],
		["a bad reference", JSON.stringify({ email: "a@example.com", amount: 100, reference: "a b/c" })],
		["metadata that is not an object", JSON.stringify({ email: "a@example.com", amount: 100, metadata: "{oops" })],
	])("initialize with %s → 400 envelope", async (_, body) => {
		const res = await post("/transaction/initialize", body);
		expect(res.status).toBe(400);
		const json = await res.json();
		expect(json).toEqual({ status: false, message: expect.any(String) });
	});

	it("accepts metadata as a JSON string, as Paystack documents it", async () => {
		const res = await post(
			"/transaction/initialize",
			JSON.stringify({ email: "a@example.com", amount: "5000", reference: "meta_str", metadata: '{"store_id":"sto_1"}' }),
		);
		expect(res.status).toBe(200);
		expect(await listTransactions(sandbox.adminUrl, "meta_str")).toMatchObject([
			{ amount: 5000, metadata: { store_id: "sto_1" } },
		]);
	});

	it.each([
		["/refund", "{"],
		["/refund", JSON.stringify({ transaction: "", amount: 1 })],
		["/transferrecipient", JSON.stringify({ type: "mobile_money", name: "x", account_number: "1", bank_code: "058" })],
		["/transfer", JSON.stringify({ source: "card", amount: 1, recipient: "RCP_x", reference: "r" })],
		["/transfer", JSON.stringify({ source: "balance", amount: 1, recipient: "RCP_x", reference: "UPPER CASE" })],
	])("POST %s with %s → 400 envelope", async (path, body) => {
		const res = await post(path, body);
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({ status: false });
	});

	it("refuses an oversized body with 413, unknown routes with 404, bad escapes and queries with 400", async () => {
		const big = await post("/transaction/initialize", JSON.stringify({ pad: "x".repeat(70_000) })).catch((e: unknown) => e);
		// The server may answer 413 or close the connection while the body is still arriving.
		if (big instanceof Response) expect(big.status).toBe(413);
		const auth = { authorization: `Bearer ${secret}` };
		const missing = await fetch(`${sandbox.url}/nowhere`, { headers: auth });
		expect(missing.status).toBe(404);
		expect(await missing.json()).toMatchObject({ status: false });
		expect((await fetch(`${sandbox.url}/transaction/verify/%E0%A4%A`, { headers: auth })).status).toBe(400);
		expect((await fetch(`${sandbox.url}/transaction?perPage=0`, { headers: auth })).status).toBe(400);
		expect((await fetch(`${sandbox.url}/transaction?page=1.5`, { headers: auth })).status).toBe(400);
		expect((await fetch(`${sandbox.url}/checkout/%E0%A4%A`)).status).toBe(400);
		const init = await post("/transaction/initialize", JSON.stringify({ email: "a@example.com", amount: 100 }));
		const { data } = (await init.json()) as { data: { authorization_url: string } };
		expect((await fetch(`${data.authorization_url}/pay`)).status).toBe(405);
		expect((await fetch(data.authorization_url, { method: "DELETE" })).status).toBe(405);
	});

	it("survives a raw request line that is not a URL path", async () => {
		const status = await new Promise<number>((resolve, reject) => {
			const req = request(
				`${sandbox.url}/`,
				{ method: "GET", path: "//[", headers: { authorization: `Bearer ${secret}` } },
				(res) => {
					res.resume();
					resolve(res.statusCode ?? 0);
				},
			);
			req.on("error", reject);
			req.end();
		});
		expect(status).toBeGreaterThanOrEqual(400);
		expect(status).toBeLessThan(500);
	});

	it("rejects malformed admin requests and keeps serving", async () => {
		const admin = (path: string, body: string) =>
			fetch(`${sandbox.adminUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
		expect((await admin("/events", "{")).status).toBe(400);
		expect((await admin("/events", JSON.stringify({ event: "charge.refunded" }))).status).toBe(400);
		expect(
			(await admin("/events", JSON.stringify({ event: "charge.success", reference: "nope", url: "http://127.0.0.1:9/" }))).status,
		).toBe(404);
		expect((await admin("/fail", JSON.stringify({ path: "/transfer" }))).status).toBe(400);
		expect((await admin("/fail", JSON.stringify({ path: "transfer", status: 500 }))).status).toBe(400);
		expect((await fetch(`${sandbox.adminUrl}/nothing`)).status).toBe(404);
		const res = await post("/transaction/initialize", JSON.stringify({ email: "a@example.com", amount: 100 }));
		expect(res.status).toBe(200);
	});
});
