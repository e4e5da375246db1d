// Who a per-address limit counts: the client's address as Cloudflare's edge reports it in
// `cf-connecting-ip` (clients cannot set this header there). An IPv6 client usually holds a
// whole /64 and could rotate through it for a fresh allowance per address, so IPv6 addresses
// count by their /64. Shared so the gateway and the storefront Worker count the same client
// the same way in the rate-limit namespace they share.

/** The key a client's address is limited by ("local" when the header is absent, as in tests). */
export function clientAddress(connectingIp: string | undefined): string {
	const ip = connectingIp ?? "local";
	return ip.includes(":") ? ipv6Prefix64(ip) : ip;
}

/** The first four hextets of an IPv6 address ("2001:db8::1" → "2001:db8:0:0::/64"). */
export function ipv6Prefix64(ip: string): string {
	const [head = "", tail] = ip.toLowerCase().split("::", 2);
	const left = head ? head.split(":") : [];
	const right = tail ? tail.split(":") : [];
	const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
	return `${groups
		.slice(0, 4)
		.map((g) => g.replace(/^0+(?=.)/, ""))
		.join(":")}::/64`;
}
