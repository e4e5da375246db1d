import { asMerchant as as, eventually, gatewayAt, jsonOf, signUpMerchant, verifiedDomain } from "@oja/test-helpers";
import { describe, expect, it } from "vitest";

// The platform host's front page (routes/home.tsx): a newcomer's first request is `GET /`.
// PLATFORM_HOSTS (wrangler.toml) lists oja.dev and localhost; the tests' own origin is not one.

const LINKS = ['href="/s/demo/"', 'href="/docs"', 'href="/openapi.json"', 'href="/health/ready"'];

describe("GET / on the platform host", () => {
	it("is a small HTML page linking the demo store, the API reference and the health check", async () => {
		for (const origin of ["https://oja.dev", "http://localhost:8787"]) {
			const res = await gatewayAt(`${origin}/`);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toMatch(/^text\/html/);
			expect(res.headers.get("x-request-id")).toBeTruthy();
			// The same page for everyone: cacheable briefly, never marked as a store's cached copy.
			expect(res.headers.get("cache-control")).toBe("public, max-age=300");
			expect(res.headers.get("set-cookie")).toBeNull();
			expect(res.headers.get("x-cache")).toBeNull();
			const html = await res.text();
			expect(html).toMatch(/^<!doctype html>/);
			for (const link of LINKS) expect(html).toContain(link);
			expect(html).toContain("dashboard is coming");
			expect(html).not.toContain("<script");
		}
	});

	it("answers HEAD with the headers and no body", async () => {
		const res = await gatewayAt("https://oja.dev/", { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/html/);
		expect(await res.text()).toBe("");
	});

	it("is not served on other hosts: a merchant's domain shows its store, an unknown host a 404", async () => {
		const m = await signUpMerchant({ storeName: "Front Page Fabrics" });
		await jsonOf(
			await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
				title: "Adire Scarf",
				status: "active",
				variants: [{ priceMinor: 500_000, inventory: { onHand: 3 } }],
			}),
			201,
		);
		// Only a verified domain is served (a claim stays pending until its TXT record proves it).
		await verifiedDomain(m, "shop.front-page.ng");
		// Ask the platform first, so a wrongly shared cache would hand its page to the domain.
		expect(await (await gatewayAt("https://oja.dev/")).text()).toContain('href="/s/demo/"');
		const store = await eventually(async () => {
			const res = await gatewayAt("https://shop.front-page.ng/");
			return res.status === 200 ? res.text() : undefined;
		});
		expect(store).toContain("Adire Scarf");
		expect(store).not.toContain('href="/s/demo/"');
		// And the other way round: the platform's page is still its own.
		const again = await (await gatewayAt("https://oja.dev/")).text();
		expect(again).not.toContain("Adire Scarf");
		expect(again).toContain('href="/docs"');

		const unknown = await gatewayAt("https://not-a-store.example/");
		expect(unknown.status).toBe(404);
		expect(unknown.headers.get("content-type")).toMatch(/^application\/problem\+json/);
	});
});
