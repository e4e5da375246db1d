// Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body,
// app secret)>`. Verify the exact bytes received, before parsing, in constant time.

import { bytesOf, hexToBytes, hmacKey, type RawBody, toHex } from "@oja/hmac";

export const WHATSAPP_SIGNATURE_HEADER = "x-hub-signature-256";

export type { RawBody };

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

function appKey(appSecret: string, usage: "sign" | "verify") {
	if (appSecret.length === 0) throw new Error("WhatsApp app secret is empty: refusing to sign or verify with it");
	return hmacKey(appSecret, "SHA-256", usage);
}

/** The `X-Hub-Signature-256` value for a body, as Meta computes it (tests and the sandbox sign with it). */
export async function signWhatsAppBody(rawBody: RawBody, appSecret: string): Promise<string> {
	return `sha256=${toHex(await crypto.subtle.sign("HMAC", await appKey(appSecret, "sign"), bytesOf(rawBody)))}`;
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
	const key = await appKey(appSecret, "verify");
	const match = SIGNATURE.exec(signatureHeader?.trim().toLowerCase() ?? "");
	if (!match?.[1]) return false;
	return crypto.subtle.verify("HMAC", key, hexToBytes(match[1]), bytesOf(rawBody));
}
