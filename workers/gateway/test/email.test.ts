// Email end to end, in workerd, through the gateway: order events and account flows → oja-email
// → the messaging Worker's consumer → the Resend sandbox (which records every email), and
// Resend's Svix-signed bounce webhooks → POST /webhooks/resend → the suppression list. Queues run
// for real with retries at once (QUEUE_RETRY_BASE_SECONDS=0), so assertions wait for what the
// recipient would see in their inbox (the sandbox's recorded emails).
import { env } from "cloudflare:workers";
import { sha256Hex } from "@oja/auth";
import { hostKey } from "@oja/contracts";
import {
	declareBouncing,
	injectFailure,
	listEmails,
	listWebhooks,
	type RecordedEmail,
	signWebhook,
} from "@oja/resend-sandbox/admin";
import {
	asMerchant,
	eventually,
	gateway,
	gatewayAt,
	jsonOf,
	postJson,
	problemOf,
	signUpMerchant,
	testDb,
} from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { cartWith, checkout, checkoutBody, openShop } from "./commerce-fixtures.ts";

const admin = () => env.TEST_RESEND_ADMIN;
let seq = 0;
const address = (who: string) => `${who}-${Date.now().toString(36)}${++seq}@example.com`;

/** The emails `to` has received (accepted sends only), once there are at least `count`. */
async function inbox(to: string, count = 1): Promise<RecordedEmail[]> {
	return eventually(
		async () => {
			const sent = (await listEmails(admin(), { to })).filter((e) => e.id !== null);
			return sent.length >= count ? sent : undefined;
		},
		15_000,
		`${count} email(s) to ${to}`,
	);
}

const tokenIn = (email: RecordedEmail | undefined) => {
	const match = /#token=((?:ev|pr)_[A-Za-z0-9_-]+)/.exec(email?.text ?? "");
	if (!match?.[1]) throw new Error("no token link in the email");
	return match[1];
};

async function logOf(key: string) {
	const rows = await testDb().execute<{ status: string; attempts: number; template: string; store_id: string | null }>(
		sql`SELECT status, attempts, template, store_id FROM email_log WHERE key = ${key}`,
	);
	return rows.rows[0];
}

const accountKey = async (token: string) => `acct:${await sha256Hex(token)}`;

/** The link in an account email, as the recipient would click it. */
const linkIn = (email: RecordedEmail | undefined): URL => {
	const match = /(https?:\/\/\S+#token=(?:ev|pr)_[A-Za-z0-9_-]+)/.exec(email?.text ?? "");
	if (!match?.[1]) throw new Error("no account link in the email");
	return new URL(match[1]);
};

/** A CSP hash source, computed here independently of the pages' own code. */
async function cspHash(text: string): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
	return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

/**
 * Opens the page an emailed link points to (a browser sends no fragment, so neither does this;
 * `host` stands in for a store's own domain) and checks what a browser relies on: 200 HTML with
 * the form and a note for browsers without JavaScript, never stored, no Referer, and a CSP whose
 * hashes allow exactly its one inline script and its styles. Returns the page, and the endpoint
 * its script POSTs the token to.
 */
async function openAccountPage(link: URL, kind: "verify-email" | "reset-password" | "forgot-password", host?: string) {
	// The request page is opened from a link on another page, with no token.
	if (kind !== "forgot-password") expect(link.hash).toMatch(/^#token=/);
	const res = await gatewayAt(
		host ? `https://${host}${link.pathname.replace(/^\/s\/[^/]+/, "")}` : `${link.origin}${link.pathname}`,
	);
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toContain("text/html");
	expect(res.headers.get("cache-control")).toBe("no-store");
	expect(res.headers.get("referrer-policy")).toBe("no-referrer");
	expect(res.headers.get("x-cache")).toBeNull();
	const csp = res.headers.get("content-security-policy") ?? "";
	for (const part of ["default-src 'none'", "connect-src 'self'", "base-uri 'none'", "frame-ancestors 'none'"]) {
		expect(csp).toContain(part);
	}
	const html = await res.text();
	expect(html.startsWith("<!doctype html>")).toBe(true);
	const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
	const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? "");
	expect(scripts).toHaveLength(1);
	expect(/script-src ([^;]+)/.exec(csp)?.[1]).toBe(await cspHash(scripts[0] ?? ""));
	expect(/style-src ([^;]+)/.exec(csp)?.[1]?.split(" ")).toEqual(await Promise.all(styles.map(cspHash)));
	// Inline style attributes would be refused by that CSP.
	expect(html).not.toMatch(/<[^>]+\sstyle=/);
	expect(html).toContain(`data-kind="${kind}"`);
	expect(html).toMatch(/<form id="account-form" method="post"[^>]* hidden(?:="")?>/);
	expect(html).toContain("<noscript>");
	if (kind === "forgot-password") {
		expect(html).not.toContain('name="token"');
		expect(html).toMatch(
			/<label for="email">Email address<\/label><input id="email" name="email" type="email" autocomplete="email"/,
		);
	} else {
		expect(html).toContain('<input type="hidden" name="token" value=""/>');
	}
	if (kind === "reset-password") {
		expect(html).toContain('<label for="password">New password</label>');
		expect(html).toMatch(/<input id="password" name="password" type="password" autocomplete="new-password" minlength="10"/);
		expect(html).toContain('<label for="confirm">');
	}
	const api = /data-api="([^"]+)"/.exec(html)?.[1];
	if (!api) throw new Error("the form names no endpoint");
	return { html, api };
}

