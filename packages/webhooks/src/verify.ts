// Verifying an Oja webhook: this file is the README's snippet verbatim (no imports, WebCrypto
// only), so merchants copy exactly the code the tests run. Node 20+, Deno, Bun and Workers.

/**
 * True when `rawBody` (the exact text received, before any JSON parsing) carries a valid
 * `Oja-Signature` for `Oja-Timestamp` under the endpoint's secret, and the timestamp is within
 * `toleranceSeconds` of now: an old request replayed by someone who captured it is refused.
 * During a secret rotation the header carries one `v1=` per live secret; any one may match.
 * crypto.subtle.verify compares the MACs in constant time.
 */
export async function verifyOjaWebhook(
	secret: string,
	headers: { get(name: string): string | null },
	rawBody: string,
	toleranceSeconds = 300,
	nowMs: number = Date.now(),
): Promise<boolean> {
	const timestamp = headers.get("oja-timestamp") ?? "";
	if (!/^\d{1,12}$/.test(timestamp)) return false;
	if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
	const encoder = new TextEncoder();
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
	const signed = encoder.encode(`${timestamp}.${rawBody}`);
	for (const part of (headers.get("oja-signature") ?? "").split(",")) {
		const hex = /^\s*v1=([0-9a-f]{64})\s*$/.exec(part)?.[1];
		if (!hex) continue;
		const mac = new Uint8Array(32);
		for (let i = 0; i < 32; i++) mac[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
		if (await crypto.subtle.verify("HMAC", key, mac, signed)) return true;
	}
	return false;
}
