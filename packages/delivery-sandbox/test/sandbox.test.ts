import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
	type CreateTaskRequest,
	DeliveryRejectedError,
	DeliveryUnavailableError,
	DeliveryWebhookEvent,
	KwikLikeClient,
	type KwikLikeClientOptions,
	verifyDeliveryWebhook,
} from "@oja/delivery";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { advanceTask, injectFailure, listRequests, listTasks, resetSandbox } from "../src/admin.ts";
import { type DeliverySandbox, SANDBOX_API_KEY, startDeliverySandbox } from "../src/index.ts";

const secret = "whsec_sandbox_test";
const lagos = { line1: "1 Marina", city: "Lagos", country: "NG", latitude: 6.4531, longitude: 3.3958 };
const ikeja = { line1: "10 Allen Avenue", city: "Ikeja", country: "NG", latitude: 6.6018, longitude: 3.3515 };

interface Received {
	body: string;
	signature: string | null;
}

/** A callback target that records what it is sent and answers `status`. */
async function startReceiver(): Promise<{ url: string; received: Received[]; status: number; server: Server }> {
	const state = { received: [] as Received[], status: 204 };
	const server = createServer(async (req: IncomingMessage, res) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const signature = req.headers["x-kwik-signature"];
		state.received.push({
			body: Buffer.concat(chunks).toString("utf8"),
			signature: typeof signature === "string" ? signature : null,
		});
		res.writeHead(state.status).end();
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return Object.assign(state, { url: `http://127.0.0.1:${port}/webhooks/delivery`, server });
}

describe("delivery sandbox through KwikLikeClient", () => {
	let sandbox: DeliverySandbox;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	let n = 0;
	const client = (options: Partial<KwikLikeClientOptions> = {}) =>
		new KwikLikeClient({ baseUrl: sandbox.url, apiKey: SANDBOX_API_KEY, sleep: async () => {}, ...options });
	const booking = (overrides: Partial<CreateTaskRequest> = {}): CreateTaskRequest => ({
		reference: `ful_${++n}`,
		pickup: lagos,
		dropoff: ikeja,
		recipient: { name: "Ada Eze", phone: "+2348031234567" },
		parcel: { description: "2 shirts", valueMinor: 1_500_000, currency: "NGN" },
		callbackUrl: receiver.url,
		...overrides,
	});

	beforeAll(async () => {
		[sandbox, receiver] = await Promise.all([startDeliverySandbox({ webhookSecret: secret }), startReceiver()]);
	});
	afterAll(async () => {
		await sandbox.close();
		receiver.server.closeAllConnections();
		await new Promise((r) => receiver.server.close(r));
	});
	beforeEach(async () => {
		await resetSandbox(sandbox.adminUrl);
		receiver.received.length = 0;
		receiver.status = 204;
	});

	it("quotes by distance, in the pickup country's currency", async () => {
		// Marina → Allen Avenue is about 17.1 km: ₦1,000 + 18 km × ₦150.
		expect(await client().quote({ pickup: lagos, dropoff: ikeja, parcel: { valueMinor: 100, currency: "NGN" } })).toEqual({
			feeMinor: 370_000,
			currency: "NGN",
			etaMinutes: 74,
		});
		const noCoordinates = { line1: "2 Broad St", city: "Lagos", country: "NG" };
		expect(
			(await client().quote({ pickup: noCoordinates, dropoff: noCoordinates, parcel: { valueMinor: 0, currency: "NGN" } }))
				.feeMinor,
		).toBe(220_000);
		await expect(
			client().quote({ pickup: lagos, dropoff: { ...ikeja, country: "GH" }, parcel: { valueMinor: 0, currency: "NGN" } }),
		).rejects.toMatchObject({ status: 422, code: "unsupported_route" });
	});

	it("books once per reference: a repeat returns the same task, a different booking under it is refused", async () => {
		const input = booking();
		const first = await client().createTask(input);
		expect(first).toMatchObject({
			reference: input.reference,
			status: "pending",
			rider: null,
			feeMinor: 370_000,
			currency: "NGN",
		});
		expect(first.trackingUrl).toBe(`${sandbox.url}/track/${first.taskId}`);
		const again = await client().createTask(input);
		expect(again).toEqual(first);
		expect(await listTasks(sandbox.adminUrl, input.reference)).toHaveLength(1);
		const conflict = await client()
			.createTask({ ...input, dropoff: lagos })
			.catch((e: unknown) => e);
		expect(conflict).toBeInstanceOf(DeliveryRejectedError);
		expect(conflict).toMatchObject({ status: 409, code: "reference_conflict" });
		expect(await client().getTask(first.taskId)).toEqual(first);
		expect((await fetch(first.trackingUrl)).status).toBe(200);
	});

	it("cancels before pickup (repeatably), not after", async () => {
		const task = await client().createTask(booking());
		const cancelled = await client().cancelTask(task.taskId);
		expect(cancelled.status).toBe("cancelled");
		expect(await client().cancelTask(task.taskId)).toEqual(cancelled);
		const carried = await client().createTask(booking());
		await advanceTask(sandbox.adminUrl, carried.taskId, { status: "picked_up", deliver: false });
		await expect(client().cancelTask(carried.taskId)).rejects.toMatchObject({ status: 409, code: "not_cancellable" });
		await expect(client().getTask("tsk_missing")).rejects.toMatchObject({ status: 404, code: "not_found" });
	});

	it("refuses a wrong API key with 401 and does not retry it", async () => {
		const error = await client({ apiKey: "wrong" })
			.getTask("tsk_x")
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryRejectedError);
		expect(error).toMatchObject({ status: 401, code: "unauthorized", attempts: 1 });
		expect(await listRequests(sandbox.adminUrl)).toHaveLength(1);
	});

	it("retries injected 503s and dropped connections, then books", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/v1/tasks", status: 503, times: 1 });
		await injectFailure(sandbox.adminUrl, { path: "/v1/tasks", drop: true, times: 1 });
		const task = await client().createTask(booking());
		expect(task.status).toBe("pending");
		expect((await listRequests(sandbox.adminUrl)).map((r) => r.status)).toEqual([503, null, 201]);
	});

	it("gives up after three 503s with a retryable error", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/v1/tasks/*", method: "GET", status: 503, times: 5 });
		const error = await client()
			.getTask("tsk_any")
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryUnavailableError);
		expect(error).toMatchObject({ status: 503, attempts: 3, retryable: true });
		expect(await listRequests(sandbox.adminUrl)).toHaveLength(3);
	});

	it("does not retry an injected 4xx", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/v1/quotes", status: 400, times: 3 });
		await expect(
			client().quote({ pickup: lagos, dropoff: ikeja, parcel: { valueMinor: 0, currency: "NGN" } }),
		).rejects.toBeInstanceOf(DeliveryRejectedError);
		expect(await listRequests(sandbox.adminUrl)).toHaveLength(1);
	});

	it("after a timeout on a booking that went through, the retry gets the same task", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/v1/tasks", delayMs: 400, times: 1 });
		const input = booking();
		const task = await client({ timeoutMs: 150 }).createTask(input);
		const tasks = await listTasks(sandbox.adminUrl, input.reference);
		expect(tasks).toHaveLength(1);
		expect(tasks[0]?.taskId).toBe(task.taskId);
		await injectFailure(sandbox.adminUrl, { path: "/v1/tasks/*", delayMs: 400, times: 2 });
		await expect(client({ timeoutMs: 100, maxAttempts: 2 }).getTask(task.taskId)).rejects.toMatchObject({
			name: "DeliveryUnavailableError",
			code: "timeout",
		});
	});

	it("advancing a task POSTs a signed callback the client's verifier accepts", async () => {
		const task = await client().createTask(booking());
		const assigned = await advanceTask(sandbox.adminUrl, task.taskId);
		expect(assigned.task.status).toBe("assigned");
		expect(assigned.webhook).toMatchObject({ url: receiver.url, status: 204, error: null });
		expect(receiver.received).toHaveLength(1);
		const [callback] = receiver.received;
		expect(callback?.signature).toBe(assigned.webhook.signature);
		expect(await verifyDeliveryWebhook(callback?.body ?? "", callback?.signature ?? null, secret)).toBe(true);
		expect(await verifyDeliveryWebhook(callback?.body ?? "", callback?.signature ?? null, "other")).toBe(false);
		const event = DeliveryWebhookEvent.parse(JSON.parse(callback?.body ?? ""));
		expect(event).toMatchObject({ event: "task.assigned", taskId: task.taskId, reference: task.reference, status: "assigned" });
		expect(event.rider?.phone).toMatch(/^\+234/);
		expect((await client().getTask(task.taskId)).rider).toEqual(event.rider);

		receiver.status = 500;
		const picked = await advanceTask(sandbox.adminUrl, task.taskId);
		expect(picked.webhook.status).toBe(500);
		const delivered = await advanceTask(sandbox.adminUrl, task.taskId, { status: "delivered", deliver: false });
		expect(delivered.webhook.status).toBeNull();
		expect(receiver.received).toHaveLength(2);
		expect(JSON.parse(delivered.webhook.body)).toMatchObject({ event: "task.delivered" });
		await expect(advanceTask(sandbox.adminUrl, task.taskId)).rejects.toThrow(/409/);
	});

	it("reports a callback target it could not reach", async () => {
		const task = await client().createTask(booking({ callbackUrl: "http://127.0.0.1:9/gone" }));
		const failed = await advanceTask(sandbox.adminUrl, task.taskId, { status: "failed" });
		expect(failed.task.status).toBe("failed");
		expect(failed.webhook.status).toBeNull();
		expect(failed.webhook.error).toBeTruthy();
	});

	it("rejects malformed requests with the error envelope", async () => {
		const res = await fetch(`${sandbox.url}/v1/tasks`, {
			method: "POST",
			headers: { authorization: `Bearer ${SANDBOX_API_KEY}`, "content-type": "application/json" },
			body: JSON.stringify({ ...booking(), recipient: { name: "A", phone: "0803" } }),
		});
		expect(res.status).toBe(422);
		expect(await res.json()).toEqual({ error: { code: "invalid_request", message: expect.stringContaining("recipient.phone") } });
	});
});

describe("delivery sandbox auto-advance", () => {
	it("walks open tasks to delivered, calling back at each step", async () => {
		const receiver = await startReceiver();
		const sandbox = await startDeliverySandbox({ webhookSecret: secret, autoAdvanceMs: 100 });
		try {
			const client = new KwikLikeClient({ baseUrl: sandbox.url, apiKey: SANDBOX_API_KEY });
			const task = await client.createTask({
				reference: "ful_auto",
				pickup: lagos,
				dropoff: ikeja,
				recipient: { name: "Ada Eze", phone: "+2348031234567" },
				parcel: { description: "shoes", valueMinor: 100, currency: "NGN" },
				callbackUrl: receiver.url,
			});
			await expect.poll(() => receiver.received.length, { timeout: 3000, interval: 50 }).toBe(3);
			expect(receiver.received.map((r) => JSON.parse(r.body).event)).toEqual([
				"task.assigned",
				"task.picked_up",
				"task.delivered",
			]);
			expect((await client.getTask(task.taskId)).status).toBe("delivered");
		} finally {
			await sandbox.close();
			receiver.server.closeAllConnections();
			await new Promise((r) => receiver.server.close(r));
		}
	});
});
