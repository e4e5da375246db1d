import { z } from "zod";

// What travels on oja-email: one message per email, naming a template and its data. The
// consumer (messaging) renders it, checks the suppression list, logs it and sends it; `key` is
// the idempotency key end to end (the email log's unique key and Resend's Idempotency-Key), so
// a redelivered queue message or a redelivered event sends nothing twice. Links and names are
// data: templates escape everything they interpolate.

const text = (max: number) => z.string().max(max);
const minor = z.number().int();

export const OrderEmailData = z.object({
	storeName: text(200),
	orderNumber: z.number().int(),
	customerName: text(200),
	currency: z.string().regex(/^[A-Z]{3}$/),
	lines: z
		.array(z.object({ title: text(300), variantTitle: text(300), quantity: z.number().int(), lineTotalMinor: minor }))
		.max(200),
	subtotalMinor: minor,
	discountMinor: minor,
	deliveryMinor: minor,
	totalMinor: minor,
	paymentMethod: z.enum(["online", "pay_on_delivery"]),
	deliveryName: text(200),
	/** Where the reader sees the order: the shopper's order page, or the merchant's dashboard. */
	link: z.url().max(2000).nullable(),
});
export type OrderEmailData = z.infer<typeof OrderEmailData>;

export const AccountEmailData = z.object({
	name: text(200),
	/** The store, for shoppers' accounts; null for merchants (Oja's own account). */
	storeName: text(200).nullable(),
	link: z.url().max(2000),
});
export type AccountEmailData = z.infer<typeof AccountEmailData>;

/** A payout's outcome, to the store's owner: the bank only by name and last four digits. */
export const PayoutEmailData = z.object({
	storeName: text(200),
	payoutId: text(40),
	amountMinor: minor.positive(),
	currency: z.string().regex(/^[A-Z]{3}$/),
	bankName: text(200).nullable(),
	accountLast4: z.string().regex(/^[0-9]{4}$/),
	/** paid, or why the money came back: failed (refused or failed) or reversed. */
	outcome: z.enum(["paid", "failed", "reversed"]),
	reason: text(200).nullable(),
});
export type PayoutEmailData = z.infer<typeof PayoutEmailData>;

/** A merchant webhook endpoint Oja stopped delivering to after a day of failures. */
export const WebhookDisabledEmailData = z.object({
	storeName: text(200),
	storeId: text(40),
	endpointId: text(40),
	/** The endpoint's URL without its query string (which may carry the receiver's token). */
	url: z.url().max(2048),
	failingSince: z.iso.datetime({ offset: true }),
	disabledAt: z.iso.datetime({ offset: true }),
	/** Oja's own words, with the last attempt's error code (e.g. http-500): never a response body. */
	reason: text(300),
});
export type WebhookDisabledEmailData = z.infer<typeof WebhookDisabledEmailData>;

const Base = z.object({
	key: z.string().regex(/^[\x21-\x7e]{8,200}$/),
	/** The store the email is about; null for platform emails (a merchant's own account). */
	storeId: z.string().max(40).nullable(),
	to: z.email().max(320),
});

export const EmailMessage = z.discriminatedUnion("template", [
	Base.extend({ template: z.literal("order_confirmation"), data: OrderEmailData }),
	Base.extend({ template: z.literal("shipping_notice"), data: OrderEmailData }),
	Base.extend({ template: z.literal("merchant_new_order"), data: OrderEmailData }),
	Base.extend({ template: z.literal("merchant_payout_completed"), data: PayoutEmailData }),
	Base.extend({ template: z.literal("merchant_payout_failed"), data: PayoutEmailData }),
	Base.extend({ template: z.literal("merchant_webhook_disabled"), data: WebhookDisabledEmailData }),
	Base.extend({ template: z.literal("email_verification"), data: AccountEmailData }),
	Base.extend({ template: z.literal("password_reset"), data: AccountEmailData }),
]);
export type EmailMessage = z.infer<typeof EmailMessage>;
export type EmailTemplate = EmailMessage["template"];

/** Addresses are compared (suppression list, log) by the hash of their normalised form. */
export async function emailHash(address: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(address.trim().toLowerCase()));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
