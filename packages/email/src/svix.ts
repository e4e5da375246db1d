// Resend signs its webhooks the way Svix does: headers `svix-id`, `svix-timestamp` (unix
// seconds) and `svix-signature` — space-separated `v1,<base64 HMAC-SHA256>` entries (several
// during a secret rotation) of `${id}.${timestamp}.${rawBody}`, keyed with the base64-decoded
// part of the `whsec_…` signing secret. Verified over the exact bytes received, before parsing.

export const SVIX_HEADERS = { id: "svix-id", timestamp: "svix-timestamp", signature: "svix-signature" } as const;
/** Older (or further in the future) than this and a signed delivery is a replay. */
export const SVIX_TOLERANCE_SECONDS = 5 * 60;

const encoder = new TextEncoder();

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> | null {
	try {
		const bin = atob(b64);
		const out = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
		return out;
	} catch {
		return null;
	}
}

function bytesToBase64(bytes: Uint8Array): string {
	let bin = "";
	for (const b of bytes) bin += String.fromCharCode(b);
	return btoa(bin);
}

function hmacKey(secret: string, usage: "sign" | "verify") {
	const raw = base64ToBytes(secret.startsWith("whsec_") ? secret.slice(6) : secret);
	// An empty or undecodable secret must fail loudly: a misconfigured Worker must not accept everything.
	if (!raw || raw.length === 0) throw new Error("Resend webhook secret is empty or not base64");
	return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
	const head = encoder.encode(`${id}.${timestamp}.`);
	const tail = typeof body === "string" ? encoder.encode(body) : body;
	const out = new Uint8Array(head.length + tail.length);
	out.set(head);
	out.set(tail, head.length);
	return out;
}

/** The `svix-signature` value for a delivery (tests and the sandbox's cross-check). */
export async function signSvix(secret: string, id: string, timestamp: string, body: string): Promise<string> {
	const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedContent(id, timestamp, body));
	return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

export type SvixVerdict = { ok: true } | { ok: false; reason: "missing" | "stale" | "mismatch" };

/**
 * Checks a delivery: all three headers present, the timestamp within the tolerance of `now`,
 * and one `v1` entry matching. crypto.subtle.verify compares in constant time.
 */
export async function verifySvix(
	secret: string,
	headers: { id: string | null; timestamp: string | null; signature: string | null },
	rawBody: Uint8Array | string,
	nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SvixVerdict> {
	const key = await hmacKey(secret, "verify");
	const { id, timestamp, signature } = headers;
	if (!id || !timestamp || !signature || id.length > 200 || signature.length > 2000) return { ok: false, reason: "missing" };
	if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "missing" };
	if (Math.abs(nowSeconds - Number(timestamp)) > SVIX_TOLERANCE_SECONDS) return { ok: false, reason: "stale" };
	const content = signedContent(id, timestamp, rawBody);
	for (const entry of signature.split(" ")) {
		const [version, b64] = entry.split(",", 2);
		if (version !== "v1" || !b64) continue;
		const mac = base64ToBytes(b64);
		if (mac?.length !== 32) continue;
		if (await crypto.subtle.verify("HMAC", key, mac, content)) return { ok: true };
	}
	return { ok: false, reason: "mismatch" };
}
