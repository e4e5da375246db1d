import type { PaymentApplied, RequestContext, VerifiedPayment } from "@oja/contracts";
import { type Database, isUniqueViolation, newId, vetoReason } from "@oja/db";
import { platformFee, refundEntry, saleEntry } from "@oja/ledger";
import { postEntrySql } from "@oja/ledger/sql";
import { type SQL, sql } from "drizzle-orm";
import { type Loaded, transition } from "./orders.ts";
import { stockMovementEvent } from "./stock-events.ts";

// A payment that reached an order after it expired (the shopper paid on Paystack's page after
// the hold ran out). If every line's stock can still be reserved — conditional updates, all
// lines or none, never below what is on hand — the order is paid and open after all, with its
// sale entry, in one batch. Otherwise the order is cancelled and the whole payment refunded: the
// ledger books the sale WITHOUT Oja's fee (there was no sale) and, in the same batch, the refund
// from that same pending money, so the merchant's balances go up and down by the same amount and
// are never negative; Oja bears Paystack's processing fee. The refund row is pending; the
// payments Worker asks Paystack for it after this commit.

const LATE_REFUND_REASON = "paid after the order expired and its stock was no longer available: refunded in full";

function paymentPaid(p: VerifiedPayment, platformFeeMinor: bigint): SQL {
	return sql`
		WITH paid AS (
			UPDATE payments SET status = 'paid', paid_at = now(), updated_at = now(),
				provider_fee_minor = ${p.providerFeeMinor}, platform_fee_minor = ${platformFeeMinor.toString()}::bigint
			WHERE id = ${p.paymentId} AND store_id = ${p.storeId} AND order_id = ${p.orderId}
				AND status IN ('initializing', 'initialized')
			RETURNING id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM paid), 'order-changed')`;
}

const eventRow = (p: VerifiedPayment, outcome: string) => sql`
	INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
	VALUES ('paystack', ${p.eventKey}, 'charge.success', ${p.storeId}, ${outcome})`;

export async function applyLatePayment(
	db: Database,
	p: VerifiedPayment,
	loaded: Loaded,
	feeSchedule: Parameters<typeof platformFee>[1],
	ctx: RequestContext,
): Promise<PaymentApplied> {
	try {
		return await payLate(db, p, loaded, feeSchedule, ctx);
	} catch (error) {
		if (isUniqueViolation(error, "payment_events_pkey")) return { outcome: "duplicate", eventIds: [] };
		if (vetoReason(error) !== "out-of-stock") throw error;
	}
	try {
		return await refundLate(db, p, loaded, ctx);
	} catch (error) {
		if (isUniqueViolation(error, "payment_events_pkey")) return { outcome: "duplicate", eventIds: [] };
		throw error;
	}
}

