// Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body,
// app secret)>`. Verify the exact bytes received, before parsing, in constant time.

export const WHATSAPP_SIGNATURE_HEADER = "x-hub-signature-256";

export type RawBody = ArrayBuffer | Uint8Array | string;

const encoder = new TextEncoder();
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

function bytesOf(body: RawBody): Uint8Array<ArrayBuffer> {
	// A copy: WebCrypto wants an ArrayBuffer-backed view, and a view into a larger buffer must sign only its own bytes.
	const view = typeof body === "string" ? encoder.encode(body) : body instanceof Uint8Array ? body : new Uint8Array(body);
	const copy = new Uint8Array(view.byteLength);
	copy.set(view);
	return copy;
}

function hmacKey(appSecret: string, usage: "sign" | "verify") {
	if (appSecret.length === 0) throw new Error("WhatsApp app secret is empty: refusing to sign or verify with it");
	return crypto.subtle.importKey("raw", bytesOf(appSecret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return bytes;
}

/** The `X-Hub-Signature-256` value for a body, as Meta computes it (tests and the sandbox sign with it). */
export async function signWhatsAppBody(rawBody: RawBody, appSecret: string): Promise<string> {
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(appSecret, "sign"), bytesOf(rawBody)));
	return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * True when the header is `sha256=` + the HMAC-SHA256 of `rawBody` under the app secret.
 * crypto.subtle.verify compares in constant time; a header of the wrong shape is refused before
 * any comparison (its length is public). Throws on an empty secret: a misconfigured Worker must
 * fail loudly, not accept everything.
 */
export async function verifyWhatsAppSignature(
	rawBody: RawBody,
	signatureHeader: string | null,
	appSecret: string,
): Promise<boolean> {
	const key = await hmacKey(appSecret, "verify");
	const match = SIGNATURE.exec(signatureHeader?.trim().toLowerCase() ?? "");
	if (!match?.[1]) return false;
	return crypto.subtle.verify("HMAC", key, hexToBytes(match[1]), bytesOf(rawBody));
}
