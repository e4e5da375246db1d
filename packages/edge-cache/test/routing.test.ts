import { parseHostList } from "@oja/contracts";
import { describe, expect, it } from "vitest";
import { clientAddress } from "../src/client-address.ts";
import { routesToDashboard, routesToStorefront } from "../src/routing.ts";

const platform = parseHostList("oja.dev,www.oja.dev,127.0.0.1,localhost");
const storefront = (url: string) => routesToStorefront(new URL(url), platform);

describe("routesToStorefront", () => {
	it("sends /s/… on any host to the storefront", () => {
		for (const url of [
			"https://oja.dev/s/demo",
			"https://oja.dev/s/demo/cart",
			"http://127.0.0.1:8787/s/",
			"https://shop.example/s/x",
		]) {
			expect(storefront(url), url).toBe(true);
		}
	});

	it("keeps the API, health, docs and the front page of platform hosts (and their subdomains) in the gateway", () => {
		for (const url of [
			"https://oja.dev/",
			"https://oja.dev/v1/storefront/demo",
			"https://api.oja.dev/anything",
			"https://OJA.DEV./",
			"http://localhost:8787/docs",
			"https://oja.dev/store/demo",
			"https://oja.dev/sx",
		]) {
			expect(storefront(url), url).toBe(false);
		}
	});

	it("sends a merchant's host to the storefront, except the platform's own paths", () => {
		expect(storefront("https://shop.example.com/")).toBe(true);
		expect(storefront("https://shop.example.com/products/x")).toBe(true);
		for (const path of [
			"/v1/storefront/demo",
			"/health",
			"/health/ready",
			"/openapi.json",
			"/docs",
			"/.well-known/jwks.json",
			"/webhooks/delivery",
		]) {
			expect(storefront(`https://shop.example.com${path}`), path).toBe(false);
		}
	});
});

describe("clientAddress", () => {
	it("counts IPv4 addresses as they are and IPv6 by their /64", () => {
		expect(clientAddress("198.51.100.7")).toBe("198.51.100.7");
		expect(clientAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
		expect(clientAddress("2001:DB8:0001:0002:3:4:5:6")).toBe("2001:db8:1:2::/64");
		expect(clientAddress(undefined)).toBe("local");
	});
});

describe("routesToDashboard", () => {
	const dashboard = (url: string) => !storefront(url) && routesToDashboard(new URL(url), platform);

	it("sends /account/… on a platform host to the dashboard", () => {
		for (const url of [
			"https://oja.dev/account/reset-password",
			"http://127.0.0.1:8787/account/verify-email",
			"https://oja.dev/account",
		]) {
			expect(dashboard(url), url).toBe(true);
		}
	});

	it("leaves a store's /account/… to the storefront and other paths to the gateway", () => {
		expect(dashboard("https://shop.example.com/account/reset-password")).toBe(false);
		expect(storefront("https://shop.example.com/account/reset-password")).toBe(true);
		expect(dashboard("https://oja.dev/s/demo/account/reset-password")).toBe(false);
		for (const url of ["https://oja.dev/accounts", "https://oja.dev/v1/account/x", "https://oja.dev/"]) {
			expect(dashboard(url), url).toBe(false);
		}
	});
});
