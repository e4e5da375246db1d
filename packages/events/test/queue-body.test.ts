import { describe, expect, it } from "vitest";
import { queueJson, storableBody } from "../src/index.ts";

// Webhook routes enqueue the signed text; a body sent as bytes (or a view) must read the same, and other producers send values.
describe("queue bodies", () => {
	const event = { event: "charge.success", data: { reference: "ref_1", amount: 500000 } };
	const text = JSON.stringify(event);
	const bytes = new TextEncoder().encode(text);

	it("reads bytes, a view, text and values as the same JSON", () => {
		expect(queueJson(bytes.buffer)).toEqual(event);
		expect(queueJson(bytes)).toEqual(event);
		expect(queueJson(text)).toEqual(event);
		expect(queueJson(event)).toBe(event);
	});

	it("refuses bytes that are not UTF-8 or not JSON (each consumer decides: retried to the dead-letter queue, or dropped)", () => {
		expect(() => queueJson(new Uint8Array([0xff, 0xfe, 0x7b]).buffer)).toThrow();
		expect(() => queueJson(new TextEncoder().encode("{not json").buffer)).toThrow();
	});

	it("stores what a jsonb column can hold, never {} for bytes", () => {
		expect(storableBody(bytes.buffer)).toEqual(event);
		expect(storableBody(text)).toEqual(event);
		expect(storableBody(new TextEncoder().encode("plain words").buffer)).toBe("plain words");
		expect(storableBody(new Uint8Array([0xff, 0x00, 0x01]).buffer)).toEqual({ unreadableBytes: 3 });
		expect(storableBody({ id: "evt_1" })).toEqual({ id: "evt_1" });
		expect(storableBody(undefined)).toBeNull();
	});
});
