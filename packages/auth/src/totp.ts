// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps, 6 digits) — what every
// authenticator app speaks — on WebCrypto, so it runs in Workers and Node alike.

import { timingSafeEqual } from "./password.ts";

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Encode(bytes: Uint8Array): string {
	let bits = 0;
	let value = 0;
	let out = "";
	for (const byte of bytes) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += BASE32[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
		value &= (1 << bits) - 1;
	}
	if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
	return out;
}

export function base32Decode(text: string): Uint8Array<ArrayBuffer> {
	const clean = text.replace(/=+$/, "").replace(/\s+/g, "").toUpperCase();
	const out: number[] = [];
	let bits = 0;
	let value = 0;
	for (const ch of clean) {
		const index = BASE32.indexOf(ch);
		if (index < 0) throw new Error("invalid base32");
		value = (value << 5) | index;
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 255);
			bits -= 8;
		}
		value &= (1 << bits) - 1;
	}
	return new Uint8Array(out);
}

/** A new 160-bit secret, base32 as authenticator apps expect. */
export function generateTotpSecret(): string {
	return base32Encode(crypto.getRandomValues(new Uint8Array(20)));
}

export function totpStep(nowMs: number): number {
	return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

export async function totpCode(secretBase32: string, step: number, digits = TOTP_DIGITS): Promise<string> {
	const key = await crypto.subtle.importKey("raw", base32Decode(secretBase32), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
	const counter = new Uint8Array(8);
	new DataView(counter.buffer).setBigUint64(0, BigInt(step));
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter));
	const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
	const binary =
		(((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0);
	return String(binary % 10 ** digits).padStart(digits, "0");
}

/**
 * Checks `code` against the current step and one either side (clock drift). Returns the
 * step it matched, so the caller can refuse a second use of it (replay), or null.
 */
export async function verifyTotp(secretBase32: string, code: string, nowMs = Date.now()): Promise<number | null> {
	if (!/^\d{6}$/.test(code)) return null;
	const given = new TextEncoder().encode(code);
	const current = totpStep(nowMs);
	let matched: number | null = null;
	// Every candidate is computed and compared, so timing does not reveal which one matched.
	for (const step of [current - 1, current, current + 1]) {
		const expected = new TextEncoder().encode(await totpCode(secretBase32, step));
		if (timingSafeEqual(expected, given) && matched === null) matched = step;
	}
	return matched;
}

export function otpauthUri(secretBase32: string, account: string, issuer = "Oja Ops"): string {
	const label = encodeURIComponent(`${issuer}:${account}`);
	return `otpauth://totp/${label}?secret=${secretBase32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
}
