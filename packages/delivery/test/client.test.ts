import { describe, expect, it } from "vitest";
import {
	type CreateTaskRequest,
	DeliveryRejectedError,
	DeliveryResponseError,
	DeliveryUnavailableError,
	KwikLikeClient,
	type KwikLikeClientOptions,
} from "../src/index.ts";

const lagos = { line1: "1 Marina", city: "Lagos", country: "NG" };
const ikeja = { line1: "10 Allen Avenue", city: "Ikeja", country: "NG" };
const quoteInput = { pickup: lagos, dropoff: ikeja, parcel: { valueMinor: 500_000, currency: "NGN" as const } };
const task = {
	taskId: "tsk_1",
	reference: "ful_1",
	status: "pending",
	trackingUrl: "https://track.example/tsk_1",
	feeMinor: 250_000,
	currency: "NGN",
	rider: null,
	createdAt: "2026-11-30T10:00:00.000Z",
	updatedAt: "2026-11-30T10:00:00.000Z",
};
const createInput: CreateTaskRequest = {
	reference: "ful_1",
	pickup: lagos,
	dropoff: ikeja,
	recipient: { name: "Ada", phone: "+2348031234567" },
	parcel: { description: "2 shirts", valueMinor: 500_000, currency: "NGN" },
	callbackUrl: "https://oja.example/webhooks/delivery",
};

const errorBody = (code: string) => ({ error: { code, message: code } });

/** A client over a scripted fetch: each call takes the next answer (a Response, or an Error to throw). */
function scripted(answers: (Response | Error | "hang")[], options: Partial<KwikLikeClientOptions> = {}) {
	const calls: { url: string; init: RequestInit | undefined }[] = [];
	const sleeps: number[] = [];
	const client = new KwikLikeClient({
		baseUrl: "https://courier.example/",
		apiKey: "key_123",
		random: () => 0.5,
		sleep: async (ms) => {
			sleeps.push(ms);
		},
		fetch: async (input, init) => {
			calls.push({ url: String(input), init });
			const next = answers.shift();
			if (!next) throw new Error("no more scripted answers");
			if (next === "hang") {
				return new Promise<Response>((_, reject) => {
					init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
				});
			}
			if (next instanceof Error) throw next;
			return next;
		},
		...options,
	});
	return { client, calls, sleeps };
}

describe("KwikLikeClient", () => {
	it("sends bearer-authenticated JSON and parses the answer", async () => {
		const { client, calls } = scripted([Response.json({ feeMinor: 220_000, currency: "NGN", etaMinutes: 44 })]);
		expect(await client.quote(quoteInput)).toEqual({ feeMinor: 220_000, currency: "NGN", etaMinutes: 44 });
		const headers = new Headers(calls[0]?.init?.headers);
		expect(calls[0]?.url).toBe("https://courier.example/v1/quotes");
		expect(calls[0]?.init?.method).toBe("POST");
		expect(headers.get("authorization")).toBe("Bearer key_123");
		expect(headers.get("content-type")).toBe("application/json");
		expect(JSON.parse(String(calls[0]?.init?.body))).toEqual(quoteInput);
	});

	it("retries 5xx with growing, jittered waits, then succeeds", async () => {
		const { client, calls, sleeps } = scripted([
			Response.json(errorBody("down"), { status: 503 }),
			Response.json(errorBody("down"), { status: 502 }),
			Response.json(task, { status: 201 }),
		]);
		expect(await client.createTask(createInput)).toMatchObject({ taskId: "tsk_1", status: "pending" });
		expect(calls).toHaveLength(3);
		// Equal jitter with random() = 0.5: three quarters of 250 ms, then of 500 ms.
		expect(sleeps).toEqual([188, 375]);
	});

	it("keeps every wait between half and all of the exponential ceiling, capped", () => {
		const low = new KwikLikeClient({ baseUrl: "https://x.example", apiKey: "k", random: () => 0, maxDelayMs: 1000 });
		const high = new KwikLikeClient({ baseUrl: "https://x.example", apiKey: "k", random: () => 0.999999, maxDelayMs: 1000 });
		expect([1, 2, 3, 4, 5].map((n) => low.backoffMs(n))).toEqual([125, 250, 500, 500, 500]);
		expect([1, 2, 3, 4, 5].map((n) => high.backoffMs(n))).toEqual([250, 500, 1000, 1000, 1000]);
		expect(low.backoffMs(1, 800)).toBe(800);
		expect(low.backoffMs(1, 60_000)).toBe(1000);
	});

	it("honours Retry-After on 429", async () => {
		const { client, sleeps } = scripted([
			Response.json(errorBody("rate_limited"), { status: 429, headers: { "retry-after": "2" } }),
			Response.json(task),
		]);
		await client.getTask("tsk_1");
		expect(sleeps).toEqual([2000]);
	});

	it("gives up after maxAttempts with a retryable error", async () => {
		const { client, calls } = scripted([
			new TypeError("fetch failed"),
			new TypeError("fetch failed"),
			new TypeError("fetch failed"),
		]);
		const error = await client.getTask("tsk_1").catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryUnavailableError);
		expect(error).toMatchObject({ retryable: true, code: "network", status: null, attempts: 3 });
		expect(calls).toHaveLength(3);
	});

	it("never retries a 4xx and reports the provider's code", async () => {
		const { client, calls } = scripted([Response.json(errorBody("invalid_request"), { status: 422 })]);
		const error = await client.createTask(createInput).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryRejectedError);
		expect(error).toMatchObject({ retryable: false, code: "invalid_request", status: 422, attempts: 1 });
		expect(calls).toHaveLength(1);
		const bare = scripted([new Response("nope", { status: 404 })]);
		await expect(bare.client.getTask("x")).rejects.toMatchObject({ code: "http_404", status: 404 });
	});

	it("times each attempt out and retries it", async () => {
		const { client, calls } = scripted(["hang", Response.json(task)], { timeoutMs: 20 });
		expect((await client.getTask("tsk_1")).taskId).toBe("tsk_1");
		expect(calls).toHaveLength(2);
		const stuck = scripted(["hang", "hang"], { timeoutMs: 20, maxAttempts: 2 });
		await expect(stuck.client.getTask("tsk_1")).rejects.toMatchObject({ name: "DeliveryUnavailableError", code: "timeout" });
	});

	it("rejects a 2xx that breaks the contract, without retrying", async () => {
		const { client, calls } = scripted([Response.json({ ...task, feeMinor: "2500.00" })]);
		const error = await client.getTask("tsk_1").catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryResponseError);
		expect(error).toMatchObject({ retryable: false, code: "malformed_response" });
		expect((error as Error).message).toContain("feeMinor");
		expect(calls).toHaveLength(1);
		const html = scripted([new Response("<html>", { status: 200 })]);
		await expect(html.client.getTask("tsk_1")).rejects.toBeInstanceOf(DeliveryResponseError);
	});

	it("escapes task ids into the path", async () => {
		const { client, calls } = scripted([Response.json({ ...task, status: "cancelled" })]);
		await client.cancelTask("a/b?c");
		expect(calls[0]?.url).toBe("https://courier.example/v1/tasks/a%2Fb%3Fc/cancel");
	});
});