async function payLate(
	db: Database,
	p: VerifiedPayment,
	loaded: Loaded,
	feeSchedule: Parameters<typeof platformFee>[1],
	ctx: RequestContext,
): Promise<PaymentApplied> {
	const fee = platformFee(BigInt(p.amountMinor), feeSchedule);
	const sale = saleEntry({
		storeId: p.storeId,
		currency: p.currency,
		orderId: p.orderId,
		reference: p.reference,
		amountMinor: BigInt(p.amountMinor),
		feeMinor: fee,
		providerFeeMinor: BigInt(p.providerFeeMinor),
	});
	const byVariant = new Map<string, number>();
	for (const l of loaded.lines) byVariant.set(l.variant_id, (byVariant.get(l.variant_id) ?? 0) + l.quantity);
	const wanted = [...byVariant].map(([variant_id, quantity]) => ({ variant_id, quantity }));
	const { eventIds } = await transition(db, {
		loaded,
		command: { type: "payLate", amountMinor: p.amountMinor },
		actor: "paystack",
		reason: `paid online after the order expired (${p.reference}); stock reserved again`,
		ctx,
		set: [sql`paid_minor = ${p.amountMinor}`, sql`expires_at = NULL`],
		extra: () => [
			eventRow(p, "paid-late"),
			paymentPaid(p, fee),
			sql`
				WITH upd AS (
					UPDATE order_lines SET reserved_quantity = quantity
					WHERE order_id = ${p.orderId} AND store_id = ${p.storeId} AND reserved_quantity = 0 AND fulfilled_quantity = 0
					RETURNING id
				)
				SELECT oja_assert((SELECT count(*) FROM upd) = ${loaded.lines.length}, 'order-changed')`,
			// Every variant or none, and never more than is on hand and not held by another order.
			sql`
				WITH r AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) AS r(variant_id text, quantity int)),
				upd AS (
					UPDATE inventory i SET reserved = i.reserved + r.quantity, updated_at = now() FROM r
					WHERE i.variant_id = r.variant_id AND i.store_id = ${p.storeId} AND i.on_hand - i.reserved >= r.quantity
					RETURNING i.variant_id
				)
				SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'out-of-stock')`,
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
	// The storefront's stock labels: a separate write, it only says "look again".
	const [event] = await db.batch([
		stockMovementEvent(
			db,
			{ type: "inventory.reserved", storeId: p.storeId, orderId: p.orderId, reason: "late-payment", lines: wanted },
			ctx.requestId,
		),
	]);
	return { outcome: "paid-late", eventIds: [...eventIds, ...event.rows.map((r) => String((r as { id: unknown }).id))] };
}

async function refundLate(db: Database, p: VerifiedPayment, loaded: Loaded, ctx: RequestContext): Promise<PaymentApplied> {
	const refundId = newId("refund");
	const amount = BigInt(p.amountMinor);
	// No platform fee on a sale that did not happen: the pending money is exactly what goes back.
	const sale = saleEntry({
		storeId: p.storeId,
		currency: p.currency,
		orderId: p.orderId,
		reference: p.reference,
		amountMinor: amount,
		feeMinor: 0n,
		providerFeeMinor: BigInt(p.providerFeeMinor),
	});
	const refund = refundEntry({
		storeId: p.storeId,
		currency: p.currency,
		orderId: p.orderId,
		refundId,
		amountMinor: amount,
		from: "pending",
	});
	const { eventIds } = await transition(db, {
		loaded,
		command: { type: "refundLate", amountMinor: p.amountMinor },
		actor: "paystack",
		reason: LATE_REFUND_REASON,
		ctx,
		before: [
			sql`SELECT 1 FROM ledger_balances WHERE store_id = ${p.storeId} AND account = 'pending' AND currency = ${p.currency} FOR UPDATE`,
		],
		set: [sql`paid_minor = ${p.amountMinor}`, sql`refunded_minor = ${p.amountMinor}`, sql`expires_at = NULL`],
		extra: () => [
			eventRow(p, "refund-late"),
			paymentPaid(p, 0n),
			postEntrySql(sale, ctx.requestId),
			postEntrySql(refund, ctx.requestId),
			sql`INSERT INTO refunds (id, store_id, order_id, payment_id, reference, amount_minor, currency, source, kind, reason,
					created_by)
				VALUES (${refundId}, ${p.storeId}, ${p.orderId}, ${p.paymentId}, ${p.reference}, ${p.amountMinor}, ${p.currency},
					'pending', 'late_payment', ${LATE_REFUND_REASON}, 'system')`,
			sql`INSERT INTO order_timeline (id, store_id, order_id, kind, actor, reason, details, request_id)
				VALUES (${newId("timeline")}, ${p.storeId}, ${p.orderId}, 'refund', 'system', ${LATE_REFUND_REASON},
					${JSON.stringify({ refundId, amountMinor: p.amountMinor, source: "pending", restocked: [] })}::jsonb, ${ctx.requestId})`,
		],
	});
	return { outcome: "refund-late", refundId, eventIds };
}
