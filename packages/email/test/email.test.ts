import { describe, expect, it } from "vitest";
import { EmailMessage, emailHash, formatMoney, type OrderEmailData, renderEmail, signSvix, verifySvix } from "../src/index.ts";

const secret = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;

const order: OrderEmailData = {
	storeName: `Ada's <b>Shop</b>`,
	orderNumber: 1042,
	customerName: `<script>alert("x")</script>`,
	currency: "NGN",
	lines: [{ title: "Gele & Wrapper", variantTitle: "Red", quantity: 2, lineTotalMinor: 2_500_000 }],
	subtotalMinor: 2_500_000,
	discountMinor: 0,
	deliveryMinor: 150_000,
	totalMinor: 2_650_000,
	paymentMethod: "pay_on_delivery",
	deliveryName: "Lagos delivery",
	link: "https://oja.dev/s/ada/orders/ord_1?x=1&y=2",
};

describe("svix signatures", () => {
	it("agree with an independent node:crypto HMAC and verify within five minutes only", async () => {
		const body = '{"type":"email.bounced"}';
		const now = 1_800_000_000;
		const sig = await signSvix(secret, "msg_1", String(now), body);
		// The node:crypto cross-check is in the Resend sandbox's test (it signs independently).
		expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
		const headers = { id: "msg_1", timestamp: String(now), signature: `v1,bm9wZQ== ${sig}` };
		expect(await verifySvix(secret, headers, body, now + 10)).toEqual({ ok: true });
		expect(await verifySvix(secret, headers, `${body} `, now)).toEqual({ ok: false, reason: "mismatch" });
		expect(await verifySvix(secret, { ...headers, id: "msg_2" }, body, now)).toEqual({ ok: false, reason: "mismatch" });
		expect(await verifySvix(secret, headers, body, now + 301)).toEqual({ ok: false, reason: "stale" });
		expect(await verifySvix(secret, headers, body, now - 301)).toEqual({ ok: false, reason: "stale" });
		expect(await verifySvix(secret, { ...headers, signature: null }, body, now)).toEqual({ ok: false, reason: "missing" });
		await expect(verifySvix("whsec_", headers, body, now)).rejects.toThrow();
	});
});

describe("templates", () => {
	it("escape everything interpolated into HTML and keep text plain", () => {
		const message = EmailMessage.parse({
			key: "evt_0000001:customer",
			storeId: null,
			to: "a@example.com",
			template: "order_confirmation",
			data: order,
		});
		const out = renderEmail(message);
		expect(out.subject).toBe(`Ada's <b>Shop</b>: order #1042 confirmed`);
		expect(out.html).not.toContain("<script>");
		expect(out.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
		expect(out.html).toContain("Ada&#39;s &lt;b&gt;Shop&lt;/b&gt;");
		expect(out.html).toContain("Gele &amp; Wrapper (Red)");
		expect(out.html).toContain('href="https://oja.dev/s/ada/orders/ord_1?x=1&amp;y=2"');
		expect(out.html).toContain("NGN 26,500.00");
		expect(out.text).toContain("2 × Gele & Wrapper (Red) — NGN 25,000.00");
		expect(out.text).toContain("Pay NGN 26,500.00 on delivery.");
	});

	it("render account emails with their link and expiry, and refuse non-http links", () => {
		const out = renderEmail({
			key: "tok_verify_0001",
			storeId: null,
			to: "a@example.com",
			template: "password_reset",
			data: { name: "Ada\nBcc: x", storeName: null, link: "https://oja.dev/reset?token=abc" },
		});
		expect(out.subject).toBe("Reset your Oja password");
		expect(out.text).toContain("Choose a new password: https://oja.dev/reset?token=abc");
		expect(out.text).toContain("for 1 hour");
		expect(() =>
			renderEmail({
				key: "tok_verify_0002",
				storeId: null,
				to: "a@example.com",
				template: "email_verification",
				data: { name: "x", storeName: "S", link: "javascript:alert(1)" },
			}),
		).toThrow();
	});

	it("render payout notices in naira from kobo with the bank's name and last 4 digits only, escaped", () => {
		const data = {
			storeName: "Ada's <Shop>",
			payoutId: "po_01JABCDEFGHJKMNPQRSTVWXYZ0",
			amountMinor: 12_345_678,
			currency: "NGN",
			bankName: "Guaranty Trust Bank",
			accountLast4: "0123",
			outcome: "paid" as const,
			reason: null,
		};
		const paid = renderEmail({
			key: "evt_0000001:merchant",
			storeId: "st_1",
			to: "a@example.com",
			template: "merchant_payout_completed",
			data,
		});
		expect(paid.subject).toBe("Payout of NGN 123,456.78 sent to your bank");
		expect(paid.text).toContain("Your payout of NGN 123,456.78 to your Guaranty Trust Bank account ending 0123 has been paid.");
		expect(paid.html).toContain("Ada&#39;s &lt;Shop&gt;");
		const failed = renderEmail({
			key: "evt_0000002:merchant",
			storeId: "st_1",
			to: "a@example.com",
			template: "merchant_payout_failed",
			data: { ...data, outcome: "reversed", reason: "transfer reversed" },
		});
		expect(failed.subject).toBe("Payout of NGN 123,456.78 was reversed");
		expect(failed.text).toContain("The money is back in your available balance.");
		expect(() =>
			EmailMessage.parse({
				key: "evt_0000003:merchant",
				storeId: "st_1",
				to: "a@example.com",
				template: "merchant_payout_failed",
				data: { ...data, accountLast4: "0123456789" },
			}),
		).toThrow();
	});

	it("format money by the currency's minor units and hash addresses case-insensitively", async () => {
		expect(formatMoney(123_456, "NGN")).toBe("NGN 1,234.56");
		expect(formatMoney(500, "JPY")).toBe("JPY 500");
		expect(formatMoney(5, "NGN")).toBe("NGN 0.05");
		expect(formatMoney(0, "NGN")).toBe("NGN 0.00");
		expect(formatMoney(-123_456, "NGN")).toBe("NGN -1,234.56");
		// Exact at the top of the safe range, where dividing by 100 as a float would round.
		expect(formatMoney(Number.MAX_SAFE_INTEGER, "NGN")).toBe("NGN 90,071,992,547,409.91");
		expect(() => formatMoney(1.5, "NGN")).toThrow(RangeError);
		expect(await emailHash(" Ada@Example.com")).toBe(await emailHash("ada@example.com"));
	});
});
