// Where a merchant's webhook may point. Oja POSTs to a URL the merchant chose, so a URL that
// reaches Oja's own network, a cloud metadata service or the caller's loopback would turn the
// platform into a proxy (SSRF). Only globally routable unicast addresses are allowed; names are
// checked again after DNS resolution and on every redirect (see the messaging Worker), since
// a public name can resolve to a private address.

export type AddressVerdict = { ok: true } | { ok: false; reason: string };

/** Four octets from a canonical dotted quad, or null (the URL parser has already normalised 0x7f.1 and friends). */
export function parseIpv4(text: string): [number, number, number, number] | null {
	const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
	if (!m) return null;
	const octets = m.slice(1).map((p) => (p.length > 1 && p.startsWith("0") ? Number.NaN : Number(p)));
	if (octets.some((o) => !(o >= 0 && o <= 255))) return null;
	return octets as [number, number, number, number];
}

/** Eight 16-bit groups, or null. Accepts `::` compression and a trailing dotted quad. */
export function parseIpv6(input: string): number[] | null {
	let text = input.toLowerCase();
	if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
	if (text.includes("%") || !/^[0-9a-f:.]+$/.test(text)) return null;
	const lastColon = text.lastIndexOf(":");
	if (lastColon < 0) return null;
	const last = text.slice(lastColon + 1);
	if (last.includes(".")) {
		const v4 = parseIpv4(last);
		if (!v4) return null;
		const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
		text = `${text.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
	}
	const halves = text.split("::");
	if (halves.length > 2) return null;
	const group = (s: string) => (s === "" ? [] : s.split(":"));
	const head = group(halves[0] ?? "");
	const rest = halves.length === 2 ? group(halves[1] ?? "") : [];
	const explicit = head.length + rest.length;
	if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
	const parse = (g: string) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN);
	const groups = [...head.map(parse), ...new Array<number>(8 - explicit).fill(0), ...rest.map(parse)];
	return groups.some((g) => Number.isNaN(g)) ? null : groups;
}

const V4_BLOCKED: [number, number, string][] = [
	// [network as a 32-bit number, prefix length, why]
	[0x00000000, 8, "this-network"],
	[0x0a000000, 8, "private"],
	[0x64400000, 10, "cgnat"],
	[0x7f000000, 8, "loopback"],
	[0xa9fe0000, 16, "link-local"],
	[0xac100000, 12, "private"],
	[0xc0000000, 24, "ietf-protocol"],
	[0xc0000200, 24, "documentation"],
	[0xc0586300, 24, "6to4-relay"],
	[0xc0a80000, 16, "private"],
	[0xc6120000, 15, "benchmarking"],
	[0xc6336400, 24, "documentation"],
	[0xcb007100, 24, "documentation"],
	[0xe0000000, 4, "multicast"],
	[0xf0000000, 4, "reserved"],
];

export function classifyIpv4(octets: readonly number[]): AddressVerdict {
	const n = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
	for (const [net, bits, why] of V4_BLOCKED) {
		const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
		if ((n & mask) >>> 0 === net) return { ok: false, reason: why };
	}
	return { ok: true };
}

export function classifyIpv6(groups: readonly number[]): AddressVerdict {
	const g = (i: number) => groups[i] ?? 0;
	const zeroUpTo = (i: number) => groups.slice(0, i).every((x) => x === 0);
	// Anything that embeds or tunnels to an IPv4 address is refused outright rather than
	// classified by the embedded address: mapped, compatible, NAT64, 6to4, Teredo.
	if (zeroUpTo(5) && g(5) === 0xffff) return { ok: false, reason: "ipv4-mapped" };
	if (zeroUpTo(6)) return { ok: false, reason: g(7) <= 1 && g(6) === 0 ? "loopback-or-unspecified" : "ipv4-compatible" };
	if (g(0) === 0x0064 && g(1) === 0xff9b) return { ok: false, reason: "nat64" };
	if ((g(0) & 0xfe00) === 0xfc00) return { ok: false, reason: "unique-local" };
	if ((g(0) & 0xffc0) === 0xfe80) return { ok: false, reason: "link-local" };
	if ((g(0) & 0xffc0) === 0xfec0) return { ok: false, reason: "site-local" };
	if ((g(0) & 0xff00) === 0xff00) return { ok: false, reason: "multicast" };
	// Global unicast is 2000::/3; everything else is unassigned or special.
	if ((g(0) & 0xe000) !== 0x2000) return { ok: false, reason: "not-global-unicast" };
	if (g(0) === 0x2001 && g(1) < 0x0200) return { ok: false, reason: "ietf-protocol" }; // 2001::/23, incl. Teredo
	if (g(0) === 0x2001 && g(1) === 0x0db8) return { ok: false, reason: "documentation" };
	if (g(0) === 0x2002) return { ok: false, reason: "6to4" };
	if (g(0) === 0x3fff && g(1) < 0x1000) return { ok: false, reason: "documentation" }; // 3fff::/20
	return { ok: true };
}

/** An IP address as text (v4 dotted quad or v6, bracketed or not): allowed, or why not; null when it is not an IP. */
export function classifyIp(text: string): AddressVerdict | null {
	const v4 = parseIpv4(text);
	if (v4) return classifyIpv4(v4);
	const v6 = text.includes(":") ? parseIpv6(text) : null;
	if (v6) return classifyIpv6(v6);
	return null;
}

// Names that are never public, whatever DNS says: loopback and local names, and the cloud
// metadata services' names (their addresses are link-local or unique-local, refused anyway).
const BLOCKED_NAMES = new Set(["localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data"]);
const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp", ".private"];

/** A DNS name Oja will look up for a webhook: dotted, not local, not numeric (an IP in disguise). */
export function classifyHostname(hostname: string): AddressVerdict {
	const name = hostname.toLowerCase().replace(/\.$/, "");
	if (BLOCKED_NAMES.has(name) || BLOCKED_SUFFIXES.some((s) => name.endsWith(s))) return { ok: false, reason: "local-name" };
	if (!name.includes(".")) return { ok: false, reason: "single-label" };
	const last = name.slice(name.lastIndexOf(".") + 1);
	// WHATWG URL turns 2130706433, 0x7f.1 and 0177.0.0.1 into dotted quads; a numeric last label
	// that survived is not a real TLD either way.
	if (/^(0x[0-9a-f]*|\d+)$/.test(last)) return { ok: false, reason: "numeric-host" };
	if (!/^[a-z0-9.-]+$/.test(name) || name.length > 253) return { ok: false, reason: "invalid-host" };
	return { ok: true };
}

export interface UrlPolicy {
	/** `http:` too (local development and tests only). */
	allowHttp?: boolean;
	/**
	 * `host:port` pairs exempt from the address checks (a test receiver on loopback). Empty in
	 * production; see the README's configuration table.
	 */
	allowedHosts?: readonly string[];
}

export type UrlVerdict =
	| { ok: true; url: URL; host: string; allowlisted: boolean; ip: boolean }
	| { ok: false; reason: string; message: string };

const refuse = (reason: string, message: string): UrlVerdict => ({ ok: false, reason, message });

/**
 * The static checks on a webhook URL (at creation, and for every redirect target): scheme, no
 * credentials, a public-looking host. DNS is checked separately, at delivery time.
 */
export function checkWebhookUrl(raw: string, policy: UrlPolicy = {}): UrlVerdict {
	if (raw.length > 2048) return refuse("too-long", "URLs are at most 2048 characters.");
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return refuse("invalid-url", "Not an absolute URL.");
	}
	if (url.protocol !== "https:" && !(policy.allowHttp && url.protocol === "http:")) {
		return refuse("scheme", "Webhook URLs must use https.");
	}
	if (url.username !== "" || url.password !== "") return refuse("userinfo", "Webhook URLs cannot carry a user name or password.");
	const host = url.hostname;
	if (policy.allowedHosts?.includes(url.host)) return { ok: true, url, host, allowlisted: true, ip: false };
	const ipVerdict = classifyIp(host);
	if (ipVerdict) {
		return ipVerdict.ok
			? { ok: true, url, host, allowlisted: false, ip: true }
			: refuse(`address-${ipVerdict.reason}`, "Webhook URLs must point at a public internet address.");
	}
	const nameVerdict = classifyHostname(host);
	if (!nameVerdict.ok) return refuse(`host-${nameVerdict.reason}`, "Webhook URLs must point at a public internet host.");
	return { ok: true, url, host, allowlisted: false, ip: false };
}
