import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	MAX_FEE_MINOR,
	MAX_LINE_QUANTITY,
	MAX_ORDER_LINES,
	MAX_ORDER_TOTAL_MINOR,
	MAX_STOCK,
	MAX_UNIT_PRICE_MINOR,
	minorUnits,
	stockCount,
} from "../src/index.ts";

const INT4_MAX = 2 ** 31 - 1;

describe("bounds keep every total exact", () => {
	it("an order at every ceiling stays a safe integer, and stock arithmetic stays within int4", () => {
		expect(Number.isSafeInteger(MAX_ORDER_TOTAL_MINOR)).toBe(true);
		expect(MAX_ORDER_TOTAL_MINOR).toBeLessThan(Number.MAX_SAFE_INTEGER / 8);
		// on_hand + delta and on_hand + reserved are computed in int4 by Postgres.
		expect(MAX_STOCK * 2).toBeLessThanOrEqual(INT4_MAX);
	});

	it("sums of in-bound lines equal their exact bigint sums", () => {
		const line = fc.record({
			price: fc.integer({ min: 0, max: MAX_UNIT_PRICE_MINOR }),
			quantity: fc.integer({ min: 1, max: MAX_LINE_QUANTITY }),
		});
		fc.assert(
			fc.property(
				fc.array(line, { minLength: 1, maxLength: MAX_ORDER_LINES }),
				fc.integer({ min: 0, max: MAX_FEE_MINOR }),
				(lines, fee) => {
					const asNumber = lines.reduce((sum, l) => sum + l.price * l.quantity, 0) + fee;
					const asBigint = lines.reduce((sum, l) => sum + BigInt(l.price) * BigInt(l.quantity), 0n) + BigInt(fee);
					return Number.isSafeInteger(asNumber) && BigInt(asNumber) === asBigint && asNumber <= MAX_ORDER_TOTAL_MINOR;
				},
			),
			{ seed: 8, numRuns: 500 },
		);
	});

	it("the schemas refuse one past each ceiling", () => {
		expect(minorUnits.safeParse(MAX_UNIT_PRICE_MINOR).success).toBe(true);
		expect(minorUnits.safeParse(MAX_UNIT_PRICE_MINOR + 1).success).toBe(false);
		expect(minorUnits.safeParse(1.5).success).toBe(false);
		expect(stockCount.safeParse(MAX_STOCK).success).toBe(true);
		expect(stockCount.safeParse(MAX_STOCK + 1).success).toBe(false);
	});
});
