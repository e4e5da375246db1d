import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	checkWebhookUrl,
	classifyIp,
	MAX_DELIVERY_ATTEMPTS,
	MAX_QUEUE_DELAY_SECONDS,
	nextRetryDelaySeconds,
	parseIpv6,
	RETRY_DELAYS_SECONDS,
	signWebhook,
	verifyOjaWebhook,
	webhookHeaders,
} from "../src/index.ts";

const headersOf = (h: Record<string, string>) => new Headers(h);

describe("signing and the README's verification snippet", () => {
	it("verifies what Oja signs, and nothing else", async () => {
		const body = JSON.stringify({ id: "evt_1", type: "order.paid" });
		const now = 1_800_000_000_000;
		const h = await webhookHeaders(["whsec_a"], "evt_1", body, now);
		expect(h["oja-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);
		expect(h["oja-timestamp"]).toBe("1800000000");
		expect(await verifyOjaWebhook("whsec_a", headersOf(h), body, 300, now)).toBe(true);
		expect(await verifyOjaWebhook("whsec_b", headersOf(h), body, 300, now)).toBe(false);
		expect(await verifyOjaWebhook("whsec_a", headersOf(h), `${body} `, 300, now)).toBe(false);
		// A changed timestamp breaks the MAC even inside the window.
		expect(await verifyOjaWebhook("whsec_a", headersOf({ ...h, "oja-timestamp": "1800000001" }), body, 300, now)).toBe(false);
	});
	it("refuses a replay older than five minutes, and one from the future", async () => {
		const body = "{}";
		const sent = 1_800_000_000_000;
		const h = await webhookHeaders(["s"], "evt_1", body, sent);
		expect(await verifyOjaWebhook("s", headersOf(h), body, 300, sent + 300_000)).toBe(true);
		expect(await verifyOjaWebhook("s", headersOf(h), body, 300, sent + 301_000)).toBe(false);
		expect(await verifyOjaWebhook("s", headersOf(h), body, 300, sent - 301_000)).toBe(false);
	});
	it("accepts either secret during a rotation", async () => {
		const h = await webhookHeaders(["new", "old"], "evt_1", "{}", 1_800_000_000_000);
		expect(h["oja-signature"]?.split(",")).toHaveLength(2);
		for (const s of ["new", "old"]) expect(await verifyOjaWebhook(s, headersOf(h), "{}", 300, 1_800_000_000_000)).toBe(true);
	});
	it("refuses malformed headers", async () => {
		const sig = await signWebhook("s", 1_800_000_000, "{}");
		const cases: Record<string, string>[] = [
			{ "oja-timestamp": "", "oja-signature": sig },
			{ "oja-timestamp": "1800000000.5", "oja-signature": sig },
			{ "oja-timestamp": "1800000000", "oja-signature": sig.toUpperCase() },
			{ "oja-timestamp": "1800000000", "oja-signature": sig.slice(3) },
			{ "oja-timestamp": "1800000000" },
		];
		for (const h of cases) {
			expect(await verifyOjaWebhook("s", headersOf(h), "{}", 300, 1_800_000_000_000)).toBe(false);
		}
	});
});

describe("address classification", () => {
	it.each([
		"127.0.0.1",
		"10.0.0.5",
		"172.16.0.1",
		"172.31.255.255",
		"192.168.1.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
		"224.0.0.1",
		"255.255.255.255",
		"::1",
		"::",
		"fd00:ec2::254",
		"fc00::1",
		"fe80::1",
		"ff02::1",
		"::ffff:127.0.0.1",
		"::ffff:7f00:1",
		"::ffff:8.8.8.8",
		"::127.0.0.1",
		"64:ff9b::a00:1",
		"2001:db8::1",
		"2002:a00:1::1",
		"2001::1",
	])("refuses %s", (ip) => {
		expect(classifyIp(ip)?.ok).toBe(false);
	});
	it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])(
		"allows %s",
		(ip) => {
			expect(classifyIp(ip)?.ok).toBe(true);
		},
	);
	it("parses IPv6 forms to the same groups", () => {
		expect(parseIpv6("[::ffff:10.0.0.1]")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
		expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
		expect(parseIpv6("1::2::3")).toBeNull();
		expect(parseIpv6("1:2:3:4:5:6:7")).toBeNull();
		expect(parseIpv6("fe80::1%eth0")).toBeNull();
	});
	it("refuses every address in the private and special IPv4 ranges (property)", () => {
		const inRange = (a: number, bits: number) =>
			fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((off) => {
				const n = (a + off) >>> 0;
				return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
			});
		const ranges = fc.oneof(
			inRange(0x0a000000, 8),
			inRange(0x7f000000, 8),
			inRange(0xac100000, 12),
			inRange(0xc0a80000, 16),
			inRange(0xa9fe0000, 16),
			inRange(0x64400000, 10),
			inRange(0xe0000000, 3),
		);
		fc.assert(fc.property(ranges, (ip) => classifyIp(ip)?.ok === false));
	});
	it("classifies an IPv4 address and every IPv6 form embedding it alike: mapped ones always refused (property)", () => {
		fc.assert(
			fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (o) => {
				const v4 = o.join(".");
				const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
				for (const mapped of [`::ffff:${v4}`, `::ffff:${hex(o[0], o[1])}:${hex(o[2], o[3])}`, `[::ffff:${v4}]`]) {
					if (classifyIp(mapped)?.ok !== false) return false;
				}
				// The URL parser must agree with the classifier about the host it produces.
				const verdict = checkWebhookUrl(`https://[::ffff:${v4}]/hook`);
				return !verdict.ok;
			}),
		);
	});
	it("refuses IPv4 in decimal, octal and hex disguise, as the URL parser reads them (property)", () => {
		fc.assert(
			fc.property(fc.constantFrom(0x7f000001, 0x0a000005, 0xa9fea9fe, 0xc0a80001), fc.nat(2), (n, form) => {
				const host = form === 0 ? String(n) : form === 1 ? `0x${n.toString(16)}` : `0${(n >>> 24).toString(8)}.${n & 0xffffff}`;
				return !checkWebhookUrl(`https://${host}/x`).ok;
			}),
		);
	});
});

