import type { PaymentLink } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, newId } from "@oja/db";
import { type PaymentProvider, PaymentRejectedError, PaymentUnavailableError } from "@oja/paystack";
import { sql } from "drizzle-orm";

// Starting a payment for an order, idempotently: an order has at most one live payment row
// (a partial unique index). Its reference is ours and fixed before Paystack is called, so a
// retry after Paystack was down uses the same reference (no second transaction), and a
// payment already initialised answers with its stored link (no second transaction; one verify
// call, to notice a declined one, which cannot be paid again and is replaced).

interface OrderRow {
	status: string;
	payment_status: string;
	payment_method: string;
	total_minor: string | number;
	currency: string;
	email: string | null;
	store_name: string;
	payment_id: string | null;
	payment_status_row: string | null;
	reference: string | null;
	authorization_url: string | null;
	/** The order's hold ran out (the expiry sweep may not have run yet). */
	hold_over: boolean;
	[key: string]: unknown;
}

/** Paystack references allow [A-Za-z0-9.=-]: the payment id with its underscore swapped. */
const referenceOf = (paymentId: string) => paymentId.replace("_", "-");

async function readOrder(db: Database, storeId: string, orderId: string): Promise<OrderRow | undefined> {
	const result = await db.execute<OrderRow>(sql`
		SELECT o.status, o.payment_status, o.payment_method, o.total_minor, o.currency, o.email, s.name AS store_name,
			(o.expires_at IS NOT NULL AND o.expires_at <= now()) AS hold_over,
			p.id AS payment_id, p.status AS payment_status_row, p.reference, p.authorization_url
		FROM orders o JOIN stores s ON s.id = o.store_id
		LEFT JOIN payments p ON p.order_id = o.id AND p.store_id = o.store_id
			AND p.status IN ('initializing', 'initialized', 'paid')
		WHERE o.id = ${orderId} AND o.store_id = ${storeId}`);
	return result.rows[0];
}

export async function initializePayment(
	db: Database,
	provider: PaymentProvider,
	input: { storeId: string; orderId: string; callbackUrl: string },
): Promise<PaymentLink> {
	for (let attempt = 0; attempt < 3; attempt++) {
		const order = await readOrder(db, input.storeId, input.orderId);
		if (!order) throw new ProblemError(problem("not-found", "No such order."));
		// A hold that ran out is over even before the expiry sweep releases it: a link handed out
		// now could be paid for stock that is about to go back on sale.
		if (
			order.payment_method !== "online" ||
			order.status !== "pending_payment" ||
			order.payment_status !== "pending" ||
			order.hold_over
		) {
			throw new ProblemError(
				problem("conflict", "This order is not awaiting an online payment.", {
					extensions: { code: "not-payable", orderStatus: order.status, paymentStatus: order.payment_status },
				}),
			);
		}
		if (order.payment_status_row === "initialized" && order.reference && order.authorization_url) {
			// The shopper may be back after a declined card: a failed transaction cannot be paid
			// again, so that payment ends and a new one (new reference) starts. Otherwise the link
			// stands (unpaid yet, or paid and the webhook on its way).
			let failed = false;
			try {
				failed = (await provider.verifyTransaction(order.reference)).status === "failed";
			} catch (error) {
				if (!(error instanceof PaymentUnavailableError)) throw error;
			}
			if (!failed) return { provider: "paystack", reference: order.reference, authorizationUrl: order.authorization_url };
			await db.execute(sql`UPDATE payments SET status = 'failed', updated_at = now()
				WHERE id = ${order.payment_id} AND store_id = ${input.storeId} AND status = 'initialized'`);
			continue;
		}
		let paymentId = order.payment_id;
		let reference = order.reference;
		if (!paymentId || !reference) {
			paymentId = newId("payment");
			reference = referenceOf(paymentId);
			try {
				await db.execute(sql`
					INSERT INTO payments (id, store_id, order_id, reference, amount_minor, currency, status)
					VALUES (${paymentId}, ${input.storeId}, ${input.orderId}, ${reference}, ${order.total_minor}, ${order.currency},
						'initializing')`);
			} catch (error) {
				// Another request started one meanwhile: use theirs.
				if (isUniqueViolation(error, "payments_one_live_per_order")) continue;
				throw error;
			}
		}
		try {
			const link = await provider.initializeTransaction({
				amountMinor: Number(order.total_minor),
				currency: order.currency,
				// Paystack requires an email; a shopper who gave only a phone gets the order's address.
				email: order.email ?? `${input.orderId.toLowerCase()}@customers.oja.ng`,
				reference,
				callbackUrl: input.callbackUrl,
				metadata: { storeId: input.storeId, orderId: input.orderId, paymentId, storeName: order.store_name },
			});
			const stored = await db.execute(sql`
				UPDATE payments SET status = 'initialized', authorization_url = ${link.authorizationUrl},
					access_code = ${link.accessCode}, updated_at = now()
				WHERE id = ${paymentId} AND store_id = ${input.storeId} AND status = 'initializing'
				RETURNING id`);
			// A concurrent attempt superseded this payment while Paystack answered: its link must
			// not be handed out (a payment on it could not be applied). Re-read the live one.
			if (stored.rows.length === 0) continue;
			return { provider: "paystack", reference, authorizationUrl: link.authorizationUrl };
		} catch (error) {
			if (error instanceof PaymentRejectedError && error.code === "duplicate_reference") {
				// An earlier attempt reached Paystack but its answer was lost: that transaction's link
				// is unknown to us, so this payment is superseded and a new reference is made.
				await db.execute(sql`UPDATE payments SET status = 'superseded', updated_at = now()
					WHERE id = ${paymentId} AND store_id = ${input.storeId} AND status = 'initializing'`);
				continue;
			}
			if (error instanceof PaymentRejectedError) {
				// Paystack refused this transaction (not a duplicate): this payment is over, a
				// corrected retry starts a new one.
				await db.execute(sql`UPDATE payments SET status = 'failed', updated_at = now()
					WHERE id = ${paymentId} AND store_id = ${input.storeId} AND status = 'initializing'`);
				throw new ProblemError(
					problem("validation-failed", "The payment provider refused this payment. Check the order's email and try again.", {
						errors: [{ path: "payment", message: "Refused by the payment provider", code: "payment_rejected" }],
						extensions: { code: "payment-rejected" },
					}),
				);
			}
			if (error instanceof PaymentUnavailableError) {
				throw new ProblemError(
					problem(
						"service-unavailable",
						"The payment provider cannot be reached right now; your order is saved. Try again shortly.",
						{
							extensions: { code: "payment-provider-unavailable" },
						},
					),
				);
			}
			throw error;
		}
	}
	throw new ProblemError(
		problem("conflict", "The payment could not be started; try again.", { extensions: { code: "payment-busy" } }),
	);
}
