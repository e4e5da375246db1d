import { describe, expect, it } from "vitest";
import { readDeliveryWebhook, signDeliveryWebhook, verifyDeliveryWebhook } from "../src/index.ts";

const secret = "whsec_test";
const event = {
	eventId: "evt_1",
	event: "task.assigned",
	taskId: "tsk_1",
	reference: "ful_1",
	status: "assigned",
	occurredAt: "2026-11-30T10:00:00.000Z",
	rider: { name: "Tunde", phone: "+2348030000001" },
};
const body = JSON.stringify(event);

describe("delivery webhooks", () => {
	it("accepts the HMAC-SHA256 of the exact body, in either hex case", async () => {
		const signature = await signDeliveryWebhook(body, secret);
		expect(signature).toMatch(/^[0-9a-f]{64}$/);
		expect(await verifyDeliveryWebhook(body, signature, secret)).toBe(true);
		expect(await verifyDeliveryWebhook(body, ` ${signature.toUpperCase()} `, secret)).toBe(true);
	});

	it("refuses a missing, malformed, wrong-key or tampered signature", async () => {
		const signature = await signDeliveryWebhook(body, secret);
		expect(await verifyDeliveryWebhook(body, null, secret)).toBe(false);
		expect(await verifyDeliveryWebhook(body, "", secret)).toBe(false);
		expect(await verifyDeliveryWebhook(body, signature.slice(2), secret)).toBe(false);
		expect(await verifyDeliveryWebhook(body, `sha256=${signature}`, secret)).toBe(false);
		expect(await verifyDeliveryWebhook(body, signature, "another secret")).toBe(false);
		expect(await verifyDeliveryWebhook(body.replace("task.assigned", "task.delivered"), signature, secret)).toBe(false);
		expect(await verifyDeliveryWebhook(`${body} `, signature, secret)).toBe(false);
	});

	it("will not verify with an empty secret", async () => {
		await expect(verifyDeliveryWebhook(body, "00".repeat(32), "")).rejects.toThrow(/empty/);
	});

	it("reads a signed event, and says why it would not", async () => {
		expect(await readDeliveryWebhook(body, await signDeliveryWebhook(body, secret), secret)).toEqual({ ok: true, event });
		expect(await readDeliveryWebhook(body, null, secret)).toEqual({ ok: false, reason: "signature" });
		const odd = JSON.stringify({ ...event, event: "task.teleported" });
		expect(await readDeliveryWebhook(odd, await signDeliveryWebhook(odd, secret), secret)).toEqual({
			ok: false,
			reason: "malformed",
		});
		expect(await readDeliveryWebhook("{", await signDeliveryWebhook("{", secret), secret)).toEqual({
			ok: false,
			reason: "malformed",
		});
	});
});
