import { describe, expect, it } from "vitest";
import { hostname, isPlatformHost, normalizeHostname, parseHostList } from "../src/domains.ts";

const PLATFORM = parseHostList("oja.dev, www.oja.dev,127.0.0.1,localhost,");

describe("custom-domain hostnames", () => {
	it("normalises case, trailing dots and IDN spellings to one lowercase punycode form", () => {
		expect(normalizeHostname("Shop-x.OJA.dev")).toBe("shop-x.oja.dev");
		expect(normalizeHostname("api.oja.dev.")).toBe("api.oja.dev");
		expect(normalizeHostname("ＡＰＩ．ｏｊａ．ｄｅｖ")).toBe("api.oja.dev");
		expect(normalizeHostname("api。oja。dev")).toBe("api.oja.dev");
		expect(normalizeHostname("shop.ója.ng")).toBe("shop.xn--ja-4ja.ng");
		expect(normalizeHostname("xn--ja-4ja.ng")).toBe("xn--ja-4ja.ng");
		expect(normalizeHostname("shop.example.xn--p1ai")).toBe("shop.example.xn--p1ai");
	});

	it("refuses what is not a plain DNS name", () => {
		for (const bad of [
			"https://x.ng/",
			"x.ng:443",
			"1.2.3.4",
			"a..b.ng",
			"localhost",
			"x.ng/path",
			"oj%61.dev",
			"",
			" ",
			"-a.ng",
		]) {
			expect(normalizeHostname(bad), bad).toBeUndefined();
		}
		expect(hostname.safeParse("x".repeat(300)).success).toBe(false);
	});

	it("treats the platform hosts and every name under them as Oja's", () => {
		for (const host of ["oja.dev", "www.oja.dev", "api.oja.dev", "a.b.oja.dev", "shop.localhost"]) {
			expect(isPlatformHost(host, PLATFORM), host).toBe(true);
		}
		for (const host of ["myoja.dev", "oja.dev.ng", "shop.example.ng", "xn--ja-4ja.dev"]) {
			expect(isPlatformHost(host, PLATFORM), host).toBe(false);
		}
	});
});
