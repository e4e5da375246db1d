import { env } from "cloudflare:workers";
import { completePayment, listWebhooks } from "@oja/paystack-sandbox/admin";
import {
	asMerchant as as,
	eventually,
	gateway,
	gatewayAt,
	jsonOf,
	signUpMerchant,
	type TestMerchant,
	testDb,
	verifiedDomain,
} from "@oja/test-helpers";
import { sql } from "drizzle-orm";
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

	it("keeps the cart in its Durable Object (the cookie holds only its id), and refuses cross-site cart posts", async () => {
		const variantId = dress.variants[1]?.id as string;
		const added = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "2" }, { origin: "http://oja.test" }));
		expect(added.status).toBe(303);
		expect(added.headers.get("location")).toBe(`/s/${m.slug}/cart`);
		const cookie = (added.headers.get("set-cookie") ?? "").split(";")[0] as string;
		expect(cookie).toMatch(/^oja_cart=cart_[0-9A-Z]{26}$/);
		expect(added.headers.get("set-cookie")).toMatch(/HttpOnly/i);

		const again = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "1" }, { cookie }));
		expect(again.status).toBe(303);
		// Same cart: no new cookie.
		expect(again.headers.get("set-cookie")).toBeNull();
		const cart = await page(`/s/${m.slug}/cart`, { headers: { cookie } });
		expect(cart.res.headers.get("cache-control")).toBe("private, no-store");
		expect(cart.html).toContain("Ankara Wrap Dress");
		expect(cart.html).toMatch(/name="quantity"[^>]*value="3"/);
		expect(cart.html).toContain('<strong id="cart-total">₦49,501.50</strong>');

		const crossSite = await gateway(
			`/s/${m.slug}/cart`,
			form({ variantId, quantity: "1" }, { cookie, "sec-fetch-site": "cross-site" }),
		);
		expect(crossSite.status).toBe(403);
		expect(crossSite.headers.get("set-cookie")).toBeNull();
		expect((await gateway(`/s/${m.slug}/cart`, form({ variantId: "nope" }))).status).toBe(422);

		const lineId = /name="lineId" value="(ln_[0-9a-z]+)"/.exec(cart.html)?.[1] as string;
		const updated = await gateway(`/s/${m.slug}/cart/update`, form({ lineId, quantity: "1" }, { cookie }));
		expect(updated.status).toBe(303);
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie } })).html).toContain(
			'<strong id="cart-total">₦16,500.50</strong>',
		);
		const removed = await gateway(`/s/${m.slug}/cart/remove`, form({ lineId }, { cookie }));
		expect(removed.status).toBe(303);
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie } })).html).toContain("Your cart is empty");
		// A tampered or foreign cookie is an empty cart, not an error.
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie: "oja_cart=%%%" } })).html).toContain("Your cart is empty");
		expect((await page(`/s/${m.slug}/cart`, { headers: { cookie: "oja_cart=cart_01JB0000000000000000000000" } })).html).toContain(
			"Your cart is empty",
		);
	});

	it("checks out without JavaScript: details checked on the server, pay on delivery, then the order page", async () => {
		await testDb().execute(sql`
			INSERT INTO delivery_options (id, store_id, kind, name, fee_minor, currency, pay_on_delivery, position)
			VALUES ('dlv_01JB00000000000000000PAGES', ${m.storeId}, 'pickup', 'Pick up in Yaba', 0, 'NGN', true, 0)
			ON CONFLICT DO NOTHING`);
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
		expect(get.html).toContain("Pick up in Yaba");
		expect(get.html).toContain('value="pay_on_delivery"');
		const key = /name="idempotencyKey" value="([0-9a-f-]{36})"/.exec(get.html)?.[1] as string;

		const bad = await gateway(
			`/s/${m.slug}/checkout`,
			form(
				{
					name: "",
					phone: "12345",
					email: "nope",
					address: "<b>1 Allen Ave</b>",
					city: "Ikeja",
					state: "Lagos",
					idempotencyKey: key,
				},
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

		const details = {
			name: "Chioma Eze",
			phone: "0803 123 4567",
			email: "",
			deliveryOptionId: "dlv_01JB00000000000000000PAGES",
			paymentMethod: "pay_on_delivery",
			idempotencyKey: key,
		};
		const placed = await gateway(`/s/${m.slug}/checkout`, form(details, { cookie }));
		expect(placed.status).toBe(303);
		const location = placed.headers.get("location") ?? "";
		expect(location).toMatch(new RegExp(`^/s/${m.slug}/orders/ord_[0-9A-Z]{26}\\?placed=1$`));
		const cookies = placed.headers.getSetCookie();
		const orderCookie = cookies.find((c) => c.startsWith("oja_order_"))?.split(";")[0] as string;
		expect(orderCookie).toMatch(/^oja_order_ord_[0-9A-Z]{26}=otk_/);
		expect(cookies.find((c) => c.startsWith("oja_order_"))).toMatch(/HttpOnly/i);
		// A double submit of the same form replays the same order.
		const twice = await gateway(`/s/${m.slug}/checkout`, form(details, { cookie }));
		expect(twice.headers.get("location")).toBe(location);

		const orderPage = await page(location, { headers: { cookie: orderCookie } });
		expect(orderPage.res.status).toBe(200);
		expect(orderPage.res.headers.get("cache-control")).toBe("private, no-store");
		expect(orderPage.html).toContain("Your order is placed");
		expect(orderPage.html).toContain("Pay on delivery");
		expect(orderPage.html).toContain('id="order-total">₦30,000');
		// Without the order's cookie the page is a 404, as for an order that does not exist.
		expect((await page(location)).res.status).toBe(404);

		const crossSite = await gateway(`/s/${m.slug}/checkout`, form({ name: "X" }, { cookie, "sec-fetch-site": "cross-site" }));
		expect(crossSite.status).toBe(403);
	});

	it("online payment without JavaScript: checkout → Paystack's page → back to the order page, paid live; declined → try again", async () => {
		const variantId = dress.variants[0]?.id as string;
		const placeOnline = async () => {
			const added = await gateway(`/s/${m.slug}/cart`, form({ variantId, quantity: "1" }));
			const cookie = (added.headers.get("set-cookie") ?? "").split(";")[0] as string;
			const placed = await gateway(
				`/s/${m.slug}/checkout`,
				form(
					{ name: "Tunde", phone: "08031112222", deliveryOptionId: "dlv_01JB00000000000000000PAGES", paymentMethod: "online" },
					{ cookie },
				),
			);
			expect(placed.status).toBe(303);
			const orderCookie = placed.headers
				.getSetCookie()
				.find((c) => c.startsWith("oja_order_"))
				?.split(";")[0] as string;
			// Straight to the payment page (the sandbox's, standing in for Paystack's).
			const payAt = placed.headers.get("location") ?? "";
			expect(payAt.startsWith(env.TEST_PAYSTACK_ADMIN.replace(/\/_admin$/, ""))).toBe(true);
			return { orderCookie, payAt };
		};

		const paid = await placeOnline();
		const back = new URL((await completePayment(paid.payAt, "pay")) ?? "");
		expect(back.pathname).toMatch(new RegExp(`^/s/${m.slug}/orders/ord_`));
		const reference = back.searchParams.get("reference") ?? "";
		const returned = await page(`${back.pathname}${back.search}`, { headers: { cookie: paid.orderCookie } });
		expect(returned.html).toContain("Payment received — confirming your order");
		expect(returned.html).not.toContain('id="pay-now"');
		// Paystack's webhook (the sandbox signed it; nothing listens where it sent it in tests).
		const hook = await eventually(async () =>
			(await listWebhooks(env.TEST_PAYSTACK_ADMIN)).find((w) => w.body.includes(`"${reference}"`)),
		);
		const delivered = await gateway("/webhooks/paystack", {
			method: "POST",
			headers: { "content-type": "application/json", "x-paystack-signature": hook.signature },
			body: hook.body,
		});
		expect(delivered.status).toBe(200);
		const after = await eventually(async () => {
			const again = await page(back.pathname, { headers: { cookie: paid.orderCookie } });
			return again.html.includes('id="payment-status">Paid<') ? again.html : undefined;
		}, 15_000);
		expect(after).not.toContain('id="pay"');

		const declined = await placeOnline();
		const returnedDeclined = new URL((await completePayment(declined.payAt, "decline")) ?? "");
		const failedPage = await page(`${returnedDeclined.pathname}${returnedDeclined.search}`, {
			headers: { cookie: declined.orderCookie },
		});
		expect(failedPage.html).toContain("Payment failed — nothing was charged");
		expect(failedPage.html).toContain("Try again");
		// Try again: a new payment page (the declined transaction cannot be paid again).
		const retry = await gateway(`${returnedDeclined.pathname}/pay`, {
			method: "POST",
			headers: { cookie: declined.orderCookie, "sec-fetch-site": "same-origin" },
			redirect: "manual",
		});
		expect(retry.status).toBe(303);
		const payAgainAt = retry.headers.get("location") ?? "";
		expect(payAgainAt).not.toBe(declined.payAt);
		expect(await completePayment(payAgainAt, "pay")).toContain(returnedDeclined.pathname);
		// Someone else's browser (no order cookie) cannot start a payment for it.
		const stranger = await gateway(`${returnedDeclined.pathname}/pay`, {
			method: "POST",
			headers: { "sec-fetch-site": "same-origin" },
		});
		expect(stranger.status).toBe(404);
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
