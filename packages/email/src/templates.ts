import type { AccountEmailData, EmailMessage, OrderEmailData, PayoutEmailData, WebhookDisabledEmailData } from "./messages.ts";

// Every template renders HTML and plain text from the same data. Everything interpolated into
// HTML goes through escapeHtml (names, product titles and store names are merchant or shopper
// input); links are escaped as attribute values and must be http(s).

export interface RenderedEmail {
	subject: string;
	html: string;
	text: string;
}

export function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** Subjects are a header: no line breaks, whatever a store calls itself. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, " ").trim();

// Constructing an Intl formatter costs tens of microseconds; a batch of order emails formats
// dozens of amounts, so each currency's minor-unit exponent is looked up once per isolate.
const exponents = new Map<string, number>();
function exponentOf(currency: string): number {
	let digits = exponents.get(currency);
	if (digits === undefined) {
		digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
		exponents.set(currency, digits);
	}
	return digits;
}

/** 123456 NGN → "NGN 1,234.56", in integer and string arithmetic (never a float). */
export function formatMoney(minor: number, currency: string): string {
	if (!Number.isSafeInteger(minor)) throw new RangeError(`not a safe integer amount: ${minor}`);
	const digits = exponentOf(currency);
	const sign = minor < 0 ? "-" : "";
	const padded = String(Math.abs(minor)).padStart(digits + 1, "0");
	const whole = padded.slice(0, padded.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return `${currency} ${sign}${whole}${digits > 0 ? `.${padded.slice(-digits)}` : ""}`;
}

function safeLink(link: string): string {
	// Only http(s): a javascript: or data: link in an email is never ours.
	if (!/^https?:\/\//i.test(link)) throw new Error("email links must be http(s)");
	return link;
}

function layout(title: string, bodyHtml: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,-apple-system,sans-serif;color:#222;max-width:36rem;margin:0 auto;padding:1rem">${bodyHtml}</body></html>`;
}

const button = (link: string, label: string) =>
	`<p><a href="${escapeHtml(safeLink(link))}" style="display:inline-block;padding:.6rem 1rem;background:#0b6e4f;color:#fff;text-decoration:none;border-radius:.3rem">${escapeHtml(label)}</a></p>`;

function orderTable(d: OrderEmailData): { html: string; text: string } {
	const m = (n: number) => formatMoney(n, d.currency);
	const rows = d.lines
		.map((l) => {
			const name = l.variantTitle && l.variantTitle !== "Default" ? `${l.title} (${l.variantTitle})` : l.title;
			return { name, quantity: l.quantity, total: m(l.lineTotalMinor) };
		})
		.map((l) => ({
			html: `<tr><td>${escapeHtml(l.name)}</td><td style="text-align:right">× ${l.quantity}</td><td style="text-align:right">${escapeHtml(l.total)}</td></tr>`,
			text: `${l.quantity} × ${l.name} — ${l.total}`,
		}));
	const sums: [string, string][] = [["Subtotal", m(d.subtotalMinor)]];
	if (d.discountMinor > 0) sums.push(["Discount", `−${m(d.discountMinor)}`]);
	sums.push([d.deliveryName, m(d.deliveryMinor)], ["Total", m(d.totalMinor)]);
	const html = `<table style="width:100%;border-collapse:collapse">${rows.map((r) => r.html).join("")}${sums
		.map(([k, v]) => `<tr><td colspan="2">${escapeHtml(k)}</td><td style="text-align:right">${escapeHtml(v)}</td></tr>`)
		.join("")}</table>`;
	const text = [...rows.map((r) => r.text), "", ...sums.map(([k, v]) => `${k}: ${v}`)].join("\n");
	return { html, text };
}

function orderEmail(d: OrderEmailData, subject: string, intro: string, linkLabel: string): RenderedEmail {
	const table = orderTable(d);
	const payment =
		d.paymentMethod === "pay_on_delivery"
			? `Pay ${formatMoney(d.totalMinor, d.currency)} on delivery.`
			: "Paid online. Thank you.";
	const html = layout(
		subject,
		`<h1 style="font-size:1.3rem">${escapeHtml(d.storeName)}</h1><p>${escapeHtml(intro)}</p>${table.html}<p>${escapeHtml(payment)}</p>${
			d.link ? button(d.link, linkLabel) : ""
		}`,
	);
	const text = [
		d.storeName,
		"",
		intro,
		"",
		table.text,
		"",
		payment,
		...(d.link ? ["", `${linkLabel}: ${safeLink(d.link)}`] : []),
	].join("\n");
	return { subject: oneLine(subject), html, text };
}

function accountEmail(d: AccountEmailData, subject: string, intro: string, action: string, expiry: string): RenderedEmail {
	const who = d.storeName ?? "Oja";
	const html = layout(
		subject,
		`<p>Hello ${escapeHtml(d.name)},</p><p>${escapeHtml(intro)}</p>${button(d.link, action)}<p style="font-size:.85rem;color:#666">${escapeHtml(expiry)} If you did not ask for this, ignore this email.</p><p>${escapeHtml(who)}</p>`,
	);
	const text = [
		`Hello ${d.name},`,
		"",
		intro,
		"",
		`${action}: ${safeLink(d.link)}`,
		"",
		`${expiry} If you did not ask for this, ignore this email.`,
		"",
		who,
	].join("\n");
	return { subject: oneLine(subject), html, text };
}

/** Plain paragraphs, the same words in both parts. */
function noticeEmail(subject: string, storeName: string, paragraphs: string[]): RenderedEmail {
	const html = layout(
		subject,
		`<h1 style="font-size:1.3rem">${escapeHtml(storeName)}</h1>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}`,
	);
	return { subject: oneLine(subject), html, text: [storeName, "", ...paragraphs.flatMap((p) => [p, ""])].join("\n").trimEnd() };
}

function payoutEmail(d: PayoutEmailData): RenderedEmail {
	const amount = formatMoney(d.amountMinor, d.currency);
	const account = `${d.bankName ?? "your bank"} account ending ${d.accountLast4}`;
	if (d.outcome === "paid") {
		return noticeEmail(`Payout of ${amount} sent to your bank`, d.storeName, [
			`Your payout of ${amount} to your ${account} has been paid.`,
			`Payout ${d.payoutId}. Banks usually show it within a few hours.`,
		]);
	}
	const what = d.outcome === "reversed" ? "was reversed" : "failed";
	return noticeEmail(`Payout of ${amount} ${what}`, d.storeName, [
		`Your payout of ${amount} to your ${account} ${what}${d.reason ? ` (${d.reason})` : ""}.`,
		`The money is back in your available balance. Check the payout account, then request the payout again.`,
		`Payout ${d.payoutId}.`,
	]);
}

function webhookDisabledEmail(d: WebhookDisabledEmailData): RenderedEmail {
	return noticeEmail("A webhook endpoint was disabled", d.storeName, [
		`Every delivery to your webhook endpoint ${d.url} has failed since ${d.failingSince}, so Oja disabled it at ${d.disabledAt}. ${d.reason}`,
		"Events that happen while it is disabled are not delivered to it; its delivery log shows every attempt.",
		`When the endpoint answers with a 2xx again, re-enable it: POST /v1/stores/${d.storeId}/webhook-endpoints/${d.endpointId}/enable (then redeliver any delivery you need from its log).`,
	]);
}

export function renderEmail(message: EmailMessage): RenderedEmail {
	switch (message.template) {
		case "order_confirmation": {
			const d = message.data;
			return orderEmail(
				d,
				`${d.storeName}: order #${d.orderNumber} confirmed`,
				`Hi ${d.customerName}, we have your order #${d.orderNumber}.`,
				"View your order",
			);
		}
		case "shipping_notice": {
			const d = message.data;
			return orderEmail(
				d,
				`${d.storeName}: order #${d.orderNumber} is on its way`,
				`Hi ${d.customerName}, your order #${d.orderNumber} has been sent.`,
				"Track your order",
			);
		}
		case "merchant_new_order": {
			const d = message.data;
			return orderEmail(
				d,
				`New order #${d.orderNumber} at ${d.storeName}`,
				`${d.customerName} placed order #${d.orderNumber}.`,
				"Open the order",
			);
		}
		case "merchant_payout_completed":
		case "merchant_payout_failed":
			return payoutEmail(message.data);
		case "merchant_webhook_disabled":
			return webhookDisabledEmail(message.data);
		case "email_verification": {
			const d = message.data;
			return accountEmail(
				d,
				d.storeName ? `Confirm your email for ${d.storeName}` : "Confirm your email for Oja",
				// Someone else may have signed up with this address: say so, so nobody confirms an account they did not make.
				d.storeName
					? `An account at ${d.storeName} was set up with this email address. Confirm only if it was you: confirming lets that account see the orders placed with this address.`
					: "An Oja account was set up with this email address. Confirm only if it was you.",
				"Confirm email",
				"The link works once, for 24 hours. If you did not create this account, ignore this email and nothing changes.",
			);
		}
		case "password_reset": {
			const d = message.data;
			return accountEmail(
				d,
				d.storeName ? `Reset your ${d.storeName} password` : "Reset your Oja password",
				"Someone asked to reset the password of this account.",
				"Choose a new password",
				"The link works once, for 1 hour.",
			);
		}
	}
}
