// Message ids derived from what caused them (an inbound wamid and the reply's position, an
// event id, a staff request's key): doing the same work again names the same rows, which are
// inserted once and sent once. Same shape as every other id (`msg_` + 26 Crockford base32).

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const encoder = new TextEncoder();

export async function messageIdFor(key: string): Promise<string> {
	const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
	let bits = 0n;
	for (const byte of hash.slice(0, 17)) bits = (bits << 8n) | BigInt(byte);
	let out = "";
	for (let i = 0; i < 26; i++) {
		out = CROCKFORD[Number(bits & 31n)] + out;
		bits >>= 5n;
	}
	return `msg_${out}`;
}
