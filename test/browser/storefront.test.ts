// A real browser against the real stack: Debian's Chromium (driven by playwright-core) opens
// the demo storefront served by the Oja Workers on workerd, searches, opens a product, picks a
// variant, adds it to the cart, checks out with pay on delivery and watches the order page
// change live when the merchant fulfils it through the API; pays online on the Paystack
// sandbox's hosted page and watches the order turn paid; and once without JavaScript. A merchant
// asks for a password-reset email on the dashboard's request page, opens a reset link (the
// dashboard's page), sets a new password and signs in with it.
// Screenshots land in test-results/.
import { mkdir } from "node:fs/promises";
import { neon, neonConfig } from "@neondatabase/serverless";
import { opaqueToken, sha256Hex } from "@oja/auth";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack } from "../../scripts/local-stack.ts";
import { DEMO } from "../../scripts/seed.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTEFACTS = "test-results";

const disposers: (() => Promise<void>)[] = [];
let browser: Browser;
let base: string;
let gatewayUrl: string;
let stack: Awaited<ReturnType<typeof startStack>>;

beforeAll(async () => {
	stack = await startStack({ databaseUrl: process.env.DATABASE_URL || undefined, database: "oja_browser" }, disposers);
	gatewayUrl = stack.gatewayUrl;
	base = `${stack.gatewayUrl}/s/${DEMO.storeSlug}`;
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
	});
	disposers.push(() => browser.close());
	await mkdir(ARTEFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
	for (const dispose of disposers.reverse()) await dispose().catch(() => undefined);
});

async function merchantToken(): Promise<string> {
	const login = await fetch(`${gatewayUrl}/v1/auth/login`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
	});
	const { accessToken } = (await login.json()) as { accessToken: string };
	return accessToken;
}

