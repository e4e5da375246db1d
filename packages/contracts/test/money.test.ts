import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CURRENCIES, formatMoney, minorToDecimal } from "../src/index.ts";

describe("money formatting", () => {
	it("formats minor units per currency exponent", () => {
		expect(formatMoney(1_500_000, "NGN")).toBe("₦15,000");
		expect(formatMoney(1_500_050, "NGN")).toBe("₦15,000.50");
		expect(formatMoney(5, "NGN")).toBe("₦0.05");
		expect(formatMoney(0, "USD")).toBe("$0");
		expect(formatMoney(1_234_567, "XOF")).toBe("CFA 1,234,567");
		expect(minorToDecimal(1_500_000, "NGN")).toBe("15000.00");
		expect(minorToDecimal(7, "GHS")).toBe("0.07");
		expect(minorToDecimal(7, "XOF")).toBe("7");
		expect(() => minorToDecimal(1.5, "NGN")).toThrow(RangeError);
		expect(() => minorToDecimal(-1, "NGN")).toThrow(RangeError);
	});

	it("round-trips exactly for every safe amount (no float drift)", () => {
		fc.assert(
			fc.property(fc.maxSafeNat(), fc.constantFrom(...CURRENCIES), (minor, currency) => {
				const decimal = minorToDecimal(minor, currency);
				expect(BigInt(decimal.replace(".", ""))).toBe(BigInt(minor));
			}),
		);
	});
});
