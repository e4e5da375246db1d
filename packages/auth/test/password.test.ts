import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, PBKDF2_ITERATIONS, timingSafeEqual, verifyPassword } from "../src/password.ts";

describe("password hashing", () => {
	it("verifies the right password and rejects others", async () => {
		const stored = await hashPassword("correct horse battery");
		expect(stored).toMatch(new RegExp(`^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
		expect(await verifyPassword("correct horse battery", stored)).toBe(true);
		expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
		expect(await verifyPassword("", stored)).toBe(false);
	});

	it("salts every hash", async () => {
		const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
		expect(a).not.toBe(b);
	});

	it("refuses malformed or tampered hashes instead of throwing", async () => {
		const stored = await hashPassword("secret-password");
		const [scheme, iterations, salt, hash] = stored.split("$");
		expect(await verifyPassword("secret-password", `${scheme}$${iterations}$${salt}$${hash?.slice(0, -2)}AA`)).toBe(false);
		expect(await verifyPassword("secret-password", `md5$1$${salt}$${hash}`)).toBe(false);
		expect(await verifyPassword("secret-password", "garbage")).toBe(false);
		expect(await verifyPassword("secret-password", `${scheme}$0$${salt}$${hash}`)).toBe(false);
	});

	it("keeps verifying older, cheaper hashes and flags them for re-hashing", async () => {
		const old = await hashPassword("legacy-password", 1000);
		expect(await verifyPassword("legacy-password", old)).toBe(true);
		expect(needsRehash(old)).toBe(true);
		expect(needsRehash(await hashPassword("fresh-password"))).toBe(false);
	});

	it("compares bytes without short-circuiting on the first difference", () => {
		expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
		expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
		expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
	});
});