describe("storefront in Chromium", () => {
	it("the seeded demo merchant can manage the catalog the pages show", async () => {
		const login = await fetch(`${gatewayUrl}/v1/auth/login`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
		});
		const { accessToken } = (await login.json()) as { accessToken: string };
		const res = await fetch(`${gatewayUrl}/v1/stores/${DEMO.storeId}/products`, {
			headers: { authorization: `Bearer ${accessToken}` },
		});
		expect(res.status).toBe(200);
		const { items } = (await res.json()) as { items: { handle: string }[] };
		expect(items.map((p) => p.handle)).toContain("ankara-wrap-dress");
	});

	it("home → search → product → pick a variant (JavaScript on)", async () => {
		const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
		await page.goto(`${base}/`);
		expect(await page.title()).toBe(DEMO.storeName);
		await expect.poll(() => page.locator(".card").count()).toBeGreaterThanOrEqual(4);

		// Search with a typo, the way shoppers type on a phone.
		await page.getByRole("searchbox").fill("ankra");
		await page.getByRole("button", { name: "Search" }).click();
		await page.waitForURL(/\/search\?q=ankra/);
		await page.getByRole("link", { name: /Ankara Wrap Dress/ }).click();
		await page.waitForURL(/\/products\/ankara-wrap-dress/);
		expect(await page.locator("h1").textContent()).toBe("Ankara Wrap Dress");
		expect(await page.locator('meta[property="og:title"]').getAttribute("content")).toBe("Ankara Wrap Dress");

		// With JavaScript, picking M swaps price and variant in place (no reload).
		await page.getByLabel("M", { exact: true }).check();
		await expect.poll(() => page.locator("#price").textContent()).toContain("₦16,500");
		expect(page.url()).toMatch(/\?variant=var_/);
		expect(await page.locator("#stock").textContent()).toBe("In stock");
		expect(await page.locator("#stock").getAttribute("class")).toBe("badge in_stock");
		expect(await page.locator("#add").isDisabled()).toBe(false);
		// L is sold out: the add button turns off.
		await page.getByLabel("L", { exact: true }).check();
		await expect.poll(() => page.locator("#add").isDisabled()).toBe(true);
		await page.getByLabel("M", { exact: true }).check();
		await page.screenshot({ path: `${ARTEFACTS}/storefront-product.png`, fullPage: true });

		await page.getByRole("button", { name: "Add to cart" }).click();
		await page.waitForURL(/\/cart$/);
		expect(await page.locator("#cart-total").textContent()).toBe("₦16,500");
		await page.screenshot({ path: `${ARTEFACTS}/storefront-cart.png`, fullPage: true });

		await page.getByRole("link", { name: "Checkout" }).click();
		await page.waitForURL(/\/checkout$/);
		await page.getByLabel("Full name").fill("Chioma Eze");
		await page.getByLabel("Phone (WhatsApp)").fill("0803 123 4567");
		await page.getByLabel(/Pick up in Yaba/).check();
		await page.getByLabel(/Pay on delivery/).check();
		await page.screenshot({ path: `${ARTEFACTS}/storefront-checkout.png`, fullPage: true });
		await page.getByRole("button", { name: "Place order" }).click();
		await page.waitForURL(/\/orders\/ord_[0-9A-Z]{26}\?placed=1$/);
		expect(await page.locator("#placed").textContent()).toContain("Your order is placed");
		expect(await page.locator("#payment-status").textContent()).toBe("Pay on delivery");
		expect(await page.locator("#fulfilment-status").textContent()).toBe("Being prepared");
		// The page is connected to its live feed.
		await expect.poll(() => page.locator("#live-state").textContent(), { timeout: 15_000 }).toBe("Live");
		const orderId = /\/orders\/(ord_[0-9A-Z]{26})/.exec(page.url())?.[1] as string;

		// The merchant fulfils it through the API; the open page changes without a reload.
		const token = await merchantToken();
		const fulfil = await fetch(`${gatewayUrl}/v1/stores/${DEMO.storeId}/orders/${orderId}/fulfilments`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ carrier: "GIG Logistics", trackingNumber: "GIG-1001" }),
		});
		expect(fulfil.status).toBe(201);
		await expect.poll(() => page.locator("#fulfilment-status").textContent(), { timeout: 20_000 }).toBe("Sent");
		expect(await page.locator("#order").getAttribute("data-fulfilment")).toBe("fulfilled");
		await page.screenshot({ path: `${ARTEFACTS}/storefront-order-live.png`, fullPage: true });
		// A reload shows the same truth without the socket.
		await page.reload();
		expect(await page.locator("#fulfilment-status").textContent()).toBe("Sent");
		await page.close();
	});

	it("pays online on Paystack's page (the sandbox's) and the order page turns paid by itself", async () => {
		const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
		await page.goto(`${base}/products/adire-shirt`);
		await page.getByLabel("L", { exact: true }).check();
		await page.getByLabel("Indigo", { exact: true }).check();
		await expect.poll(() => page.locator("#add").isDisabled()).toBe(false);
		await page.getByRole("button", { name: "Add to cart" }).click();
		await page.waitForURL(/\/cart$/);
		await page.getByRole("link", { name: "Checkout" }).click();
		await page.waitForURL(/\/checkout$/);
		await page.getByLabel("Full name").fill("Tunde Bakare");
		await page.getByLabel("Phone (WhatsApp)").fill("0803 555 0101");
		await page.getByLabel("Email").fill("tunde@example.com");
		await page.getByLabel(/Pick up in Yaba/).check();
		await page.getByLabel(/Pay online/).check();
		await page.getByRole("button", { name: "Place order" }).click();

		// Paystack's hosted page: amount and store, Pay and Decline.
		await page.waitForURL(/\/checkout\/[0-9a-z]+$/);
		expect(await page.locator("h1").textContent()).toContain(DEMO.storeName);
		await page.screenshot({ path: `${ARTEFACTS}/paystack-page.png`, fullPage: true });
		await page.getByRole("button", { name: /^Pay / }).click();

		// Back on the order page: the webhook went sandbox → gateway → queue → payments →
		// commerce; the page shows it without a reload.
		await page.waitForURL(/\/orders\/ord_[0-9A-Z]{26}\?.*reference=/);
		await expect.poll(() => page.locator("#payment-status").textContent(), { timeout: 20_000 }).toBe("Paid");
		expect(await page.locator("#order-status").textContent()).not.toBe("Awaiting payment");
		expect(await page.locator("#pay").isHidden()).toBe(true);
		await page.screenshot({ path: `${ARTEFACTS}/storefront-order-paid.png`, fullPage: true });
		await page.reload();
		expect(await page.locator("#payment-status").textContent()).toBe("Paid");
		await page.close();
	});

	it("works without JavaScript: the option form reloads the page with the chosen variant", async () => {
		const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
		const page = await context.newPage();
		await page.goto(`${base}/products/adire-shirt`);
		await page.getByLabel("L", { exact: true }).check();
		await page.getByLabel("Rust", { exact: true }).check();
		await page.getByRole("button", { name: "Show this option" }).click();
		await page.waitForURL(/o0=L&o1=Rust/);
		expect(await page.locator("#stock").textContent()).toBe("Sold out");
		expect(await page.locator("#add").isDisabled()).toBe(true);
		await page.getByLabel("Indigo", { exact: true }).check();
		await page.getByRole("button", { name: "Show this option" }).click();
		await page.waitForURL(/o1=Indigo/);
		expect(await page.locator("#price").textContent()).toContain("₦9,500");
		await page.getByRole("button", { name: "Add to cart" }).click();
		await page.waitForURL(/\/cart$/);
		expect(await page.locator("tbody tr").count()).toBe(1);
		await page.screenshot({ path: `${ARTEFACTS}/storefront-no-js.png`, fullPage: true });
		await context.close();
	});
});

