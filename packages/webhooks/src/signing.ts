// Signing outbound webhooks: `Oja-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
// The timestamp is inside the MAC so a captured request cannot be replayed later with a fresh
// timestamp; receivers refuse old ones (verify.ts).

const encoder = new TextEncoder();

/** A new endpoint secret: `whsec_` + 32 random bytes, base64url. The HMAC key is the whole string. */
export function generateWebhookSecret(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	const b64 = btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
	return `whsec_${b64}`;
}

/** `v1=` + hex HMAC-SHA256 of `${timestamp}.${body}`. */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
	if (secret.length === 0) throw new Error("empty webhook secret: refusing to sign with it");
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`)));
	return `v1=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The headers of one delivery attempt. With a rotation in progress there is one `v1=` per live
 * secret (newest first), comma-separated, so receivers still holding the old secret keep working.
 */
export async function webhookHeaders(
	secrets: string[],
	eventId: string,
	body: string,
	nowMs: number = Date.now(),
): Promise<Record<string, string>> {
	const timestamp = Math.floor(nowMs / 1000);
	const signatures = await Promise.all(secrets.map((s) => signWebhook(s, timestamp, body)));
	return {
		"content-type": "application/json",
		"user-agent": "Oja-Webhooks/1",
		"oja-event-id": eventId,
		"oja-timestamp": String(timestamp),
		"oja-signature": signatures.join(","),
	};
}
