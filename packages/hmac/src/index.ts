// The HMAC plumbing every signed webhook shares (Paystack, WhatsApp, the courier): a key per
// secret imported once per isolate, hex MACs, and the exact bytes to sign. Each provider's module
// keeps its own header format and its own refusal of an empty secret.

export type HmacHash = "SHA-256" | "SHA-512";
export type RawBody = ArrayBuffer | Uint8Array | string;

const encoder = new TextEncoder();

/** Secrets an isolate has seen (one per provider, two while one rotates): a handful at most. */
const MAX_CACHED_KEYS = 16;
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

/**
 * The HMAC key for `secret`, imported on first use and then reused: importing on every webhook
 * cost about 10 µs of the ~240 µs workerd spends on one (bench/run.ts `--only probe`). The cache
 * is bounded and holds only what the isolate's env already holds.
 */
export function hmacKey(secret: string, hash: HmacHash, usage: "sign" | "verify"): Promise<HmacKey> {
	const id = `${hash}:${usage}:${secret}`;
	const cached = keys.get(id);
	if (cached) return cached;
	if (keys.size >= MAX_CACHED_KEYS) keys.clear();
	const imported = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, [usage]);
	keys.set(id, imported);
	// A failed import is not remembered: the next call tries again.
	imported.catch(() => {
		if (keys.get(id) === imported) keys.delete(id);
	});
	return imported;
}

/** The bytes to sign or verify: WebCrypto wants ArrayBuffer-backed views, and a view into a larger buffer must cover only its own bytes. */
export function bytesOf(body: RawBody): Uint8Array<ArrayBuffer> | ArrayBuffer {
	// TextEncoder always returns a fresh, unshared buffer.
	if (typeof body === "string") return encoder.encode(body) as Uint8Array<ArrayBuffer>;
	if (body instanceof ArrayBuffer) return body;
	const copy = new Uint8Array(body.byteLength);
	copy.set(body);
	return copy;
}

/** Lowercase hex of a MAC. */
export function toHex(mac: ArrayBuffer): string {
	return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a hex string the caller has already matched against its provider's MAC pattern. */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return bytes;
}
