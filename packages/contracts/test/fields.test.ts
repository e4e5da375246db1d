import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { email, minorUnits, plainText, RESERVED_SLUGS, slug } from "../src/fields.ts";
import { SignupInput } from "../src/identity.ts";

describe("slug", () => {
	it("accepts lowercase letters, digits and inner single hyphens, 3–40 long", () => {
		const part = fc.stringMatching(/^[a-z0-9]{1,12}$/);
		fc.assert(
			fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), (parts) => {
				const candidate = parts.join("-");
				fc.pre(candidate.length >= 3 && candidate.length <= 40 && !RESERVED_SLUGS.has(candidate));
				return slug.safeParse(candidate).success;
			}),
		);
	});

	it.each([
		["ab", "too short"],
		["a".repeat(41), "too long"],
		["-shop", "leading hyphen"],
		["shop-", "trailing hyphen"],
		["my--shop", "double hyphen"],
		["My-Shop", "uppercase"],
		["shop_1", "underscore"],
		["admin", "reserved"],
		["webhooks", "reserved"],
	])("rejects %s (%s)", (value) => {
		expect(slug.safeParse(value).success).toBe(false);
	});
});

describe("plainText", () => {
	const name = plainText(20);
	it("trims and accepts ordinary text, including non-Latin scripts", () => {
		expect(name.parse("  Ọjà Ńlá  ")).toBe("Ọjà Ńlá");
		expect(name.parse("5 < 6 is true")).toBe("5 < 6 is true");
	});
	it.each(["<b>x</b>", "<script>", "a<img src=x>", "hi\u0000there", "", "x".repeat(21)])("rejects %j", (value) => {
		expect(name.safeParse(value).success).toBe(false);
	});
});

describe("money and email", () => {
	it("only accepts non-negative safe integers as minor units", () => {
		expect(minorUnits.safeParse(150_000).success).toBe(true);
		for (const bad of [1.5, -1, Number.MAX_SAFE_INTEGER + 1, Number.NaN, "100"]) {
			expect(minorUnits.safeParse(bad).success).toBe(false);
		}
	});

	it("normalises email case and whitespace", () => {
		expect(email.parse("  Ada@Example.COM ")).toBe("ada@example.com");
		expect(email.safeParse("ada@").success).toBe(false);
	});

	it("defaults signup currency to NGN and rejects unknown keys", () => {
		const input = { email: "a@b.co", password: "0123456789", name: "A", storeName: "B", storeSlug: "abc" };
		expect(SignupInput.parse(input).currency).toBe("NGN");
		expect(SignupInput.safeParse({ ...input, role: "owner" }).success).toBe(false);
	});
});
