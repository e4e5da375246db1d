import { errorLogRecord, type PaymentApplied, type RequestContext, type Result, type VerifiedPayment } from "@oja/contracts";
import type { Database } from "@oja/db";
import { backoffSeconds, queueJson, type RetryPolicy } from "@oja/events";
import {
	type ChargeSuccessEvent,
	type PaymentProvider,
	PaymentUnavailableError,
	parsePaystackEvent,
	type RefundEvent,
} from "@oja/paystack";
import { sql } from "drizzle-orm";
import type { PublishEvents } from "./payouts.ts";
import { type RefundEventDeps, refundEvent } from "./refund-events.ts";
import { isTransferEvent, type TransferOutcome, transferEvent } from "./transfer-events.ts";

// oja-paystack-events: webhook bodies the gateway verified and enqueued without reading them.
// Each event is applied at most once (payment_events, keyed by event and object: Paystack
// sends no event id). A charge is never taken from the webhook's word: it is verified with
// Paystack, and its amount AND currency must equal the payment's (the order's total), else
// the payment goes under review and the order is not paid. Transient failures are retried with
// backoff; after max_retries the queue dead-letters the message for an operator.

export interface EventDeps extends Partial<Pick<RefundEventDeps, "applyRefundOutcome">> {
	db: Database;
	provider: PaymentProvider;
	applyPayment: (payment: VerifiedPayment, ctx: RequestContext) => Promise<Result<PaymentApplied>>;
	/** Asks Paystack for a refund commerce took (a late payment's); never throws, retried by the cron. */
	submitRefund?: (refundId: string) => Promise<unknown>;
	retry: RetryPolicy;
	log?: (line: Record<string, unknown>) => void;
	/** Sends the payout events a transfer outcome appended (payout.completed / payout.failed). */
	publish?: PublishEvents;
}

export type EventOutcome = "paid" | "duplicate" | "review" | "ignored" | "retried" | "refunded" | TransferOutcome;

interface PaymentRow {
	id: string;
	store_id: string;
	order_id: string;
	amount_minor: string | number;
	currency: string;
	status: string;
	[key: string]: unknown;
}

/** Puts a payment under review (never paid) and records the event, once. */
async function review(db: Database, payment: PaymentRow, eventKey: string, reason: string): Promise<void> {
	await db.batch([
		db.execute(sql`UPDATE payments SET status = 'review', review_reason = ${reason}, updated_at = now()
			WHERE id = ${payment.id} AND store_id = ${payment.store_id} AND status <> 'paid'`),
		db.execute(sql`INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
			VALUES ('paystack', ${eventKey}, 'charge.success', ${payment.store_id}, 'review') ON CONFLICT DO NOTHING`),
	]);
}