describe("webhook URLs", () => {
	it.each([
		["http://example.com/hook", "scheme"],
		["ftp://example.com/hook", "scheme"],
		["https://user:pw@example.com/hook", "userinfo"],
		["https://user@example.com/hook", "userinfo"],
		["https://127.0.0.1/hook", "address-loopback"],
		["https://10.0.0.5/hook", "address-private"],
		["https://169.254.169.254/latest/meta-data", "address-link-local"],
		["https://[fd00:ec2::254]/", "address-unique-local"],
		["https://[::ffff:169.254.169.254]/", "address-ipv4-mapped"],
		["https://2130706433/", "address-loopback"],
		["https://0x7f.1/", "address-loopback"],
		["https://0177.0.0.1/", "address-loopback"],
		["https://metadata.google.internal/computeMetadata/v1/", "host-local-name"],
		["https://localhost:8443/", "host-local-name"],
		["https://printer.local/", "host-local-name"],
		["https://intranet/", "host-single-label"],
		["not a url", "invalid-url"],
	])("refuses %s (%s)", (url, reason) => {
		const verdict = checkWebhookUrl(url);
		expect(verdict.ok).toBe(false);
		if (!verdict.ok) expect(verdict.reason).toBe(reason);
	});
	it("allows public https URLs, http only when allowed, loopback only when allowlisted by host:port", () => {
		expect(checkWebhookUrl("https://hooks.example.com/oja?x=1").ok).toBe(true);
		expect(checkWebhookUrl("https://8.8.8.8:8443/").ok).toBe(true);
		expect(checkWebhookUrl("http://hooks.example.com/", { allowHttp: true }).ok).toBe(true);
		expect(checkWebhookUrl("http://127.0.0.1:5999/", { allowHttp: true }).ok).toBe(false);
		expect(checkWebhookUrl("http://127.0.0.1:5999/", { allowHttp: true, allowedHosts: ["127.0.0.1:5999"] }).ok).toBe(true);
		expect(checkWebhookUrl("http://127.0.0.1:9/", { allowHttp: true, allowedHosts: ["127.0.0.1:5999"] }).ok).toBe(false);
	});
});

describe("retry schedule", () => {
	it("spreads ten attempts over just under 24 hours, each delay within Queues' 12-hour cap", () => {
		const total = RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0);
		expect(total).toBeLessThanOrEqual(24 * 3600);
		expect(total).toBeGreaterThan(23 * 3600);
		expect(MAX_DELIVERY_ATTEMPTS).toBe(10);
		for (let a = 1; a < MAX_DELIVERY_ATTEMPTS; a++) {
			const d = nextRetryDelaySeconds(a, { random: () => 0.999 }) ?? -1;
			expect(d).toBeGreaterThan(0);
			expect(d).toBeLessThanOrEqual(MAX_QUEUE_DELAY_SECONDS);
			expect(d).toBeGreaterThanOrEqual(RETRY_DELAYS_SECONDS[a - 1] ?? 0);
		}
		expect(nextRetryDelaySeconds(MAX_DELIVERY_ATTEMPTS)).toBeNull();
		expect(nextRetryDelaySeconds(3, { scale: 0 })).toBe(0);
		expect(() => nextRetryDelaySeconds(0)).toThrow(RangeError);
	});
});
