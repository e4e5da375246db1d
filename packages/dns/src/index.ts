// The DNS questions Oja asks: which TXT strings sit at a name (custom-domain ownership), and
// which addresses a name has (merchant webhooks, checked before each delivery).
// Workers cannot send UDP, so production asks a DNS-over-HTTPS resolver in its JSON format
// (`application/dns-json`, as Cloudflare's and Google's public resolvers answer it); tests
// and `npm start` point the same client at @oja/dns-sandbox.

export interface TxtResolver {
	/**
	 * The TXT strings at `name`, each with its character-strings joined; [] when the name or
	 * the record does not exist. Throws DnsLookupError when the answer is unknown (resolver
	 * unreachable, SERVFAIL, a malformed reply): "we could not tell" is never "no record".
	 */
	txt(name: string): Promise<string[]>;
}

export class DnsLookupError extends Error {
	override readonly name = "DnsLookupError";
	/** Why the answer is unknown (unreachable, http-502, rcode-2, malformed-reply); no names. */
	readonly code: string;
	constructor(code: string) {
		super(`DNS lookup failed: ${code}`);
		this.code = code;
	}
}

const NOERROR = 0;
const NXDOMAIN = 3;
const TXT = 16;
const A = 1;
const AAAA = 28;

interface DohAnswer {
	type?: unknown;
	data?: unknown;
}

/** TXT data as DoH JSON gives it: quoted character-strings (`"a" "b"`, Cloudflare) or bare text (Google). */
export function txtData(data: string): string {
	const trimmed = data.trim();
	if (!trimmed.startsWith('"')) return trimmed;
	let out = "";
	const chunk = /"((?:[^"\\]|\\.)*)"/g;
	for (let m = chunk.exec(trimmed); m; m = chunk.exec(trimmed)) {
		out += (m[1] ?? "").replace(/\\(\d{3}|.)/g, (_, esc: string) =>
			/^\d{3}$/.test(esc) ? String.fromCharCode(Number(esc)) : esc,
		);
	}
	return out;
}

/** The TXT strings in a DoH JSON reply; throws DnsLookupError unless the reply is definite. */
export function parseDohJson(body: unknown): string[] {
	if (!body || typeof body !== "object") throw new DnsLookupError("malformed-reply");
	const { Status, Answer } = body as { Status?: unknown; Answer?: unknown };
	if (Status === NXDOMAIN) return [];
	if (Status !== NOERROR) throw new DnsLookupError(typeof Status === "number" ? `rcode-${Status}` : "malformed-reply");
	if (Answer === undefined) return [];
	if (!Array.isArray(Answer)) throw new DnsLookupError("malformed-reply");
	return (Answer as DohAnswer[]).flatMap((a) => (a.type === TXT && typeof a.data === "string" ? [txtData(a.data)] : []));
}

/** The A (or AAAA) addresses in a DoH JSON reply, CNAME steps skipped; throws unless the reply is definite. */
export function parseDohAddresses(body: unknown, type: 1 | 28): string[] {
	if (!body || typeof body !== "object") throw new DnsLookupError("malformed-reply");
	const { Status, Answer } = body as { Status?: unknown; Answer?: unknown };
	if (Status === NXDOMAIN) return [];
	if (Status !== NOERROR) throw new DnsLookupError(typeof Status === "number" ? `rcode-${Status}` : "malformed-reply");
	if (Answer === undefined) return [];
	if (!Array.isArray(Answer)) throw new DnsLookupError("malformed-reply");
	return (Answer as DohAnswer[]).flatMap((a) => (a.type === type && typeof a.data === "string" ? [a.data.trim()] : []));
}

export interface AddressResolver {
	/** Every A and AAAA address of `name` ([] when it has none); throws DnsLookupError when the answer is unknown. */
	addresses(name: string): Promise<string[]>;
}

export interface DohOptions {
	/** Defaults to the global fetch. */
	fetch?: typeof fetch;
	timeoutMs?: number;
}

/** A resolver over DNS-over-HTTPS JSON, e.g. https://cloudflare-dns.com/dns-query. */
export function dohResolver(endpoint: string, options: DohOptions = {}): TxtResolver & AddressResolver {
	const send = options.fetch ?? ((input, init) => fetch(input, init));
	const timeoutMs = options.timeoutMs ?? 5_000;
	const ask = async (name: string, type: "TXT" | "A" | "AAAA"): Promise<unknown> => {
		const url = new URL(endpoint);
		url.searchParams.set("name", name);
		url.searchParams.set("type", type);
		let res: Response;
		try {
			res = await send(url.toString(), {
				headers: { accept: "application/dns-json" },
				signal: AbortSignal.timeout(timeoutMs),
			});
		} catch {
			throw new DnsLookupError("unreachable");
		}
		if (!res.ok) throw new DnsLookupError(`http-${res.status}`);
		try {
			return await res.json();
		} catch {
			throw new DnsLookupError("malformed-reply");
		}
	};
	return {
		async addresses(name) {
			const [v4, v6] = await Promise.all([ask(name, "A"), ask(name, "AAAA")]);
			return [...parseDohAddresses(v4, A), ...parseDohAddresses(v6, AAAA)];
		},
		async txt(name) {
			return parseDohJson(await ask(name, "TXT"));
		},
	};
}