describe("order emails", () => {
	it("confirm a pay-on-delivery order to the customer and the owner, then announce shipping, escaped", async () => {
		const shop = await openShop([]);
		const product = await jsonOf<{ variants: { id: string }[] }>(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/products`, {
				title: `Gele & Wrap "Deluxe" <3 'Ada'`,
				status: "active",
				variants: [{ priceMinor: 1_250_000, inventory: { onHand: 5 } }],
			}),
			201,
		);
		const customer = address("buyer");
		const cart = await cartWith(shop.m.slug, [[product.variants[0]?.id ?? "", 2]]);
		const placed = await jsonOf<{ order: { id: string; number: number; lines: { id: string }[] } }>(
			await checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: customer, name: "Chioma O'Neil" })),
			201,
		);

		const [confirmation] = await inbox(customer);
		expect(confirmation?.subject).toBe(`Ada's Fabrics: order #${placed.order.number} confirmed`);
		expect(confirmation?.html).toContain("Gele &amp; Wrap &quot;Deluxe&quot; &lt;3 &#39;Ada&#39;");
		expect(confirmation?.html).not.toContain("<3");
		expect(confirmation?.html).toContain("Chioma O&#39;Neil");
		expect(confirmation?.html).toContain("NGN 25,000.00");
		expect(confirmation?.text).toContain(`2 × Gele & Wrap "Deluxe" <3 'Ada' — NGN 25,000.00`);
		expect(confirmation?.text).toContain("Pay NGN 25,000.00 on delivery.");
		expect(confirmation?.tags).toEqual([{ name: "template", value: "order_confirmation" }]);

		// The customer's link is their order page with its token (a capability for this order only):
		// followed, it moves the token into the order's cookie and out of the URL.
		const link = /View your order: (\S+)/.exec(confirmation?.text ?? "")?.[1] ?? "";
		const url = new URL(link);
		expect(url.pathname).toBe(`/s/${shop.m.slug}/orders/${placed.order.id}`);
		const token = url.searchParams.get("token") ?? "";
		expect(token).toMatch(/^otk_[A-Za-z0-9_-]{43}$/);
		expect(confirmation?.html).toContain(`href="${link}"`);
		const followed = await gateway(`${url.pathname}${url.search}`, { redirect: "manual" });
		expect(followed.status).toBe(303);
		expect(followed.headers.get("location")).toBe(url.pathname);
		const cookie = followed.headers.getSetCookie().find((c) => c.startsWith(`oja_order_${placed.order.id}=`)) ?? "";
		expect(cookie).toMatch(/HttpOnly/i);
		const orderPage = await gateway(url.pathname, { headers: { cookie: cookie.split(";")[0] ?? "" } });
		expect(orderPage.status).toBe(200);
		expect(await orderPage.text()).toContain(`#${placed.order.number}`);
		// A wrong token is a 404, as for an order that does not exist.
		const wrong = await gateway(`${url.pathname}?token=otk_${"A".repeat(43)}`, { redirect: "manual" });
		// Its page keeps the token in the address bar, so it sends no Referer from there either.
		expect([wrong.status, wrong.headers.get("referrer-policy")]).toEqual([404, "no-referrer"]);

		const [notice] = await inbox(shop.m.email);
		expect(notice?.subject).toBe(`New order #${placed.order.number} at Ada's Fabrics`);
		expect(notice?.text).toContain(`Chioma O'Neil placed order #${placed.order.number}.`);
		// The owner's notice does not carry the shopper's capability.
		expect(`${notice?.text}${notice?.html}`).not.toContain("token=");

		const lineId = placed.order.lines[0]?.id;
		await jsonOf(
			await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/fulfilments`, {
				lines: [{ lineId, quantity: 2 }],
			}),
			201,
		);
		const emails = await inbox(customer, 2);
		expect(emails[1]?.subject).toBe(`Ada's Fabrics: order #${placed.order.number} is on its way`);
		expect(emails[1]?.html).toContain("Gele &amp; Wrap");
		expect(emails[1]?.text).toContain(`Track your order: ${link}`);

		// Logged by address hash only, under the event id: one row per email, all sent, tenant-scoped.
		const rows = await testDb().execute<{ template: string; status: string; to_hash: string }>(
			sql`SELECT template, status, to_hash FROM email_log WHERE store_id = ${shop.m.storeId} ORDER BY created_at`,
		);
		expect(rows.rows.map((r) => [r.template, r.status]).sort()).toEqual([
			["merchant_new_order", "sent"],
			["order_confirmation", "sent"],
			["shipping_notice", "sent"],
		]);
		expect(rows.rows.every((r) => /^[0-9a-f]{64}$/.test(r.to_hash))).toBe(true);

		// The token opens its own order only: on another order of the same store it is a 404.
		const other = await jsonOf<{ order: { id: string } }>(
			await checkout(shop.m.slug, (await cartWith(shop.m.slug, [[product.variants[0]?.id ?? "", 1]])).id, checkoutBody(shop)),
			201,
		);
		expect((await gateway(`/s/${shop.m.slug}/orders/${other.order.id}?token=${token}`, { redirect: "manual" })).status).toBe(404);
	});
});

describe("order emails, several at once", () => {
	it("orders placed together at two stores: each confirmation is the customer's own order, at its own store", async () => {
		const [a, b] = await Promise.all([openShop([10]), openShop([10])]);
		// Placed together, so their events share oja-messaging-events batches, whose orders are read together.
		const placed = await Promise.all(
			[a, a, b, b].map(async (shop, i) => {
				const customer = address(`together-${i}`);
				const cart = await cartWith(shop.m.slug, [[shop.variants[0] ?? "", 1]]);
				const body = await jsonOf<{ order: { id: string; number: number } }>(
					await checkout(shop.m.slug, cart.id, checkoutBody(shop, { email: customer })),
					201,
				);
				return { shop, customer, order: body.order };
			}),
		);
		for (const p of placed) {
			const [confirmation] = await inbox(p.customer);
			expect(confirmation?.subject).toBe(`Ada's Fabrics: order #${p.order.number} confirmed`);
			const link = new URL(/View your order: (\S+)/.exec(confirmation?.text ?? "")?.[1] ?? "http://x/");
			expect(link.pathname).toBe(`/s/${p.shop.m.slug}/orders/${p.order.id}`);
		}
		// Commerce's batch read answers an order only at the store it is named with.
		const commerce = (
			env as unknown as {
				COMMERCE: {
					ordersForNotice(w: unknown, ctx: unknown): Promise<{ ok: boolean; value: Record<string, { storeId: string }> }>;
				};
			}
		).COMMERCE;
		const [atA, atB] = [placed[0]?.order.id ?? "", placed[2]?.order.id ?? ""];
		const read = await commerce.ordersForNotice(
			[
				{ storeId: a.m.storeId, orderId: atA },
				{ storeId: a.m.storeId, orderId: atB },
			],
			{ requestId: "req_test_orders_for_notice" },
		);
		expect(read.ok).toBe(true);
		expect(Object.entries(read.value).map(([id, v]) => [id, v.storeId])).toEqual([[atA, a.m.storeId]]);
	});
});

describe("sending", () => {
	it("retries 429 and 5xx with backoff, then sends once", async () => {
		const m = await signUpMerchant({ email: address("retry") });
		await injectFailure(admin(), { status: 429, to: m.email });
		await injectFailure(admin(), { status: 503, to: m.email });
		await jsonOf(await postJson("/v1/auth/password-reset", { email: m.email }), 202);
		const sent = await inbox(m.email);
		const all = await listEmails(admin(), { to: m.email });
		expect(all.map((e) => e.httpStatus)).toEqual([429, 503, 200]);
		// Each attempt carried the same Idempotency-Key.
		expect(new Set(all.map((e) => e.idempotencyKey)).size).toBe(1);
		const key = await accountKey(tokenIn(sent[0]));
		expect(all[0]?.idempotencyKey).toBe(key);
		await eventually(async () => ((await logOf(key))?.status === "sent" ? true : undefined));
		expect(await logOf(key)).toMatchObject({ status: "sent", attempts: 3, template: "password_reset", store_id: null });
	});

	it("one batch: a key twice is sent once, a suppressed address never, a failure retried; one log row each", async () => {
		const [plain, suppressed, flaky] = [address("batch-plain"), address("batch-suppressed"), address("batch-flaky")];
		await testDb().execute(
			sql`INSERT INTO email_suppressions (to_hash, reason) VALUES (encode(sha256(convert_to(${suppressed}, 'UTF8')), 'hex'), 'bounced')`,
		);
		await injectFailure(admin(), { status: 503, to: flaky });
		const email = (to: string, key: string) => ({
			key,
			storeId: null,
			to,
			template: "password_reset",
			data: { name: "Ada", storeName: null, link: `http://127.0.0.1:8787/account/reset-password#token=pr_${"A".repeat(43)}` },
		});
		const keys = {
			plain: `batch-${crypto.randomUUID()}`,
			suppressed: `batch-${crypto.randomUUID()}`,
			flaky: `batch-${crypto.randomUUID()}`,
		};
		// One sendBatch: the consumer gets them together (its batch holds up to 20 for a second).
		await env.TEST_EMAIL.sendBatch(
			[email(plain, keys.plain), email(suppressed, keys.suppressed), email(plain, keys.plain), email(flaky, keys.flaky)].map(
				(body) => ({ body, contentType: "json" as const }),
			),
		);
		await inbox(plain);
		await inbox(flaky);
		await eventually(async () => ((await logOf(keys.flaky))?.status === "sent" ? true : undefined));
		expect(await logOf(keys.plain)).toMatchObject({ status: "sent", attempts: 1 });
		expect(await logOf(keys.suppressed)).toMatchObject({ status: "suppressed", attempts: 1 });
		expect(await logOf(keys.flaky)).toMatchObject({ status: "sent", attempts: 2 });
		await new Promise((r) => setTimeout(r, 500));
		expect((await listEmails(admin(), { to: plain })).map((e) => e.httpStatus)).toEqual([200]);
		expect(await listEmails(admin(), { to: suppressed })).toEqual([]);
		expect((await listEmails(admin(), { to: flaky })).map((e) => e.httpStatus)).toEqual([503, 200]);
		const rows = await testDb().execute<{ n: number }>(
			sql`SELECT count(*)::int AS n FROM email_log WHERE key IN (${keys.plain}, ${keys.suppressed}, ${keys.flaky})`,
		);
		expect(rows.rows[0]?.n).toBe(3);
	});

	it("an email the batch statement refuses holds back only itself", async () => {
		const [good, bad] = [address("batch-good"), address("batch-bad")];
		const email = (to: string, storeId: string | null) => ({
			key: `batch-${crypto.randomUUID()}`,
			storeId,
			to,
			template: "password_reset",
			data: { name: "Ada", storeName: null, link: `http://127.0.0.1:8787/account/reset-password#token=pr_${"A".repeat(43)}` },
		});
		// A store that does not exist: its log row breaks the foreign key.
		await env.TEST_EMAIL.sendBatch(
			[email(bad, "st_01JB00000000000000000GONE0"), email(good, null)].map((body) => ({ body, contentType: "json" as const })),
		);
		await inbox(good);
		await new Promise((r) => setTimeout(r, 1000));
		expect(await listEmails(admin(), { to: bad })).toEqual([]);
	});

	it("dead-letters after the last attempt and logs the email failed", async () => {
		const m = await signUpMerchant({ email: address("dlq") });
		await injectFailure(admin(), { status: 500, to: m.email, times: 6 });
		await jsonOf(await postJson("/v1/auth/password-reset", { email: m.email }), 202);
		const dead = await eventually(
			async () => {
				const rows = await testDb().execute<{ attempts: number; body: { template: string; to: string; data: { link: string } } }>(
					sql`SELECT attempts, body FROM dead_letters WHERE queue = 'oja-email-dlq' AND body->>'to' = ${m.email}`,
				);
				return rows.rows[0];
			},
			20_000,
			"the dead letter",
		);
		expect(dead.body.template).toBe("password_reset");
		// A dead letter keeps no working reset token (Postgres holds tokens only hashed).
		expect(dead.body.data.link).toMatch(/#token=\[redacted\]$/);
		const attempts = await listEmails(admin(), { to: m.email });
		expect(attempts.map((e) => e.httpStatus)).toEqual([500, 500, 500, 500, 500, 500]);
		const rows = await testDb().execute<{ status: string; attempts: number; error_code: string }>(
			sql`SELECT status, attempts, error_code FROM email_log WHERE template = 'password_reset' AND to_hash = encode(sha256(convert_to(${m.email}, 'UTF8')), 'hex')`,
		);
		expect(rows.rows[0]).toMatchObject({ status: "failed", attempts: 6, error_code: "internal_server_error" });
	});

	it("bounce webhook: forged and stale signatures refused, a valid one suppresses the address for good", async () => {
		const m = await signUpMerchant({ email: address("bounce") });
		await declareBouncing(admin(), m.email);
		await jsonOf(await postJson("/v1/auth/password-reset", { email: m.email }), 202);
		await inbox(m.email);
		// The sandbox's POST went nowhere (port 9); the test delivers it, as Resend would.
		const hook = await eventually(async () => (await listWebhooks(admin())).find((w) => w.to === m.email));
		expect(hook.error).not.toBeNull();
		const post = (body: string, headers: Record<string, string>) =>
			gateway("/webhooks/resend", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

		const forged = { ...hook.headers, "svix-signature": (await signWebhook(admin(), `${hook.body} `))["svix-signature"] };
		expect((await problemOf(await post(hook.body, forged), 401)).code).toBe("signature-mismatch");
		expect((await problemOf(await post(hook.body, { ...hook.headers, "svix-signature": "v1,AAAA" }), 401)).code).toBe(
			"signature-mismatch",
		);
		const old = Math.floor(Date.now() / 1000) - 6 * 60;
		const stale = await signWebhook(admin(), hook.body, { timestamp: old });
		expect((await problemOf(await post(hook.body, stale), 401)).code).toBe("signature-stale");
		expect((await problemOf(await post(hook.body, {}), 401)).code).toBe("signature-missing");
		const suppressed = () =>
			testDb().execute(
				sql`SELECT reason FROM email_suppressions WHERE to_hash = encode(sha256(convert_to(${m.email}, 'UTF8')), 'hex')`,
			);
		expect((await suppressed()).rows).toEqual([]);

		expect(await jsonOf(await post(hook.body, hook.headers))).toEqual({ received: true });
		expect((await suppressed()).rows).toEqual([{ reason: "bounced" }]);
		// A redelivery of the same webhook changes nothing.
		await jsonOf(await post(hook.body, hook.headers));

		await jsonOf(await postJson("/v1/auth/password-reset", { email: m.email }), 202);
		const rows = await eventually(async () => {
			const r = await testDb().execute<{ status: string }>(
				sql`SELECT status FROM email_log WHERE template = 'password_reset' AND to_hash = encode(sha256(convert_to(${m.email}, 'UTF8')), 'hex') ORDER BY created_at`,
			);
			return r.rows.length === 2 && r.rows[1]?.status !== "queued" ? r.rows : undefined;
		});
		expect(rows.map((r) => r.status)).toEqual(["sent", "suppressed"]);
		expect(await listEmails(admin(), { to: m.email })).toHaveLength(1);
	});
});

describe("merchant accounts", () => {
	it("verifies the email with a single-use link", async () => {
		const m = await signUpMerchant({ email: address("verify") });
		await problemOf(await postJson("/v1/auth/email-verification", {}), 401);
		expect(await jsonOf(await asMerchant(m, "POST", "/v1/auth/email-verification"), 202)).toEqual({ accepted: true });
		const [email] = await inbox(m.email);
		expect(email?.subject).toBe("Confirm your email for Oja");
		expect(email?.text).toContain("http://127.0.0.1:8787/account/verify-email#token=ev_");
		const token = tokenIn(email);
		// The link opens the dashboard's page, whose script POSTs the token where the form says.
		const page = await openAccountPage(linkIn(email), "verify-email");
		expect(page.api).toBe("/v1/auth/email-verification/confirm");
		expect(page.html).toContain("<title>Confirm your email · Oja</title>");
		const missing = await gatewayAt("http://127.0.0.1:8787/account/nowhere");
		expect([missing.status, missing.headers.get("content-type")]).toEqual([404, "text/html; charset=UTF-8"]);
		const noStore = await gatewayAt("http://127.0.0.1:8787/s/no-such-store/account/verify-email");
		expect([noStore.status, noStore.headers.get("cache-control")]).toEqual([404, "no-store"]);

		expect(
			(await problemOf(await postJson("/v1/auth/email-verification/confirm", { token: `ev_${"A".repeat(43)}` }), 400)).code,
		).toBe("invalid-token");
		// A verification token is not a reset token.
		expect(
			(await problemOf(await postJson("/v1/auth/password-reset/confirm", { token, password: "another good password" }), 400))
				.code,
		).toBe("invalid-token");
		expect(await jsonOf(await postJson(page.api, { token }))).toEqual({ verified: true });
		expect((await problemOf(await postJson(page.api, { token }), 410)).code).toBe("token-used");
		const rows = await testDb().execute<{ verified: boolean }>(
			sql`SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE email = ${m.email}`,
		);
		expect(rows.rows[0]?.verified).toBe(true);
		// Verified: asking again sends nothing.
		await jsonOf(await asMerchant(m, "POST", "/v1/auth/email-verification"), 202);
		await new Promise((r) => setTimeout(r, 500));
		expect(await listEmails(admin(), { to: m.email })).toHaveLength(1);
	});

	it("resets the password: same answer for unknown addresses, every session revoked, links single-use and expiring", async () => {
		const emailAddress = address("reset");
		const m = await signUpMerchant({ email: emailAddress });
		const login = await postJson("/v1/auth/login", { email: emailAddress, password: "correct horse battery" });
		const second = await jsonOf<{ accessToken: string }>(login);
		const refreshToken = /oja_session=([^;]+)/.exec(login.headers.getSetCookie().join("\n"))?.[1] ?? "";
		expect(refreshToken).toMatch(/^rt_/);

		// The merchant asks on the request page, which posts the address where it says.
		const ask = await openAccountPage(new URL("http://127.0.0.1:8787/account/forgot-password"), "forgot-password");
		expect(ask.api).toBe("/v1/auth/password-reset");
		expect(ask.html).toContain("<h1>Forgot your password?</h1>");
		const nobody = address("nobody");
		const known = await postJson(ask.api, { email: emailAddress });
		const unknown = await postJson(ask.api, { email: nobody });
		expect(known.status).toBe(202);
		expect(unknown.status).toBe(202);
		expect(await unknown.json()).toEqual(await known.json());
		const [email] = await inbox(emailAddress);
		expect(email?.subject).toBe("Reset your Oja password");
		expect(email?.text).toContain("http://127.0.0.1:8787/account/reset-password#token=pr_");
		expect(await listEmails(admin(), { to: nobody })).toEqual([]);
		const token = tokenIn(email);
		const page = await openAccountPage(linkIn(email), "reset-password");
		expect(page.api).toBe("/v1/auth/password-reset/confirm");
		// A used or expired link's page sends the merchant back to the request page.
		expect(page.html).toContain('<a href="/account/forgot-password">Ask for a new password-reset email</a>');

		await problemOf(await postJson(page.api, { token, password: "short" }), 422);
		expect(await jsonOf(await postJson(page.api, { token, password: "a brand new passphrase" }))).toEqual({
			reset: true,
		});
		expect(
			(await problemOf(await postJson("/v1/auth/password-reset/confirm", { token, password: "yet another passphrase" }), 410))
				.code,
		).toBe("token-used");
		// Both sessions are gone, the refresh token with them.
		expect((await problemOf(await asMerchant(m, "GET", "/v1/auth/me"), 401)).code).toBe("session-revoked");
		expect((await problemOf(await asMerchant({ token: second.accessToken }, "GET", "/v1/auth/me"), 401)).code).toBe(
			"session-revoked",
		);
		await problemOf(await postJson("/v1/auth/refresh", { refreshToken }), 401);
		await problemOf(await postJson("/v1/auth/login", { email: emailAddress, password: "correct horse battery" }), 401);
		await jsonOf(await postJson("/v1/auth/login", { email: emailAddress, password: "a brand new passphrase" }));

		// Expired: a fresh link whose hour is up.
		await jsonOf(await postJson("/v1/auth/password-reset", { email: emailAddress }), 202);
		const expiring = tokenIn((await inbox(emailAddress, 2))[1]);
		await testDb().execute(
			sql`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = ${await sha256Hex(expiring)}`,
		);
		expect(
			(
				await problemOf(
					await postJson("/v1/auth/password-reset/confirm", { token: expiring, password: "one more passphrase" }),
					410,
				)
			).code,
		).toBe("token-expired");
		// Asking again retires the earlier link.
		await jsonOf(await postJson("/v1/auth/password-reset", { email: emailAddress }), 202);
		const third = tokenIn((await inbox(emailAddress, 3))[2]);
		await jsonOf(await postJson("/v1/auth/password-reset", { email: emailAddress }), 202);
		const fourth = tokenIn((await inbox(emailAddress, 4))[3]);
		expect(
			(await problemOf(await postJson("/v1/auth/password-reset/confirm", { token: third, password: "one more passphrase" }), 410))
				.code,
		).toBe("token-used");
		await jsonOf(await postJson("/v1/auth/password-reset/confirm", { token: fourth, password: "one more passphrase" }));
	});
});

describe("concurrent requests", () => {
	it("leave exactly one live reset link", async () => {
		const m = await signUpMerchant({ email: address("twice") });
		await Promise.all([1, 2, 3].map(() => postJson("/v1/auth/password-reset", { email: m.email })));
		await inbox(m.email, 3);
		const live = await testDb().execute<{ n: number }>(sql`
			SELECT count(*)::int AS n FROM account_tokens t JOIN users u ON u.id = t.user_id
			WHERE u.email = ${m.email} AND t.purpose = 'reset_password' AND t.used_at IS NULL`);
		expect(live.rows[0]?.n).toBe(1);
	});
});

describe("a flood of requests for one account", () => {
	it("sends at most five links an hour, answering every request the same", async () => {
		const m = await signUpMerchant({ email: address("flood") });
		for (let i = 0; i < 8; i++) await jsonOf(await postJson("/v1/auth/password-reset", { email: m.email }), 202);
		const minted = async () =>
			(
				await testDb().execute<{ n: number }>(sql`
					SELECT count(*)::int AS n FROM account_tokens t JOIN users u ON u.id = t.user_id
					WHERE u.email = ${m.email} AND t.purpose = 'reset_password'`)
			).rows[0]?.n ?? 0;
		await eventually(async () => ((await minted()) >= 5 ? true : undefined));
		await new Promise((r) => setTimeout(r, 1500));
		expect(await minted()).toBe(5);
		await inbox(m.email, 5);
	});
});

describe("shopper accounts", () => {
	async function shopperAt(slug: string, email: string): Promise<string> {
		const body = await jsonOf<{ accessToken: string }>(
			await postJson(`/v1/storefront/${slug}/account/signup`, { email, password: "shopper passphrase", name: "Bola" }),
			201,
		);
		return body.accessToken;
	}
	const asShopper = (token: string, path: string, body?: unknown) =>
		gateway(path, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify(body ?? {}),
		});

	it("verify and reset per store: a link for store A's account is useless at store B", async () => {
		const [a, b] = [await signUpMerchant(), await signUpMerchant()];
		const shopper = address("shopper");
		const atA = await shopperAt(a.slug, shopper);
		const atB = await shopperAt(b.slug, shopper);

		// Store A's token cannot ask store B for anything.
		await problemOf(await asShopper(atA, `/v1/storefront/${b.slug}/account/email-verification`), 401);
		await jsonOf(await asShopper(atA, `/v1/storefront/${a.slug}/account/email-verification`), 202);
		const [verify] = await inbox(shopper);
		expect(verify?.subject).toBe("Confirm your email for Ada's Fabrics");
		expect(verify?.text).toContain(`http://127.0.0.1:8787/s/${a.slug}/account/verify-email#token=ev_`);
		const token = tokenIn(verify);
		// The link opens store A's page, on the platform and on A's own domain alike.
		const page = await openAccountPage(linkIn(verify), "verify-email");
		expect(page.api).toBe(`/v1/storefront/${a.slug}/account/email-verification/confirm`);
		expect(page.html).toContain("for your Ada&#39;s Fabrics account");
		const domain = `shop-${a.slug}.example.ng`;
		await env.STOREFRONT_VERSIONS.put(hostKey(domain), a.slug);
		expect((await openAccountPage(linkIn(verify), "verify-email", domain)).api).toBe(page.api);
		await problemOf(await gatewayAt(`https://${domain}/account/nowhere`), 404);
		expect(
			(await problemOf(await postJson(`/v1/storefront/${b.slug}/account/email-verification/confirm`, { token }), 400)).code,
		).toBe("invalid-token");
		await jsonOf(await postJson(page.api, { token }));
		const verified = await testDb().execute<{ store_id: string; verified: boolean }>(
			sql`SELECT store_id, email_verified_at IS NOT NULL AS verified FROM customers WHERE email = ${shopper}`,
		);
		expect(Object.fromEntries(verified.rows.map((r) => [r.store_id, r.verified]))).toEqual({
			[a.storeId]: true,
			[b.storeId]: false,
		});

		// Reset at A, asked on A's request page (the platform's and A's own domain name the same
		// endpoint): the answer is the same for an address with no account there.
		const askAt = new URL(`http://127.0.0.1:8787/s/${a.slug}/account/forgot-password`);
		const ask = await openAccountPage(askAt, "forgot-password");
		expect(ask.api).toBe(`/v1/storefront/${a.slug}/account/password-reset`);
		expect(ask.html).toContain("Enter the email address of your Ada&#39;s Fabrics account.");
		expect((await openAccountPage(askAt, "forgot-password", domain)).api).toBe(ask.api);
		const unknown = await postJson(ask.api, { email: address("stranger") });
		expect(await jsonOf(unknown, 202)).toEqual({ accepted: true });
		await jsonOf(await postJson(ask.api, { email: shopper }), 202);
		const resetEmail = (await inbox(shopper, 2))[1];
		const reset = tokenIn(resetEmail);
		const resetPage = await openAccountPage(linkIn(resetEmail), "reset-password");
		expect(resetPage.api).toBe(`/v1/storefront/${a.slug}/account/password-reset/confirm`);
		expect(resetPage.html).toContain(`<a href="/s/${a.slug}/account/forgot-password">Ask for a new password-reset email.</a>`);
		expect((await openAccountPage(linkIn(resetEmail), "reset-password", domain)).api).toBe(resetPage.api);
		const confirm = (slug: string) =>
			postJson(`/v1/storefront/${slug}/account/password-reset/confirm`, { token: reset, password: "new shopper passphrase" });
		expect((await problemOf(await confirm(b.slug), 400)).code).toBe("invalid-token");
		await jsonOf(await confirm(a.slug));
		expect((await problemOf(await confirm(a.slug), 410)).code).toBe("token-used");

		// A's sessions are signed out; B's account is untouched.
		await problemOf(await gateway(`/v1/storefront/${a.slug}/account`, { headers: { authorization: `Bearer ${atA}` } }), 401);
		await jsonOf(await gateway(`/v1/storefront/${b.slug}/account`, { headers: { authorization: `Bearer ${atB}` } }));
		await jsonOf(
			await postJson(`/v1/storefront/${a.slug}/account/login`, { email: shopper, password: "new shopper passphrase" }),
		);
		await problemOf(
			await postJson(`/v1/storefront/${b.slug}/account/login`, { email: shopper, password: "new shopper passphrase" }),
			401,
		);
	});
});