describe("account pages in Chromium", () => {
	/** A new merchant and a reset link of theirs, made here directly (email.test.ts follows the emailed links). */
	async function merchantWithResetLink(): Promise<{ email: string; link: string }> {
		const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
		const email = `reset-${tag}@example.com`;
		const signup = await fetch(`${gatewayUrl}/v1/auth/signup`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({
				email,
				password: "correct horse battery",
				name: "Ada Obi",
				storeName: "Ada's",
				storeSlug: `ada-${tag}`,
			}),
		});
		expect(signup.status).toBe(201);
		const token = opaqueToken("pr");
		neonConfig.fetchEndpoint = stack.sqlEndpoint;
		await neon(stack.databaseUrl).query(
			`INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at)
			SELECT $1, 'reset_password', id, now() + interval '1 hour' FROM users WHERE email = $2`,
			[await sha256Hex(token), email],
		);
		return { email, link: `${gatewayUrl}/account/reset-password#token=${token}` };
	}

	const login = (email: string, password: string) =>
		fetch(`${gatewayUrl}/v1/auth/login`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email, password }),
		});

	it("a merchant opens the reset link, sets a new password and signs in with it; the link then is used", async () => {
		const { email, link } = await merchantWithResetLink();
		const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
		const refused: string[] = [];
		page.on("console", (m) => {
			if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
		});
		await page.goto(link);
		// The script took the token and removed it from the address bar.
		await expect.poll(() => page.url()).toBe(`${gatewayUrl}/account/reset-password`);
		expect(await page.locator("h1").textContent()).toBe("Choose a new password");
		await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
		await page.getByLabel("New password again").fill("a different passphrase");
		await page.getByRole("button", { name: "Set new password" }).click();
		expect(await page.getByRole("alert").textContent()).toBe("The two passwords are not the same.");
		await page.getByLabel("New password again").fill("a brand new passphrase");
		await page.getByRole("button", { name: "Set new password" }).click();
		await expect.poll(() => page.locator("#account-done").isVisible(), { timeout: 15_000 }).toBe(true);
		expect(await page.locator("#account-done h2").textContent()).toBe("Your password is changed");
		expect(await page.locator("#account-form").isHidden()).toBe(true);
		await page.screenshot({ path: `${ARTEFACTS}/account-reset-done.png`, fullPage: true });
		expect(refused).toEqual([]);

		expect((await login(email, "a brand new passphrase")).status).toBe(200);
		expect((await login(email, "correct horse battery")).status).toBe(401);

		// The same link again (a new document: from the page itself only the fragment would change).
		await page.goto("about:blank");
		await page.goto(link);
		await page.getByLabel("New password", { exact: true }).fill("yet another passphrase");
		await page.getByLabel("New password again").fill("yet another passphrase");
		await page.getByRole("button", { name: "Set new password" }).click();
		await expect.poll(() => page.locator("#account-failed").isVisible(), { timeout: 15_000 }).toBe(true);
		expect(await page.locator("#account-failed-text").textContent()).toBe("This link was already used; ask for a new email.");
		await page.close();
	});

	it("a merchant who forgot their password asks for a link on the request page", async () => {
		const { email } = await merchantWithResetLink();
		neonConfig.fetchEndpoint = stack.sqlEndpoint;
		const resetLinks = async () =>
			Number(
				(
					(await neon(stack.databaseUrl).query(
						`SELECT count(*) AS n FROM account_tokens t JOIN users u ON u.id = t.user_id
						WHERE u.email = $1 AND t.purpose = 'reset_password'`,
						[email],
					)) as { n: string }[]
				)[0]?.n,
			);
		expect(await resetLinks()).toBe(1);
		const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
		const refused: string[] = [];
		page.on("console", (m) => {
			if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
		});
		await page.goto(`${gatewayUrl}/account/forgot-password`);
		expect(await page.locator("h1").textContent()).toBe("Forgot your password?");
		await page.getByLabel("Email address").fill(email);
		await page.getByRole("button", { name: "Email me a link" }).click();
		await expect.poll(() => page.locator("#account-done").isVisible(), { timeout: 15_000 }).toBe(true);
		expect(await page.locator("#account-done h2").textContent()).toBe("Check your email");
		expect(await page.locator("#account-done-address").textContent()).toBe(email);
		await page.screenshot({ path: `${ARTEFACTS}/account-forgot-done.png`, fullPage: true });
		expect(refused).toEqual([]);
		// The page's request reached identity, which made this merchant a new link.
		expect(await resetLinks()).toBe(2);
		await page.close();
	});

	it("without JavaScript the page says what to do instead of showing a form that cannot work", async () => {
		const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
		const page = await context.newPage();
		await page.goto(`${base}/account/verify-email#token=ev_${"A".repeat(43)}`);
		expect(await page.locator("h1").textContent()).toBe("Confirm your email");
		const note = page.locator("p.notice");
		expect(await note.isVisible()).toBe(true);
		expect(await note.textContent()).toContain("This page needs JavaScript");
		await page.screenshot({ path: `${ARTEFACTS}/account-no-js.png`, fullPage: true });
		expect(await page.locator("#account-form").isHidden()).toBe(true);
		await context.close();
	});
});
