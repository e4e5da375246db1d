// Password hashing with PBKDF2-SHA256 through WebCrypto, the strongest KDF Workers offer
// natively. Workers cap PBKDF2 at 100,000 iterations. The stored string is versioned
// (`pbkdf2-sha256$<iterations>$<salt>$<hash>`) so the cost can be raised later and old
// hashes still verify (and can be re-hashed on next login).

export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const SCHEME = "pbkdf2-sha256";

function toB64(bytes: Uint8Array): string {
	let s = "";
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64(text: string): Uint8Array<ArrayBuffer> {
	const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
	return out;
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
	const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BYTES * 8);
	return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
	const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
	const hash = await derive(password, salt, iterations);
	return `${SCHEME}$${iterations}$${toB64(salt)}$${toB64(hash)}`;
}

/** Constant-time over equal-length inputs; length is not secret (it is fixed by the scheme). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
	return diff === 0;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [scheme, iter, salt, hash] = stored.split("$");
	const iterations = Number(iter);
	if (scheme !== SCHEME || !salt || !hash || !Number.isInteger(iterations) || iterations < 1) return false;
	const actual = await derive(password, fromB64(salt), iterations);
	return timingSafeEqual(actual, fromB64(hash));
}

/** True when a stored hash was made with a lower cost than today's and should be re-hashed. */
export function needsRehash(stored: string): boolean {
	const iterations = Number(stored.split("$")[1]);
	return !Number.isInteger(iterations) || iterations < PBKDF2_ITERATIONS;
}
