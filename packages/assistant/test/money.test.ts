import { describe, expect, it } from "vitest";
import { formatMoney } from "../src/index.ts";

describe("formatMoney", () => {
	it.each([
		[1_250_000, "NGN", "₦12,500"],
		[1_250_050, "NGN", "₦12,500.50"],
		[1_250_005, "NGN", "₦12,500.05"],
		[0, "NGN", "₦0"],
		[5, "NGN", "₦0.05"],
		[100, "ngn", "₦1"],
		[-1_250_000, "NGN", "-₦12,500"],
		[-50, "NGN", "-₦0.50"],
		[1250, "GHS", "GHS 12.50"],
		[0, "GHS", "GHS 0.00"],
		[-1250, "USD", "-USD 12.50"],
		[123_456_789, "KES", "KES 1,234,567.89"],
		[1500, "JPY", "JPY 1,500"],
		[25_000, "XOF", "XOF 25,000"],
		[1_234_567, "KWD", "KWD 1,234.567"],
	] as const)("%d %s → %s", (minor, currency, expected) => {
		expect(formatMoney(minor, currency)).toBe(expected);
	});

	it("is exact for bigint amounts beyond 2^53", () => {
		const minor = 2n ** 53n * 100n + 1n; // 900,719,925,474,099,201 kobo
		expect(formatMoney(minor, "NGN")).toBe("₦9,007,199,254,740,992.01");
		expect(formatMoney(12_345_678_901_234_567_890_123n, "NGN")).toBe("₦123,456,789,012,345,678,901.23");
		expect(formatMoney(-(2n ** 64n), "GHS")).toBe("-GHS 184,467,440,737,095,516.16");
		expect(formatMoney(0n, "NGN")).toBe("₦0");
	});

	it.each([
		["fraction", 12.5],
		["NaN", Number.NaN],
		["Infinity", Number.POSITIVE_INFINITY],
		["unsafe integer", 2 ** 53 + 2],
	])("throws on a %s", (_, minor) => {
		expect(() => formatMoney(minor, "NGN")).toThrow(RangeError);
	});

	it("throws on a malformed currency code", () => {
		expect(() => formatMoney(100, "NAIRA")).toThrow(RangeError);
		expect(() => formatMoney(100, "")).toThrow(RangeError);
	});

	it("throws on a non-number at runtime", () => {
		expect(() => formatMoney("100" as unknown as number, "NGN")).toThrow(RangeError);
	});
});