async function chargeSuccess(deps: EventDeps, event: ChargeSuccessEvent, ctx: RequestContext): Promise<EventOutcome> {
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const reference = event.data.reference;
	const eventKey = `charge.success:${reference}`;
	const [payment] = (
		await deps.db.execute<PaymentRow>(sql`
			SELECT id, store_id, order_id, amount_minor, currency, status FROM payments WHERE reference = ${reference}`)
	).rows;
	// Not a payment Oja started (another integration on the same Paystack account): nothing to do.
	if (!payment) {
		log({ level: "warn", msg: "paystack.unknown_reference", requestId: ctx.requestId });
		return "ignored";
	}
	if (payment.status === "paid") return "duplicate";
	const verified = await deps.provider.verifyTransaction(reference);
	if (verified.status !== "success") {
		// The webhook says success, Paystack does not (yet): try again later.
		throw new Error(`verify answered ${verified.status}`);
	}
	if (payment.status !== "initializing" && payment.status !== "initialized") {
		// Money for a payment that was already ended (declined and replaced, superseded by a retry,
		// or under review): it cannot be applied to the order, and retrying would only end in the
		// dead-letter queue. Held for an operator, who refunds it or applies it by hand.
		await review(deps.db, payment, eventKey, `paid after the payment was ${payment.status}`);
		log({ level: "error", msg: "payment.review", paymentId: payment.id, code: "payment-not-live", requestId: ctx.requestId });
		return "review";
	}
	if (verified.amountMinor !== Number(payment.amount_minor) || verified.currency !== payment.currency) {
		await review(deps.db, payment, eventKey, "amount or currency differs from the order");
		log({ level: "warn", msg: "payment.review", paymentId: payment.id, code: "amount-mismatch", requestId: ctx.requestId });
		return "review";
	}
	const result = await deps.applyPayment(
		{
			storeId: payment.store_id,
			orderId: payment.order_id,
			paymentId: payment.id,
			reference,
			amountMinor: verified.amountMinor,
			currency: verified.currency,
			providerFeeMinor: verified.feesMinor ?? 0,
			eventKey,
		},
		ctx,
	);
	if (!result.ok) throw new Error(`commerce refused the payment: ${result.problem.type} ${result.problem.status}`);
	const applied = result.value;
	if (applied.outcome === "paid-late") return "paid";
	if (applied.outcome === "refund-late") {
		// Paid after expiry with the stock gone: commerce cancelled the order and took the refund;
		// Paystack is asked now (a failure leaves it pending for the cron).
		await deps.submitRefund?.(applied.refundId);
		log({
			level: "info",
			msg: "payment.late_refund",
			paymentId: payment.id,
			refundId: applied.refundId,
			requestId: ctx.requestId,
		});
		return "refunded";
	}
	if (applied.outcome === "not-payable") {
		// Paid after the order was cancelled (an expired one is handled above): the money is held
		// under review for an operator.
		await review(deps.db, payment, eventKey, `order was ${applied.status} when the payment arrived`);
		log({ level: "warn", msg: "payment.review", paymentId: payment.id, code: "order-not-payable", requestId: ctx.requestId });
		return "review";
	}
	return applied.outcome;
}

export async function consumePaystackEvents(batch: MessageBatch<unknown>, deps: EventDeps): Promise<EventOutcome[]> {
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const outcomes: EventOutcome[] = [];
	for (const message of batch.messages) {
		const ctx: RequestContext = { requestId: `paystack-${message.id}` };
		const started = Date.now();
		try {
			const body = queueJson(message.body);
			const reading = parsePaystackEvent(body);
			let outcome: EventOutcome;
			if (!reading.ok) {
				// The gateway refused malformed bodies; this one changed shape in between? Dead-letter it.
				throw new Error("malformed event");
			} else if (!reading.known) outcome = "ignored";
			else if (reading.event.event === "charge.success") outcome = await chargeSuccess(deps, reading.event, ctx);
			else if (isTransferEvent(reading.event)) outcome = await transferEvent(deps, reading.event, ctx);
			else if (reading.event.event === "refund.processed" || reading.event.event === "refund.failed") {
				outcome = deps.applyRefundOutcome
					? await refundEvent(
							{ db: deps.db, provider: deps.provider, applyRefundOutcome: deps.applyRefundOutcome },
							reading.event as RefundEvent,
							ctx,
						)
					: "ignored";
			} else outcome = "ignored";
			message.ack();
			outcomes.push(outcome);
			log({ level: "info", msg: "paystack.event", outcome, messageId: message.id, ms: Date.now() - started });
		} catch (error) {
			const delaySeconds = backoffSeconds(message.attempts, deps.retry);
			log({
				level: "warn",
				msg: "queue.retry",
				queue: batch.queue,
				messageId: message.id,
				attempt: message.attempts,
				delaySeconds,
				unavailable: error instanceof PaymentUnavailableError,
				error: errorLogRecord(error),
			});
			message.retry({ delaySeconds });
			outcomes.push("retried");
		}
	}
	return outcomes;
}
