// AES-256-GCM for secrets that must be stored but not readable from a database dump
// (operators' TOTP seeds). The key is a Worker secret, never in the database.

function b64(bytes: Uint8Array): string {
	let s = "";
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s);
}

function unb64(text: string): Uint8Array<ArrayBuffer> {
	const s = atob(text);
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
	return out;
}

async function aesKey(keyBase64: string): Promise<Awaited<ReturnType<typeof crypto.subtle.importKey>>> {
	const raw = unb64(keyBase64);
	if (raw.length !== 32) throw new Error("secret box key must be 32 bytes, base64");
	return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export function generateSecretBoxKey(): string {
	return b64(crypto.getRandomValues(new Uint8Array(32)));
}

export async function seal(keyBase64: string, plaintext: string): Promise<string> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const sealed = await crypto.subtle.encrypt(
		{ name: "AES-GCM", iv },
		await aesKey(keyBase64),
		new TextEncoder().encode(plaintext),
	);
	return `v1.${b64(iv)}.${b64(new Uint8Array(sealed))}`;
}

export async function open(keyBase64: string, sealed: string): Promise<string> {
	const [version, iv, data] = sealed.split(".");
	if (version !== "v1" || !iv || !data) throw new Error("unrecognised sealed value");
	const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(iv) }, await aesKey(keyBase64), unb64(data));
	return new TextDecoder().decode(plain);
}
