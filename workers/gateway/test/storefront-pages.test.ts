import {
	asMerchant as as,
	eventually,
	gateway,
	gatewayAt,
	jsonOf,
	signUpMerchant,
	type TestMerchant,
	verifiedDomain,
} from "@oja/test-helpers";
import { beforeAll, describe, expect, it } from "vitest";

// Server-rendered storefront pages: what a shopper's browser (and WhatsApp's link preview)
// gets, with forms that work without JavaScript.

interface ProductBody {
	id: string;
	handle: string;
	variants: { id: string; optionValues: string[] }[];
}

let m: TestMerchant;
let dress: ProductBody;

function meta(html: string, property: string): string | undefined {
	const match = new RegExp(`<meta (?:property|name)="${property}" content="([^"]*)"`).exec(html);
	return match?.[1];
}

async function page(path: string, init?: RequestInit): Promise<{ res: Response; html: string }> {
	const res = await gateway(path, init);
	return { res, html: await res.text() };
}

function form(body: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
	return {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
		body: new URLSearchParams(body).toString(),
		redirect: "manual",
	};
}

beforeAll(async () => {
	m = await signUpMerchant({ storeName: "Ada & Sons" });
	dress = await jsonOf<ProductBody>(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title: "Ankara Wrap Dress",
			description: "Hand-finished cotton wax print, made in Aba.",
			status: "active",
			images: [{ url: "https://cdn.example.com/ankara.jpg", alt: "Blue ankara wrap dress" }],
			options: [{ name: "Size", values: ["S", "M", "L"] }],
			variants: [
				{ optionValues: ["S"], priceMinor: 1_500_000, inventory: { onHand: 5 } },
				{ optionValues: ["M"], priceMinor: 1_650_050, compareAtMinor: 1_800_000, inventory: { onHand: 20 } },
				{ optionValues: ["L"], priceMinor: 1_700_000, inventory: { onHand: 0 } },
			],
		}),
		201,
	);
	await jsonOf(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title: "Secret Draft Gown",
			status: "draft",
			variants: [{ priceMinor: 100 }],
		}),
		201,
	);
	await jsonOf(
		await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Owambe Ready", productIds: [dress.id] }),
		201,
	);
});

