import {
	type PaymentApplied,
	ProblemError,
	problem,
	type RequestContext,
	type StoreAccess,
	type VerifiedPayment,
} from "@oja/contracts";
import { type Database, isUniqueViolation } from "@oja/db";
import { platformFee, podFeeEntry, saleEntry } from "@oja/ledger";
import { feeScheduleOf, postEntrySql } from "@oja/ledger/sql";
import { sql } from "drizzle-orm";
import { applyLatePayment } from "./late-payments.ts";
import { actorOf, loadState, transition } from "./orders.ts";

// Money reaching an order. Commerce owns order transitions, so the payments Worker (which
// talks to Paystack and reads its webhooks) hands a verified payment here, and ONE batch
// applies it: the event's idempotency row, the order's conditional transition to paid/open,
// the payment row, the ledger entry and the events. A redelivered event finds its row and
// changes nothing; a payment for an order that is no longer awaiting it changes nothing either
// and says why.

export async function applyOnlinePayment(db: Database, p: VerifiedPayment, ctx: RequestContext): Promise<PaymentApplied> {
	const seen = await db.execute(sql`SELECT 1 FROM payment_events WHERE provider = 'paystack' AND event_key = ${p.eventKey}`);
	if (seen.rows.length > 0) return { outcome: "duplicate", eventIds: [] };
	const loaded = await loadState(db, p.storeId, p.orderId);
	if (loaded.state.status === "expired" && loaded.state.paymentStatus === "pending") {
		return applyLatePayment(db, p, loaded, await feeScheduleOf(db, p.storeId), ctx);
	}
	if (!(loaded.state.status === "pending_payment" && loaded.state.paymentStatus === "pending")) {
		return { outcome: "not-payable", status: loaded.state.status, paymentStatus: loaded.state.paymentStatus, eventIds: [] };
	}
	const fee = platformFee(BigInt(p.amountMinor), await feeScheduleOf(db, p.storeId));
	const sale = saleEntry({
		storeId: p.storeId,
		currency: p.currency,
		orderId: p.orderId,
		reference: p.reference,
		amountMinor: BigInt(p.amountMinor),
		feeMinor: fee,
		providerFeeMinor: BigInt(p.providerFeeMinor),
	});
	try {
		const { eventIds } = await transition(db, {
			loaded,
			command: { type: "pay", amountMinor: p.amountMinor },
			actor: "paystack",
			reason: `paid online (${p.reference})`,
			ctx,
			set: [sql`paid_minor = ${p.amountMinor}`, sql`expires_at = NULL`],
			extra: () => [
				// First: a concurrent delivery of the same event that committed meanwhile makes this
				// a unique violation, and the whole batch rolls back.
				sql`INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
					VALUES ('paystack', ${p.eventKey}, 'charge.success', ${p.storeId}, 'paid')`,
				sql`
					WITH paid AS (
						UPDATE payments SET status = 'paid', paid_at = now(), updated_at = now(),
							provider_fee_minor = ${p.providerFeeMinor}, platform_fee_minor = ${fee.toString()}::bigint
						WHERE id = ${p.paymentId} AND store_id = ${p.storeId} AND order_id = ${p.orderId}
							AND status IN ('initializing', 'initialized')
						RETURNING id
					)
					SELECT oja_assert(EXISTS (SELECT 1 FROM paid), 'order-changed')`,
				postEntrySql(sale, ctx.requestId),
			],
			extraEvents: [
				{
					type: "order.paid",
					storeId: p.storeId,
					aggregateId: p.orderId,
					payload: {
						storeId: p.storeId,
						orderId: p.orderId,
						paymentId: p.paymentId,
						provider: "paystack",
						reference: p.reference,
						amountMinor: p.amountMinor,
						currency: p.currency,
					},
				},
			],
		});
		return { outcome: "paid", eventIds };
	} catch (error) {
		// Anything else (the order changed under us: an expiry, a cancellation) is thrown; the
		// queue retries and the next attempt finds the order's new state.
		if (isUniqueViolation(error, "payment_events_pkey")) return { outcome: "duplicate", eventIds: [] };
		throw error;
	}
}

/**
 * Pay on delivery: the merchant says the cash was collected. The order turns paid and, in the
 * same batch, the ledger records the platform fee the merchant now owes (fees_receivable,
 * netted from later settlements).
 */
export async function recordCashCollected(db: Database, access: StoreAccess, orderId: string, ctx: RequestContext) {
	const loaded = await loadState(db, access.storeId, orderId);
	const [currency] = (
		await db.execute<{ currency: string }>(
			sql`SELECT currency FROM orders WHERE id = ${orderId} AND store_id = ${access.storeId}`,
		)
	).rows;
	if (!currency) throw new ProblemError(problem("not-found", "No such order."));
	const fee = podFeeEntry({
		storeId: access.storeId,
		currency: currency.currency,
		orderId,
		feeMinor: platformFee(BigInt(loaded.state.totalMinor), await feeScheduleOf(db, access.storeId)),
	});
	return transition(db, {
		loaded,
		command: { type: "collectPayment" },
		actor: actorOf(access),
		reason: "cash collected on delivery",
		ctx,
		set: [sql`paid_minor = total_minor`],
		extra: () => (fee ? [postEntrySql(fee, ctx.requestId)] : []),
	});
}
