import { describe, expect, it } from "vitest";
import { inboundMessageEnvelope } from "../src/envelopes.ts";
import { normaliseDelivery } from "../src/inbound.ts";
import { splitDelivery } from "../src/split.ts";

const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).byteLength;

describe("splitDelivery", () => {
	it("keeps a small delivery whole", () => {
		const envelope = inboundMessageEnvelope({ phoneNumberId: "123456", displayPhoneNumber: "234", waId: "2348000000001" }, [
			{ type: "text", body: "hi" },
		]);
		const parts = splitDelivery(envelope as never, 120_000);
		expect(parts).toHaveLength(1);
		expect(normaliseDelivery(parts[0]).events).toEqual(normaliseDelivery(envelope).events);
	});

	it("splits a large delivery into parts under the limit that carry every message once, in order", () => {
		const messages = Array.from({ length: 300 }, (_, i) => ({ type: "text" as const, body: `${"x".repeat(900)} ${i}` }));
		const envelope = inboundMessageEnvelope(
			{ phoneNumberId: "123456", displayPhoneNumber: "234", waId: "2348000000001" },
			messages,
		);
		expect(size(envelope)).toBeGreaterThan(120_000);
		const parts = splitDelivery(envelope as never, 120_000);
		expect(parts.length).toBeGreaterThan(2);
		for (const part of parts) expect(size(part)).toBeLessThanOrEqual(120_000);
		const all = parts.flatMap((p) => normaliseDelivery(p).events);
		expect(all).toEqual(normaliseDelivery(envelope).events);
	});
});
