import { describe, expect, it } from "vitest";
import { DnsLookupError, dohResolver, parseDohAddresses, parseDohJson, txtData } from "../src/index.ts";

describe("DoH JSON", () => {
	it("joins quoted character-strings and reads bare text", () => {
		expect(txtData('"oja-verify=abc"')).toBe("oja-verify=abc");
		expect(txtData('"oja-verify=" "abc"')).toBe("oja-verify=abc");
		expect(txtData('"say \\"hi\\"\\032x"')).toBe('say "hi" x');
		expect(txtData("oja-verify=abc")).toBe("oja-verify=abc");
	});

	it("keeps only TXT answers; NXDOMAIN is no record, SERVFAIL is not an answer", () => {
		expect(
			parseDohJson({
				Status: 0,
				Answer: [
					{ name: "_oja-challenge.a.ng", type: 5, data: "b.ng." },
					{ name: "b.ng", type: 16, data: '"oja-verify=1"' },
				],
			}),
		).toEqual(["oja-verify=1"]);
		expect(parseDohJson({ Status: 0 })).toEqual([]);
		expect(parseDohJson({ Status: 3 })).toEqual([]);
		expect(() => parseDohJson({ Status: 2 })).toThrow(DnsLookupError);
		expect(() => parseDohJson("nope")).toThrow(DnsLookupError);
	});

	it("reads A and AAAA answers past CNAME steps; SERVFAIL is not an answer", () => {
		const reply = {
			Status: 0,
			Answer: [
				{ name: "hooks.shop.ng", type: 5, data: "edge.example." },
				{ name: "edge.example", type: 1, data: "203.0.113.7" },
				{ name: "edge.example", type: 28, data: "2001:db8::7" },
			],
		};
		expect(parseDohAddresses(reply, 1)).toEqual(["203.0.113.7"]);
		expect(parseDohAddresses(reply, 28)).toEqual(["2001:db8::7"]);
		expect(parseDohAddresses({ Status: 3 }, 1)).toEqual([]);
		expect(() => parseDohAddresses({ Status: 2 }, 1)).toThrow(DnsLookupError);
	});

	it("asks for TXT in the JSON format and reports an unreachable resolver as unknown", async () => {
		const seen: { url: string; accept: string | null }[] = [];
		const resolver = dohResolver("https://dns.example/dns-query", {
			fetch: async (input, init) => {
				seen.push({ url: String(input), accept: new Headers(init?.headers).get("accept") });
				return Response.json({ Status: 0, Answer: [{ type: 16, data: '"x"' }] });
			},
		});
		expect(await resolver.txt("_oja-challenge.shop.ng")).toEqual(["x"]);
		expect(seen).toEqual([
			{ url: "https://dns.example/dns-query?name=_oja-challenge.shop.ng&type=TXT", accept: "application/dns-json" },
		]);
		const down = dohResolver("https://dns.example/dns-query", {
			fetch: async () => {
				throw new TypeError("fetch failed");
			},
		});
		await expect(down.txt("x.ng")).rejects.toThrow(DnsLookupError);
		const failing = dohResolver("https://dns.example/dns-query", { fetch: async () => new Response("", { status: 502 }) });
		await expect(failing.txt("x.ng")).rejects.toThrow("http-502");
	});
});
