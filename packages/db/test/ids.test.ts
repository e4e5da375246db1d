import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isId, newId, ulid } from "../src/ids.ts";

describe("ids", () => {
	it("are prefixed 26-character Crockford ULIDs", () => {
		const id = newId("store");
		expect(id).toMatch(/^st_[0-9A-HJKMNP-TV-Z]{26}$/);
		expect(isId("store", id)).toBe(true);
		expect(isId("user", id)).toBe(false);
		expect(isId("store", "st_123")).toBe(false);
	});

	it("sort in creation order, even within one millisecond", () => {
		const ids = Array.from({ length: 2000 }, () => ulid(1_700_000_000_000));
		expect([...ids].sort()).toEqual(ids);
		expect(new Set(ids).size).toBe(ids.length);
	});

	it("sort by time across any two timestamps", () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 0, max: 2 ** 47 }), (a, b) => {
				fc.pre(a !== b);
				const [first, second] = a < b ? [ulid(a), ulid(b)] : [ulid(b), ulid(a)];
				return first < second;
			}),
		);
	});
});
