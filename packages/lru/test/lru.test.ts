import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteLru, stringBytes } from "../src/index.ts";

// The in-isolate response cache (packages/edge-cache/src/index.ts) lives on this:
// whatever is put in, it must never hold more than its byte budget.

const bySize = (maxBytes: number, maxEntryBytes?: number) =>
	new ByteLru<number>({ maxBytes, ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }), sizeOf: (_key, bytes) => bytes });

describe("ByteLru", () => {
	it("evicts least recently used entries by bytes, not by count", () => {
		const lru = bySize(100);
		lru.set("a", 40);
		lru.set("b", 40);
		expect(lru.get("a")).toBe(40); // a is now the most recently used
		lru.set("c", 40); // 120 > 100: b (least recently used) goes
		expect(lru.get("b")).toBeUndefined();
		expect(lru.get("a")).toBe(40);
		expect(lru.get("c")).toBe(40);
		expect(lru.bytes).toBe(80);
		lru.set("d", 90); // only d fits
		expect([lru.size, lru.bytes]).toEqual([1, 90]);
	});

	it("many small entries are bounded too", () => {
		const lru = bySize(1000);
		for (let i = 0; i < 10_000; i++) lru.set(`k${i}`, 10);
		expect(lru.size).toBe(100);
		expect(lru.bytes).toBe(1000);
		expect(lru.get("k9999")).toBe(10);
		expect(lru.get("k0")).toBeUndefined();
	});

	it("refuses an entry over the per-entry limit without evicting anything, and drops the key's old value", () => {
		const lru = bySize(100, 30);
		lru.set("a", 20);
		lru.set("b", 20);
		expect(lru.set("big", 31)).toBe(false);
		expect([lru.size, lru.bytes]).toEqual([2, 40]);
		expect(lru.set("a", 31)).toBe(false);
		expect(lru.get("a")).toBeUndefined();
		expect(lru.bytes).toBe(20);
	});

	it("replacing a key charges only the new size", () => {
		const lru = bySize(100);
		lru.set("a", 60);
		lru.set("a", 70);
		expect([lru.size, lru.bytes]).toEqual([1, 70]);
		expect(lru.delete("a")).toBe(true);
		expect(lru.bytes).toBe(0);
	});

	it("rejects a size it cannot account for", () => {
		expect(() => bySize(100).set("a", Number.NaN)).toThrow(RangeError);
		expect(() => bySize(100).set("a", -1)).toThrow(RangeError);
		expect(() => bySize(0)).toThrow(RangeError);
	});

	it("never exceeds its budget, and its byte count is exact, under any sequence of operations", () => {
		const op = fc.oneof(
			fc.record({
				kind: fc.constant("set" as const),
				key: fc.integer({ min: 0, max: 30 }),
				bytes: fc.integer({ min: 0, max: 400 }),
			}),
			fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 30 }) }),
			fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 30 }) }),
		);
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(op, { maxLength: 200 }), (maxBytes, ops) => {
				const lru = bySize(maxBytes, Math.ceil(maxBytes / 2));
				const model = new Map<string, number>();
				for (const o of ops) {
					const key = `k${o.key}`;
					if (o.kind === "set") {
						const stored = lru.set(key, o.bytes);
						expect(stored).toBe(o.bytes <= Math.ceil(maxBytes / 2));
						if (stored) expect(lru.get(key)).toBe(o.bytes); // what was just stored is never the one evicted
					} else if (o.kind === "get") lru.get(key);
					else lru.delete(key);
					expect(lru.bytes).toBeLessThanOrEqual(maxBytes);
					model.clear();
					for (let k = 0; k <= 30; k++) {
						const v = lru.get(`k${k}`);
						if (v !== undefined) model.set(`k${k}`, v);
					}
					expect(lru.bytes).toBe([...model.values()].reduce((a, b) => a + b, 0));
					expect(lru.size).toBe(model.size);
				}
			}),
			{ seed: 8, numRuns: 300 },
		);
	});

	it("stringBytes is an upper bound that grows with length", () => {
		expect(stringBytes("")).toBeGreaterThan(0);
		expect(stringBytes("é".repeat(10))).toBe(stringBytes("a".repeat(10)));
		expect(stringBytes("a".repeat(100))).toBeGreaterThanOrEqual(200);
	});
});
