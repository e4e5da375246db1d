import { bytesOf, hexToBytes, hmacKey, toHex } from "@oja/hmac";
import { DeliveryWebhookEvent } from "./schemas.ts";

// Status callbacks arrive from the internet at a public URL, so nothing in one is believed
// until its signature checks out: `x-kwik-signature` is hex(HMAC-SHA256(raw body, secret)).
// The signature covers the exact bytes received, so verify before parsing or re-serialising.

export const WEBHOOK_SIGNATURE_HEADER = "x-kwik-signature";

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function secretKeyFor(secret: string, usage: "sign" | "verify") {
	if (secret.length === 0) throw new Error("delivery webhook secret is empty: refusing to sign or verify with it");
	return hmacKey(secret, "SHA-256", usage);
}

/** The `x-kwik-signature` value for a body (what the provider sends; tests use it to forge valid callbacks). */
export async function signDeliveryWebhook(rawBody: string, secret: string): Promise<string> {
	return toHex(await crypto.subtle.sign("HMAC", await secretKeyFor(secret, "sign"), bytesOf(rawBody)));
}

/**
 * True when `signatureHeader` is the HMAC of `rawBody` under `secret`. crypto.subtle.verify
 * compares in constant time, so response timing leaks nothing about the expected MAC.
 * Throws on an empty secret: a misconfigured Worker must fail loudly, not accept everything.
 */
export async function verifyDeliveryWebhook(rawBody: string, signatureHeader: string | null, secret: string): Promise<boolean> {
	const key = await secretKeyFor(secret, "verify");
	const given = signatureHeader?.trim().toLowerCase() ?? "";
	if (!HEX_SHA256.test(given)) return false;
	return crypto.subtle.verify("HMAC", key, hexToBytes(given), bytesOf(rawBody));
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
