// A shopper reads their order with a capability token instead of an account. The token is an
// HMAC of the order id under ORDER_TOKEN_SECRET: unguessable without the key, and derivable
// again, so an idempotent replay of the checkout can return the same token. Only its SHA-256
// is stored (orders.token_hash), so a database leak does not leak working tokens.

import { hmacKey, toHex } from "@oja/hmac";

const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer): string {
	let binary = "";
	for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function orderToken(secret: string, orderId: string): Promise<string> {
	if (secret.length < 16) throw new Error("ORDER_TOKEN_SECRET is missing or too short");
	return `otk_${base64url(await crypto.subtle.sign("HMAC", await hmacKey(secret, "SHA-256", "sign"), encoder.encode(orderId)))}`;
}

export async function tokenHash(token: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
}

/** Constant-time comparison of two equal-length hex digests. */
export function sameDigest(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
	return diff === 0;
}
