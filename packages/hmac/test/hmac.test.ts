import { describe, expect, it } from "vitest";
import { bytesOf, hexToBytes, hmacKey, toHex } from "../src/index.ts";

// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
const RFC4231_SHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
const RFC4231_SHA512 =
	"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

describe("hmacKey", () => {
	it("signs as RFC 4231 says, from a string, an ArrayBuffer and a view into a larger buffer", async () => {
		const data = "what do ya want for nothing?";
		const sign = async (hash: "SHA-256" | "SHA-512", body: Parameters<typeof bytesOf>[0]) =>
			toHex(await crypto.subtle.sign("HMAC", await hmacKey("Jefe", hash, "sign"), bytesOf(body)));
		const bytes = new TextEncoder().encode(data);
		const padded = new Uint8Array(bytes.length + 8);
		padded.set(bytes, 4);
		for (const body of [data, bytes.buffer as ArrayBuffer, padded.subarray(4, 4 + bytes.length)]) {
			expect(await sign("SHA-256", body)).toBe(RFC4231_SHA256);
			expect(await sign("SHA-512", body)).toBe(RFC4231_SHA512);
		}
	});

	it("imports a secret once per hash and usage, and keeps secrets apart", async () => {
		const a = hmacKey("secret-a", "SHA-256", "verify");
		expect(hmacKey("secret-a", "SHA-256", "verify")).toBe(a);
		expect(hmacKey("secret-a", "SHA-256", "sign")).not.toBe(a);
		expect(hmacKey("secret-a", "SHA-512", "verify")).not.toBe(a);
		const mac = await crypto.subtle.sign("HMAC", await hmacKey("secret-b", "SHA-256", "sign"), bytesOf("body"));
		expect(await crypto.subtle.verify("HMAC", await a, mac, bytesOf("body"))).toBe(false);
		expect(await crypto.subtle.verify("HMAC", await hmacKey("secret-b", "SHA-256", "verify"), mac, bytesOf("body"))).toBe(true);
	});

	it("stays bounded however many secrets it sees, and still verifies with each", async () => {
		for (let i = 0; i < 100; i++) {
			const secret = `rotating-${i}`;
			const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "SHA-256", "sign"), bytesOf("x"));
			expect(await crypto.subtle.verify("HMAC", await hmacKey(secret, "SHA-256", "verify"), mac, bytesOf("x"))).toBe(true);
		}
	});

	it("round-trips hex", () => {
		expect(toHex(hexToBytes(RFC4231_SHA256).buffer)).toBe(RFC4231_SHA256);
	});
});
