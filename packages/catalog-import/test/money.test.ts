import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { majorToMinor, minorToMajor, wholeNumber } from "../src/money.ts";

describe("majorToMinor", () => {
	it.each([
		["15000.00", 1_500_000],
		["15000", 1_500_000],
		["15000.5", 1_500_050],
		["0.29", 29],
		["0.07", 7],
		[".5", 50],
		["7.", 700],
		[" 12.34 ", 1234],
		["0", 0],
		["000012.30", 1230],
		["90071992547409.91", 9_007_199_254_740_991],
	])("%s → %i", (text, minor) => {
		expect(majorToMinor(text)).toEqual({ ok: true, value: minor });
	});

	it.each([
		["", "required"],
		["-1.00", "negative"],
		["1.234", "more than 2 decimal places"],
		["abc", "not a decimal"],
		["1,000.00", "not a decimal"],
		["1e3", "not a decimal"],
		["NaN", "not a decimal"],
		["Infinity", "not a decimal"],
		["+5", "not a decimal"],
		["0x10", "not a decimal"],
		["90071992547409.92", "too large"],
		["1".repeat(30), "too large"],
	])("rejects %j (%s)", (text, message) => {
		const result = majorToMinor(text);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toContain(message);
	});

	it("follows the store currency's exponent: the CFA franc has no minor unit", () => {
		expect(majorToMinor("1500", 0)).toEqual({ ok: true, value: 1500 });
		expect(majorToMinor("1500.00", 0)).toEqual({ ok: true, value: 1500 });
		expect(majorToMinor("1500.5", 0).ok).toBe(false);
		expect(majorToMinor("1500.05", 0).ok).toBe(false);
		expect(majorToMinor("1500.5", 2)).toEqual({ ok: true, value: 150_050 });
	});

	it("round-trips every safe minor amount through its decimal string, without floats", () => {
		fc.assert(
			fc.property(fc.maxSafeNat(), (minor) => {
				const text = minorToMajor(minor);
				expect(text).toMatch(/^\d+\.\d{2}$/);
				expect(majorToMinor(text)).toEqual({ ok: true, value: minor });
			}),
		);
	});

	it("agrees with exact decimal arithmetic (BigInt) on any ≤2-decimal string", () => {
		fc.assert(
			fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.integer({ min: 0, max: 2 }), fc.nat(99), (whole, places, frac) => {
				const fraction = places === 0 ? "" : String(frac % 10 ** places).padStart(places, "0");
				const text = places === 0 ? `${whole}` : `${whole}.${fraction}`;
				const expected = whole * 100n + (places === 0 ? 0n : BigInt(fraction.padEnd(2, "0")));
				expect(majorToMinor(text)).toEqual({ ok: true, value: Number(expected) });
			}),
		);
	});

	it("refuses any amount with more than two decimals", () => {
		fc.assert(
			fc.property(fc.nat(), fc.stringMatching(/^\d{3,8}$/), (whole, fraction) => {
				expect(majorToMinor(`${whole}.${fraction}`).ok).toBe(false);
			}),
		);
	});
});

describe("wholeNumber", () => {
	it("accepts whole numbers and spreadsheet-style 12.0, refuses the rest", () => {
		expect(wholeNumber("12", "Qty", 100)).toEqual({ ok: true, value: 12 });
		expect(wholeNumber("12.0", "Qty", 100)).toEqual({ ok: true, value: 12 });
		expect(wholeNumber("12.5", "Qty", 100).ok).toBe(false);
		expect(wholeNumber("-1", "Qty", 100)).toEqual({ ok: false, message: "Qty cannot be negative" });
		expect(wholeNumber("101", "Qty", 100).ok).toBe(false);
		expect(wholeNumber("x", "Qty", 100).ok).toBe(false);
	});
});
