import { describe, expect, it } from "vitest";
import { parsePaystackEvent, readPaystackWebhook, signPaystackBody, verifyPaystackSignature } from "../src/index.ts";

const secret = "sk_test_webhook_unit";
const charge = {
	event: "charge.success",
	data: {
		id: 302961,
		domain: "test",
		status: "success",
		reference: "ord_1_a1",
		amount: 1_250_000,
		currency: "NGN",
		paid_at: "2026-11-30T10:00:05.000Z",
		channel: "card",
		fees: 28_750,
		customer: { id: 68324, email: "ada@example.com", customer_code: "CUS_1" },
		metadata: { store_id: "sto_1", order_id: "ord_1" },
		plan: {},
	},
};
// Paystack's own serialisation is not JSON.stringify's: pretty-printed, here.
const body = JSON.stringify(charge, null, 2);

describe("verifyPaystackSignature", () => {
	it("accepts the HMAC-SHA512 of the exact body, as string or bytes, in either hex case", async () => {
		const signature = await signPaystackBody(body, secret);
		expect(signature).toMatch(/^[0-9a-f]{128}$/);
		// RFC 4231 test case 2: an independent check that this is HMAC-SHA512, hex-encoded.
		expect(await signPaystackBody("what do ya want for nothing?", "Jefe")).toBe(
			"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		);
		const bytes = new TextEncoder().encode(body);
		expect(await verifyPaystackSignature(body, signature, secret)).toBe(true);
		expect(await verifyPaystackSignature(bytes, signature, secret)).toBe(true);
		expect(await verifyPaystackSignature(bytes.buffer as ArrayBuffer, signature, secret)).toBe(true);
		expect(await verifyPaystackSignature(body, ` ${signature.toUpperCase()} `, secret)).toBe(true);
	});

	it("verifies only the view's bytes when given a slice of a larger buffer", async () => {
		const padded = new TextEncoder().encode(`xx${body}yy`);
		const view = padded.subarray(2, padded.length - 2);
		expect(await verifyPaystackSignature(view, await signPaystackBody(body, secret), secret)).toBe(true);
	});

	it("refuses a missing, forged, wrong-length or wrong-key signature", async () => {
		const signature = await signPaystackBody(body, secret);
		expect(await verifyPaystackSignature(body, null, secret)).toBe(false);
		expect(await verifyPaystackSignature(body, "", secret)).toBe(false);
		expect(await verifyPaystackSignature(body, signature.slice(2), secret)).toBe(false);
		expect(await verifyPaystackSignature(body, `${signature}00`, secret)).toBe(false);
		expect(await verifyPaystackSignature(body, `sha512=${signature}`, secret)).toBe(false);
		expect(await verifyPaystackSignature(body, "zz".repeat(64), secret)).toBe(false);
		// A SHA-256-sized MAC (64 hex digits) is the wrong length, even as a prefix of the right one.
		expect(await verifyPaystackSignature(body, signature.slice(0, 64), secret)).toBe(false);
		expect(await verifyPaystackSignature(body, signature, "sk_test_other")).toBe(false);
		const flipped = (signature[0] === "0" ? "1" : "0") + signature.slice(1);
		expect(await verifyPaystackSignature(body, flipped, secret)).toBe(false);
	});

	it("refuses a tampered body, and the same JSON re-serialised with different whitespace", async () => {
		const signature = await signPaystackBody(body, secret);
		expect(await verifyPaystackSignature(body.replace("1250000", "9250000"), signature, secret)).toBe(false);
		const reserialised = JSON.stringify(JSON.parse(body));
		expect(JSON.parse(reserialised)).toEqual(JSON.parse(body));
		expect(await verifyPaystackSignature(reserialised, signature, secret)).toBe(false);
		expect(await verifyPaystackSignature(`${body}\n`, signature, secret)).toBe(false);
	});

	it("will not sign or verify with an empty key", async () => {
		await expect(verifyPaystackSignature(body, "00".repeat(64), "")).rejects.toThrow(/empty/);
		await expect(signPaystackBody(body, "")).rejects.toThrow(/empty/);
	});
});

describe("Paystack events", () => {
	it("reads a signed charge.success strictly", async () => {
		const reading = await readPaystackWebhook(body, await signPaystackBody(body, secret), secret);
		expect(reading).toMatchObject({ ok: true, known: true, event: { event: "charge.success" } });
		if (reading.ok && reading.known && reading.event.event === "charge.success") {
			expect(reading.event.data.amount).toBe(1_250_000);
			expect(reading.event.data.metadata).toEqual({ store_id: "sto_1", order_id: "ord_1" });
		}
		expect(await readPaystackWebhook(body, null, secret)).toEqual({ ok: false, reason: "signature" });
		expect(await readPaystackWebhook("{", await signPaystackBody("{", secret), secret)).toEqual({
			ok: false,
			reason: "malformed",
		});
	});

	it("reads transfer and refund events, refund amounts as digit strings included", () => {
		const transfer = {
			event: "transfer.reversed",
			data: {
				amount: 10000,
				currency: "NGN",
				domain: "live",
				id: 20615868,
				reason: "payout",
				reference: "pay_1",
				source: "balance",
				status: "reversed",
				transfer_code: "TRF_js075pj9u07f34l",
				transferred_at: "2020-03-24T07:14:00.000Z",
				recipient: { id: 1476759, recipient_code: "RCP_hmcj8ciho490bvi", type: "nuban", name: "JON SNOW" },
				created_at: "2020-03-24T07:13:31.000Z",
			},
		};
		expect(parsePaystackEvent(transfer)).toMatchObject({ ok: true, known: true, event: { event: "transfer.reversed" } });
		const refund = {
			event: "refund.processed",
			data: {
				status: "processed",
				transaction_reference: "ord_1_a1",
				refund_reference: "132013318360",
				amount: "5000",
				currency: "NGN",
				processor: "mpgs_zen",
				customer: { first_name: "Ada", last_name: "Eze", email: "ada@example.com" },
				integration: 412829,
				domain: "live",
			},
		};
		const reading = parsePaystackEvent(refund);
		expect(reading).toMatchObject({ ok: true, known: true, event: { event: "refund.processed", data: { amount: 5000 } } });
		expect(parsePaystackEvent({ ...refund, data: { ...refund.data, amount: "50.00" } })).toEqual({
			ok: false,
			reason: "malformed",
		});
	});

	it("tolerates events Oja does not handle, but not a known event in the wrong shape", () => {
		expect(parsePaystackEvent({ event: "subscription.create", data: { anything: true } })).toEqual({
			ok: true,
			known: false,
			type: "subscription.create",
		});
		expect(parsePaystackEvent({ event: "charge.success", data: { ...charge.data, amount: 12.5 } })).toEqual({
			ok: false,
			reason: "malformed",
		});
		expect(parsePaystackEvent({ event: "charge.success", data: { ...charge.data, status: "failed" } })).toEqual({
			ok: false,
			reason: "malformed",
		});
		expect(parsePaystackEvent({ data: {} })).toEqual({ ok: false, reason: "malformed" });
		expect(parsePaystackEvent([])).toEqual({ ok: false, reason: "malformed" });
		// An inherited property name is not a known event.
		expect(parsePaystackEvent({ event: "constructor", data: {} })).toEqual({ ok: true, known: false, type: "constructor" });
	});
});
