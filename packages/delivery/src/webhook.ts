import { DeliveryWebhookEvent } from "./schemas.ts";

// Status callbacks arrive from the internet at a public URL, so nothing in one is believed
// until its signature checks out: `x-kwik-signature` is hex(HMAC-SHA256(raw body, secret)).
// The signature covers the exact bytes received, so verify before parsing or re-serialising.

export const WEBHOOK_SIGNATURE_HEADER = "x-kwik-signature";

const encoder = new TextEncoder();
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function hmacKey(secret: string, usage: "sign" | "verify") {
	if (secret.length === 0) throw new Error("delivery webhook secret is empty: refusing to sign or verify with it");
	return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function hexToBytes(hex: string): Uint8Array {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return bytes;
}

/** The `x-kwik-signature` value for a body (what the provider sends; tests use it to forge valid callbacks). */
export async function signDeliveryWebhook(rawBody: string, secret: string): Promise<string> {
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), encoder.encode(rawBody)));
	return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * True when `signatureHeader` is the HMAC of `rawBody` under `secret`. crypto.subtle.verify
 * compares in constant time, so response timing leaks nothing about the expected MAC.
 * Throws on an empty secret: a misconfigured Worker must fail loudly, not accept everything.
 */
export async function verifyDeliveryWebhook(rawBody: string, signatureHeader: string | null, secret: string): Promise<boolean> {
	const key = await hmacKey(secret, "verify");
	const given = signatureHeader?.trim().toLowerCase() ?? "";
	if (!HEX_SHA256.test(given)) return false;
	return crypto.subtle.verify("HMAC", key, hexToBytes(given), encoder.encode(rawBody));
}

export type WebhookReading = { ok: true; event: DeliveryWebhookEvent } | { ok: false; reason: "signature" | "malformed" };

/**
 * Verifies, then parses, a callback. `signature` → answer 401; `malformed` (signed, but not
 * an event we understand) → answer 400 and log it, since the provider's contract changed.
 */
export async function readDeliveryWebhook(
	rawBody: string,
	signatureHeader: string | null,
	secret: string,
): Promise<WebhookReading> {
	if (!(await verifyDeliveryWebhook(rawBody, signatureHeader, secret))) return { ok: false, reason: "signature" };
	let json: unknown;
	try {
		json = JSON.parse(rawBody);
	} catch {
		return { ok: false, reason: "malformed" };
	}
	const parsed = DeliveryWebhookEvent.safeParse(json);
	return parsed.success ? { ok: true, event: parsed.data } : { ok: false, reason: "malformed" };
}
