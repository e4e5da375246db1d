// Shared set-up for the payment, refund, payout and reconciliation tests: the Paystack
// sandbox's admin and API, the gateway's webhook, paying an order on the hosted page, and the
// payments Worker's queue consumer run in the test itself (deterministic, no waiting).
import { env } from "cloudflare:workers";
import type { PaymentApplied, RequestContext, Result, VerifiedPayment } from "@oja/contracts";
import { PaystackClient } from "@oja/paystack";
import { completePayment, listWebhooks, type WebhookDelivery } from "@oja/paystack-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, type TestMerchant, testDb } from "@oja/test-helpers";
import { consumePaystackEvents, type EventOutcome } from "../../payments/src/events.ts";
import { type CheckoutBody, cartWith, checkout, checkoutBody, type Shop } from "./commerce-fixtures.ts";

export interface PaidCheckout extends CheckoutBody {
	payment: { provider: string; reference: string; authorizationUrl: string };
}

export interface Balance {
	currency: string;
	pendingMinor: number;
	availableMinor: number;
	inTransitMinor: number;
	feesOwedMinor: number;
}

export const sandboxAdmin = () => env.TEST_PAYSTACK_ADMIN;
export const paystackSecret = () => (env as unknown as { PAYSTACK_SECRET_KEY: string }).PAYSTACK_SECRET_KEY;
/** The platform's Paystack account (the sandbox), as the payments Worker talks to it. */
export const paystack = () =>
	new PaystackClient({ secretKey: paystackSecret(), baseUrl: sandboxAdmin().replace(/\/_admin$/, "") });

/** POSTs a delivery the sandbox signed to the gateway, as Paystack would. */
export function postPaystackWebhook(delivery: Pick<WebhookDelivery, "body" | "signature">): Promise<Response> {
	return gateway("/webhooks/paystack", {
		method: "POST",
		headers: { "content-type": "application/json", "x-paystack-signature": delivery.signature },
		body: delivery.body,
	});
}

export async function placeOnline(shop: Shop, variant = shop.variants[0] as string, quantity = 1): Promise<PaidCheckout> {
	const cart = await cartWith(shop.m.slug, [[variant, quantity]]);
	return jsonOf<PaidCheckout>(await checkout(shop.m.slug, cart.id, checkoutBody(shop, { paymentMethod: "online" })), 201);
}

/** The charge.success the sandbox signed for this reference (its Pay button sends it). */
export function chargeDelivery(reference: string): Promise<WebhookDelivery> {
	return eventually(async () =>
		(await listWebhooks(sandboxAdmin())).find((w) => w.event === "charge.success" && w.body.includes(`"${reference}"`)),
	);
}

/** Presses Pay on the hosted page; answers the signed charge.success it sent. */
export async function payOnPage(placed: PaidCheckout): Promise<WebhookDelivery> {
	await completePayment(placed.payment.authorizationUrl, "pay");
	return chargeDelivery(placed.payment.reference);
}

const commerce = () =>
	(
		env as unknown as {
			COMMERCE: {
				applyOnlinePayment(p: VerifiedPayment, ctx: RequestContext): Promise<Result<PaymentApplied>>;
				applyRefundOutcome(o: unknown, ctx: RequestContext): Promise<Result<unknown>>;
			};
		}
	).COMMERCE;

let messageSeq = 0;
/**
 * Runs the payments Worker's consumer on these bodies as one queue batch, here, with the real
 * database, Paystack sandbox and commerce Worker: what the queue would do, without waiting.
 */
export async function processPaystackEvents(bodies: string[]): Promise<{ outcomes: EventOutcome[]; acks: string[] }> {
	const acks: string[] = [];
	const messages = bodies.map((body) => {
		const id = `test-msg-${++messageSeq}`;
		return {
			id,
			timestamp: new Date(),
			body,
			attempts: 1,
			ack: () => acks.push(`ack:${id}`),
			retry: () => acks.push(`retry:${id}`),
		};
	});
	const batch = { queue: "oja-paystack-events", messages } as unknown as MessageBatch<unknown>;
	const outcomes = await consumePaystackEvents(batch, {
		db: testDb(),
		provider: paystack(),
		applyPayment: (p, ctx) => commerce().applyOnlinePayment(p, ctx),
		applyRefundOutcome: (o, ctx) =>
			commerce().applyRefundOutcome(o, ctx) as ReturnType<
				NonNullable<Parameters<typeof consumePaystackEvents>[1]["applyRefundOutcome"]>
			>,
		retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 },
		log: () => {},
	});
	return { outcomes, acks };
}

export const balanceOf = async (m: TestMerchant) =>
	jsonOf<Balance>(await asMerchant(m, "GET", `/v1/stores/${m.storeId}/balance`));

/** The default platform fee: 1.5% (half-up) + ₦100, capped at ₦2,000 and at the total. */
export const defaultFeeOn = (total: number) => Math.min(Math.floor((total * 150 + 5_000) / 10_000) + 10_000, 200_000, total);
