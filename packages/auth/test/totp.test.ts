import { describe, expect, it } from "vitest";
import { generateSecretBoxKey, open, seal } from "../src/secret-box.ts";
import { base32Decode, base32Encode, generateTotpSecret, otpauthUri, totpCode, totpStep, verifyTotp } from "../src/totp.ts";

// RFC 6238 appendix B: the SHA-1 seed is ASCII "12345678901234567890".
const RFC_SECRET = base32Encode(new TextEncoder().encode("12345678901234567890"));

describe("TOTP (RFC 6238)", () => {
	it.each([
		[59, "94287082"],
		[1111111109, "07081804"],
		[1111111111, "14050471"],
		[1234567890, "89005924"],
		[2000000000, "69279037"],
		[20000000000, "65353130"],
	])("matches the RFC test vector at t=%i", async (seconds, expected) => {
		expect(await totpCode(RFC_SECRET, totpStep(seconds * 1000), 8)).toBe(expected);
	});

	it("accepts the current step and one either side, and nothing further", async () => {
		const secret = generateTotpSecret();
		const now = Date.now();
		const step = totpStep(now);
		for (const offset of [-1, 0, 1]) {
			expect(await verifyTotp(secret, await totpCode(secret, step + offset), now)).toBe(step + offset);
		}
		for (const offset of [-2, 2, 10]) {
			expect(await verifyTotp(secret, await totpCode(secret, step + offset), now)).toBeNull();
		}
		expect(await verifyTotp(secret, "12345", now)).toBeNull();
		expect(await verifyTotp(secret, "abcdef", now)).toBeNull();
	});

	it("round-trips base32 and builds an otpauth URI", () => {
		const bytes = crypto.getRandomValues(new Uint8Array(20));
		expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
		expect(otpauthUri("ABC", "ada@oja.dev")).toBe(
			"otpauth://totp/Oja%20Ops%3Aada%40oja.dev?secret=ABC&issuer=Oja%20Ops&algorithm=SHA1&digits=6&period=30",
		);
	});
});

describe("secret box", () => {
	it("seals and opens, and refuses a tampered value or the wrong key", async () => {
		const key = generateSecretBoxKey();
		const sealed = await seal(key, "JBSWY3DPEHPK3PXP");
		expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
		expect(await open(key, sealed)).toBe("JBSWY3DPEHPK3PXP");
		const [v, iv, data] = sealed.split(".");
		const flipped = `${v}.${iv}.${data?.startsWith("A") ? `B${data.slice(1)}` : `A${data?.slice(1)}`}`;
		await expect(open(key, flipped)).rejects.toThrow();
		await expect(open(generateSecretBoxKey(), sealed)).rejects.toThrow();
	});
});