describe("storefront pages", () => {
	it("renders the home page: store name escaped, active products only, collections, Open Graph tags", async () => {
		const { res, html } = await page(`/s/${m.slug}`);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/html/);
		expect(res.headers.get("etag")).toBeTruthy();
		expect(html).toMatch(/^<!doctype html>/);
		expect(html).toContain("<title>Ada &amp; Sons</title>");
		expect(html).toContain("Ankara Wrap Dress");
		expect(html).not.toContain("Secret Draft Gown");
		expect(html).toContain(`href="/s/${m.slug}/collections/owambe-ready"`);
		expect(html).toContain(`href="/s/${m.slug}/products/ankara-wrap-dress"`);
		expect(html).toContain("From ");
		expect(html).toContain("₦15,000");
		expect(meta(html, "og:site_name")).toBe("Ada &amp; Sons");
		expect(meta(html, "og:image")).toBe("https://cdn.example.com/ankara.jpg");
		expect((await page(`/s/${m.slug}/`)).res.status).toBe(200);
	});

	it("renders a product page with a variant picker that works without JavaScript and shares well", async () => {
		const { res, html } = await page(`/s/${m.slug}/products/ankara-wrap-dress`);
		expect(res.status).toBe(200);
		expect(meta(html, "og:type")).toBe("product");
		expect(meta(html, "og:title")).toBe("Ankara Wrap Dress");
		expect(meta(html, "og:description")).toBe("Hand-finished cotton wax print, made in Aba.");
		expect(meta(html, "og:url")).toBe(`http://oja.test/s/${m.slug}/products/ankara-wrap-dress`);
		expect(meta(html, "og:image:alt")).toBe("Blue ankara wrap dress");
		expect(meta(html, "product:price:amount")).toBe("15000.00");
		expect(meta(html, "product:price:currency")).toBe("NGN");
		// One radio per option value, the first in-stock variant chosen.
		expect(html.match(/type="radio" name="o0"/g)).toHaveLength(3);
		expect(html).toMatch(/value="S" checked/);
		expect(html).toContain(`name="variantId" value="${dress.variants[0]?.id}"`);
		expect(html).toContain("<legend>Size</legend>");

		// Without JS the option form submits ?o0=M and the page shows that variant.
		const medium = (await page(`/s/${m.slug}/products/ankara-wrap-dress?o0=M`)).html;
		expect(medium).toContain("₦16,500.50");
		expect(medium).toContain("₦18,000");
		expect(medium).toContain(`name="variantId" value="${dress.variants[1]?.id}"`);
		expect(meta(medium, "product:price:amount")).toBe("16500.50");

		// A sold-out variant cannot be added.
		const large = (await page(`/s/${m.slug}/products/ankara-wrap-dress?o0=L`)).html;
		expect(large).toContain("Sold out");
		expect(large).toMatch(/<button id="add" type="submit" disabled/);

		const missing = await page(`/s/${m.slug}/products/no-such-dress`);
		expect(missing.res.status).toBe(404);
		expect(missing.res.headers.get("content-type")).toMatch(/^text\/html/);
		expect((await page(`/s/${m.slug}/products/secret-draft-gown`)).res.status).toBe(404);
		expect((await page("/s/no-such-store-here")).res.status).toBe(404);
	});

	it("searches (typos too) and shows collections", async () => {
		const typo = await page(`/s/${m.slug}/search?q=ankra`);
		expect(typo.res.status).toBe(200);
		expect(typo.html).toContain("Ankara Wrap Dress");
		expect(typo.html).toContain('value="ankra"');
		const none = (await page(`/s/${m.slug}/search?q=${encodeURIComponent("<script>")}`)).html;
		expect(none).toContain("No products match");
		expect(none).not.toContain("<script>alert");
		expect(none).toContain("&lt;script&gt;");
		const collection = (await page(`/s/${m.slug}/collections/owambe-ready`)).html;
		expect(collection).toContain("<h1>Owambe Ready</h1>");
		expect(collection).toContain("Ankara Wrap Dress");
	});

	it("answers an empty or unsearchable search with an empty result page, never an error", async () => {
		for (const query of [
			"",
			"?q=",
			"?q=!",
			"?q=-",
			`?q=${encodeURIComponent("🙂")}`,
			`?q=${encodeURIComponent("\u200b")}`,
			"?q=%00",
		]) {
			const { res, html } = await page(`/s/${m.slug}/search${query}`);
			expect(res.status, query).toBe(200);
			expect(res.headers.get("content-type"), query).toMatch(/^text\/html/);
			expect(html, query).not.toContain("Ankara Wrap Dress");
		}
		expect((await page(`/s/${m.slug}/search`)).html).toContain("Type what you are looking for");
	});

	it("keeps a cart in a cookie with live prices, and refuses cross-site cart posts", async () => {
		const variantId = dress.variants[1]?.id as string;
		const added = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "2" }, { origin: "http://oja.test" }));
		expect(added.status).toBe(303);
		expect(added.headers.get("location")).toBe(`/s/${m.slug}/cart`);
		const cookie = (added.headers.get("set-cookie") ?? "").split(";")[0] as string;
		expect(cookie).toMatch(/^oja_cart=/);
		expect(added.headers.get("set-cookie")).toMatch(/HttpOnly/i);

		const again = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "1" }, { cookie }));
		const cookie2 = (again.headers.get("set-cookie") ?? "").split(";")[0] as string;
		const cart = await page(`/s/${m.slug}/cart`, { headers: { cookie: cookie2 } });
		expect(cart.res.headers.get("cache-control")).toBe("private, no-store");
		expect(cart.html).toContain("Ankara Wrap Dress");
		expect(cart.html).toContain("<td>3</td>");
		expect(cart.html).toContain('<strong id="cart-total">₦49,501.50</strong>');

		const crossSite = await gateway(
			`/s/${m.slug}/cart`,
			form({ variantId, quantity: "1" }, { cookie: cookie2, "sec-fetch-site": "cross-site" }),
		);
		expect(crossSite.status).toBe(403);
		expect(crossSite.headers.get("set-cookie")).toBeNull();
		expect((await gateway(`/s/${m.slug}/cart`, form({ variantId: "nope" }))).status).toBe(422);

		const removed = await gateway(`/s/${m.slug}/cart/remove`, form({ variantId }, { cookie: cookie2 }));
		const cookie3 = (removed.headers.get("set-cookie") ?? "").split(";")[0] as string;
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie: cookie3 } })).html).toContain("Your cart is empty");
		// A tampered cookie is an empty cart, not an error.
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie: "oja_cart=%%%" } })).html).toContain("Your cart is empty");
	});

	it("checks out: live summary, details checked on the server (no JavaScript needed), nothing charged", async () => {
		const variantId = dress.variants[0]?.id as string;
		const added = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "2" }));
		const cookie = (added.headers.get("set-cookie") ?? "").split(";")[0] as string;

		const empty = await page(`/s/${m.slug}/checkout`);
		expect(empty.html).toContain("Your cart is empty");

		const get = await page(`/s/${m.slug}/checkout`, { headers: { cookie } });
		expect(get.res.status).toBe(200);
		expect(get.res.headers.get("cache-control")).toBe("private, no-store");
		expect(get.html).toContain('<strong id="checkout-total">₦30,000</strong>');
		expect(get.html).toContain('autocomplete="tel"');

		const bad = await gateway(
			`/s/${m.slug}/checkout`,
			form(
				{ fullName: "", phone: "12345", email: "nope", address: "<b>1 Allen Ave</b>", city: "Ikeja", state: "Lagos" },
				{ cookie },
			),
		);
		expect(bad.status).toBe(422);
		const badHtml = await bad.text();
		expect(badHtml).toContain('id="form-errors"');
		expect(badHtml).toMatch(/id="phone-error"[^>]*>Enter a phone number/);
		expect(badHtml).toContain('id="email-error"');
		expect(badHtml).toContain('id="address-error"');
		expect(badHtml).toContain('value="&lt;b&gt;1 Allen Ave&lt;/b&gt;"');
		expect(badHtml).not.toContain('id="confirmed"');

		const good = await gateway(
			`/s/${m.slug}/checkout`,
			form(
				{ fullName: "Chioma Eze", phone: "0803 123 4567", email: "", address: "1 Allen Avenue", city: "Ikeja", state: "Lagos" },
				{ cookie },
			),
		);
		expect(good.status).toBe(200);
		const goodHtml = await good.text();
		expect(goodHtml).toContain('id="confirmed"');
		expect(goodHtml).toContain("Thanks, Chioma Eze.");
		expect(goodHtml).toContain('value="+2348031234567"');
		expect(goodHtml).toMatch(/<button type="button" disabled[^>]*>Pay with Paystack/);

		const crossSite = await gateway(`/s/${m.slug}/checkout`, form({ fullName: "X" }, { cookie, "sec-fetch-site": "cross-site" }));
		expect(crossSite.status).toBe(403);
	});

	it("serves the same pages on the merchant's own domain, with links at the root", async () => {
		const a2 = await signUpMerchant();
		await verifiedDomain(m, "Shop.Ada-Sons.NG");
		const home = await eventually(async () => {
			const res = await gatewayAt("https://shop.ada-sons.ng/");
			return res.status === 200 ? res.text() : undefined;
		});
		expect(home).toContain("Ankara Wrap Dress");
		expect(home).toContain('href="/products/ankara-wrap-dress"');
		expect(home).not.toContain(`/s/${m.slug}`);
		const product = await (await gatewayAt("https://shop.ada-sons.ng/products/ankara-wrap-dress")).text();
		expect(meta(product, "og:url")).toBe("https://shop.ada-sons.ng/products/ankara-wrap-dress");

		// The domain serves its own store only.
		expect((await gatewayAt(`https://shop.ada-sons.ng/s/${a2.slug}/`)).status).toBe(404);
		expect((await gatewayAt(`https://shop.ada-sons.ng/s/${m.slug}/`)).status).toBe(404);

		// The rewrite marker cannot be forged on the platform host (or poison its cache).
		const forged = await page(`/s/${m.slug}`, { headers: { "x-oja-custom-domain": "evil.test" } });
		expect(forged.html).toContain(`href="/s/${m.slug}/products/ankara-wrap-dress"`);

		// Another store cannot take the domain without proving it (custom-domains.test.ts);
		// removing it stops serving there.
		const other = await signUpMerchant();
		expect((await as(other, "POST", `/v1/stores/${other.storeId}/domain/verify`)).status).toBe(404);
		expect((await as(other, "PATCH", `/v1/stores/${other.storeId}`, { customDomain: "https://x.ng/" })).status).toBe(422);
		await jsonOf(await as(m, "PATCH", `/v1/stores/${m.storeId}`, { customDomain: null }));
		await eventually(async () => ((await gatewayAt("https://shop.ada-sons.ng/")).status === 404 ? true : undefined));
	});
});
