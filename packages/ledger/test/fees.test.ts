import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { platformFee } from "../src/fees.ts";

const schedule = (bps: number, fixed: number, cap: number) => ({
	bps,
	fixedMinor: BigInt(fixed),
	capMinor: BigInt(cap),
});

// Totals up to the largest order the bounds allow (about 10^15 kobo).
const total = fc.bigInt({ min: 0n, max: 1_000_000_000_010_000_000n / 1000n });
const terms = fc.record({
	bps: fc.integer({ min: 0, max: 10_000 }),
	fixedMinor: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
	capMinor: fc.bigInt({ min: 0n, max: 10_000_000_000_000n }),
});

describe("platformFee", () => {
	it("rounds the percentage half-up to the kobo", () => {
		// 1.5% of ₦12,345.67 is 18,518.505 kobo → 18,519.
		expect(platformFee(1_234_567n, schedule(150, 0, 1_000_000))).toBe(18_519n);
		// Exactly half a kobo rounds up; just under half rounds down.
		expect(platformFee(100n, schedule(50, 0, 1_000))).toBe(1n);
		expect(platformFee(99n, schedule(50, 0, 1_000))).toBe(0n);
		expect(platformFee(10_000n, schedule(1, 0, 1_000))).toBe(1n);
		expect(platformFee(14_999n, schedule(1, 0, 1_000))).toBe(1n);
		expect(platformFee(15_000n, schedule(1, 0, 1_000))).toBe(2n);
	});

	it("adds the fixed part, then caps, and never takes more than the order", () => {
		// 1.5% + ₦100, capped at ₦2,000.
		const standard = schedule(150, 10_000, 200_000);
		expect(platformFee(1_000_000n, standard)).toBe(25_000n);
		expect(platformFee(100_000_000n, standard)).toBe(200_000n);
		// A ₦50 order cannot pay a ₦100 fixed fee.
		expect(platformFee(5_000n, standard)).toBe(5_000n);
		expect(platformFee(0n, standard)).toBe(0n);
	});

	it("refuses terms outside their bounds", () => {
		expect(() => platformFee(-1n, schedule(150, 0, 0))).toThrow(RangeError);
		expect(() => platformFee(1n, schedule(10_001, 0, 0))).toThrow(RangeError);
		expect(() => platformFee(1n, schedule(1.5, 0, 0))).toThrow(RangeError);
		expect(() => platformFee(1n, { bps: 1, fixedMinor: -1n, capMinor: 0n })).toThrow(RangeError);
	});

	it("is exact half-up rounding, within [0, min(cap, total)], and never decreases as the total grows", () => {
		fc.assert(
			fc.property(total, total, terms, (a, b, t) => {
				const fee = platformFee(a, t);
				expect(fee >= 0n).toBe(true);
				expect(fee <= t.capMinor && fee <= a).toBe(true);
				// The uncapped fee: the nearest kobo to total·bps/10,000, ties up, plus the fixed part.
				const exact = a * BigInt(t.bps);
				const rounded = exact / 10_000n + (exact % 10_000n >= 5_000n ? 1n : 0n);
				const uncapped = rounded + t.fixedMinor;
				const expected = [uncapped, t.capMinor, a].reduce((m, x) => (x < m ? x : m));
				expect(fee).toBe(expected);
				const [lo, hi] = a <= b ? [a, b] : [b, a];
				expect(platformFee(lo, t) <= platformFee(hi, t)).toBe(true);
			}),
			{ numRuns: 2_000 },
		);
	});
});
