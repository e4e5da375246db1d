import { describe, expect, it } from "vitest";
import { backoffSeconds } from "../src/consumer.ts";
import { parseEnvelope } from "../src/contracts.ts";

const valid = {
	id: "evt_1",
	type: "identity.user.created",
	storeId: null,
	aggregateId: "usr_1",
	sequence: 1,
	occurredAt: "2026-11-22T00:00:00.000Z",
	requestId: null,
	payload: { userId: "usr_1", email: "a@b.co" },
};

describe("parseEnvelope", () => {
	it("accepts an envelope whose payload matches its type's contract", () => {
		const parsed = parseEnvelope(valid);
		expect(parsed.ok).toBe(true);
	});

	it.each([
		["a non-object", "nope"],
		["an unknown type", { ...valid, type: "identity.user.exploded" }],
		["a payload that breaks the contract", { ...valid, payload: { userId: 1 } }],
		["a zero sequence", { ...valid, sequence: 0 }],
		["a missing id", { ...valid, id: "" }],
	])("rejects %s with a reason", (_what, body) => {
		const parsed = parseEnvelope(body);
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
	});
});

describe("backoffSeconds", () => {
	it("never decreases with attempts and never exceeds the cap", () => {
		const policy = { baseDelaySeconds: 3, maxDelaySeconds: 600 };
		let previous = 0;
		for (let attempt = 1; attempt <= 30; attempt++) {
			const delay = backoffSeconds(attempt, policy);
			expect(delay).toBeGreaterThanOrEqual(previous);
			expect(delay).toBeLessThanOrEqual(600);
			previous = delay;
		}
	});
});
