import type { RequestContext } from "@oja/contracts";
import { type Database, vetoReason } from "@oja/db";
import type { OutboxRow } from "@oja/events";
import { type EntryDraft, payoutCompletedEntry, payoutReturnedEntry } from "@oja/ledger";
import { postEntrySql } from "@oja/ledger/sql";
import { type PaymentProvider, type PaystackWebhookEvent, TRANSFER_EVENTS, type TransferEvent } from "@oja/paystack";
import { sql } from "drizzle-orm";
import {
	type Log,
	PAYOUT_REFERENCE,
	type PayoutRow,
	type PublishEvents,
	payoutOutcomeEvent,
	publishLater,
	readPayout,
} from "./payouts.ts";

// transfer.success / transfer.failed / transfer.reversed from the oja-paystack-events queue.
// Each is applied at most once: its payment_events row (`transfer.<outcome>:<reference>`)
// commits in the same batch as the payout's status change and its ledger entry. The status
// change is conditional on the status this handler read, so two events racing (a success and
// a reversal, or the same event twice) cannot both apply: the loser's batch is vetoed and it
// decides again from the new state. The database's trigger (migrations/0019) refuses any
// illegal transition whatever the code does:
//   pending|processing → paid       payout_completed  (in transit → gone to the bank)
//   pending|processing → failed     payout_returned   (in transit → available)
//   pending|processing → reversed   payout_returned   (in transit → available)
//   paid → reversed                 a return from paystack_clearing (the money came back after
//                                   it had left): available again
// anything else (success after a failure or reversal, a reversal after a failure, …) is
// recorded as `ignored` and changes nothing. A move that applies appends payout.completed (to
// paid) or payout.failed (to failed or reversed) in the same batch; an ignored one emits nothing. Nothing is believed from the webhook alone: the
// transfer is verified with Paystack, and its amount and currency must be the payout's.

export type TransferOutcome = "paid" | "failed" | "reversed" | "duplicate" | "ignored";

const STATUS_FOR = { "transfer.success": "paid", "transfer.failed": "failed", "transfer.reversed": "reversed" } as const;
const PAYSTACK_STATUS = { "transfer.success": "success", "transfer.failed": "failed", "transfer.reversed": "reversed" } as const;
const TERMINAL = new Set(["success", "failed", "reversed", "abandoned", "blocked", "rejected"]);

export const isTransferEvent = (event: PaystackWebhookEvent): event is TransferEvent =>
	(TRANSFER_EVENTS as readonly string[]).includes(event.event);

/** An event about one of our payouts that is not in the database yet: retry, never drop. */
export class PayoutNotRecordedYet extends Error {
	override readonly name = "PayoutNotRecordedYet";
}

/** The payout came back after it had already been paid: from Paystack's balance to available. */
function paidReversalEntry(row: PayoutRow): EntryDraft {
	const amount = BigInt(row.amount_minor);
	return {
		kind: "payout_returned",
		externalRef: `payout:${row.id}:returned`,
		storeId: row.store_id,
		orderId: null,
		subjectId: row.id,
		description: `Payout ${row.id} reversed after it was paid`,
		postings: [
			{ account: "paystack_clearing", storeId: null, currency: row.currency, amountMinor: amount },
			{ account: "available", storeId: row.store_id, currency: row.currency, amountMinor: -amount },
		],
	};
}

/** The entry for moving `row` (in its current status) to `to`; null when that move is not legal. */
function entryFor(row: PayoutRow, to: "paid" | "failed" | "reversed"): EntryDraft | null {
	const m = { storeId: row.store_id, currency: row.currency, payoutId: row.id, amountMinor: BigInt(row.amount_minor) };
	const open = row.status === "pending" || row.status === "processing";
	if (to === "paid") return open ? payoutCompletedEntry(m) : null;
	if (open) return payoutReturnedEntry(m);
	if (to === "reversed" && row.status === "paid") return paidReversalEntry(row);
	return null;
}

async function recorded(db: Database, eventKey: string): Promise<boolean> {
	const result = await db.execute(sql`SELECT 1 FROM payment_events WHERE provider = 'paystack' AND event_key = ${eventKey}`);
	return result.rows.length > 0;
}

export async function transferEvent(
	deps: { db: Database; provider: PaymentProvider; log?: Log; publish?: PublishEvents },
	event: TransferEvent,
	ctx: RequestContext,
): Promise<TransferOutcome> {
	const { db, provider } = deps;
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const reference = event.data.reference;
	const eventKey = `${event.event}:${reference}`;
	const row = await readPayout(db, sql`p.reference = ${reference}`);
	if (!row) {
		// Ours but not committed yet (or never will be): the queue retries it with backoff and
		// dead-letters it after max_retries. A reference we never make is another integration's.
		if (PAYOUT_REFERENCE.test(reference)) throw new PayoutNotRecordedYet(`no payout with reference ${reference} yet`);
		log({ level: "warn", msg: "paystack.unknown_transfer", requestId: ctx.requestId });
		return "ignored";
	}
	if (await recorded(db, eventKey)) return "duplicate";

	const verified = await provider.verifyTransfer(reference);
	if (verified.amountMinor !== Number(row.amount_minor) || verified.currency !== row.currency) {
		// Never expected (we set the amount): an operator must look. Retried, then dead-lettered.
		log({ level: "error", msg: "payout.transfer_mismatch", payoutId: row.id, requestId: ctx.requestId });
		throw new Error(`transfer ${row.id}: amount or currency differs from the payout`);
	}
	if (verified.status !== PAYSTACK_STATUS[event.event]) {
		// Paystack does not (yet) say what the webhook says: ask again later. If it says another
		// final outcome, that outcome's own event applies it; this one changes nothing.
		if (!TERMINAL.has(verified.status)) throw new Error(`verify answered ${verified.status}`);
		log({ level: "warn", msg: "payout.event_superseded", payoutId: row.id, event: event.event, requestId: ctx.requestId });
		return "ignored";
	}

	return applyTransferOutcome(db, row, event.event, event.data.transfer_code, ctx.requestId, log, deps.publish);
}

/**
 * Moves the payout to what Paystack says (verified by the caller), once: the webhook and the
 * reconciliation share the event key, so whichever comes first applies and the other is a
 * duplicate.
 */
export async function applyTransferOutcome(
	db: Database,
	start: PayoutRow,
	name: TransferEvent["event"],
	transferCode: string,
	requestId: string | null,
	log: Log,
	publish: PublishEvents = publishLater,
): Promise<TransferOutcome> {
	const eventKey = `${name}:${start.reference}`;
	const to = STATUS_FOR[name];
	let row: PayoutRow | undefined = start;
	for (let attempt = 0; attempt < 3 && row; attempt++) {
		const entry = entryFor(row, to);
		if (!entry) {
			// Not a legal move from where the payout is (e.g. success after a reversal): recorded
			// so a redelivery is a duplicate, and nothing else changes.
			await db.execute(sql`
				INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
				VALUES ('paystack', ${eventKey}, ${name}, ${row.store_id}, 'ignored') ON CONFLICT DO NOTHING`);
			log({
				level: "warn",
				msg: "payout.transition_refused",
				payoutId: row.id,
				from: row.status,
				to,
				requestId: requestId,
			});
			return "ignored";
		}
		const failure = to === "paid" ? null : `transfer ${to}`;
		try {
			const results = await db.batch([
				db.execute(sql`
					WITH changed AS (
						UPDATE payouts SET status = ${to}, transfer_code = coalesce(transfer_code, ${transferCode}),
							failure_reason = coalesce(${failure}, failure_reason), completed_at = now(), updated_at = now()
						WHERE id = ${row.id} AND status = ${row.status} RETURNING id
					)
					SELECT oja_assert(EXISTS (SELECT 1 FROM changed), 'payout-moved-on')`),
				db.execute(postEntrySql(entry, requestId)),
				// No ON CONFLICT: a concurrent copy of this event that got here first fails this batch.
				db.execute(sql`
					INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
					VALUES ('paystack', ${eventKey}, ${name}, ${row.store_id}, ${to})`),
				payoutOutcomeEvent(db, row, to, failure, requestId),
			]);
			log({ level: "info", msg: "payout.transfer_outcome", payoutId: row.id, from: row.status, to, requestId: requestId });
			await publish(results[3].rows as OutboxRow[]);
			return to;
		} catch (error) {
			if (await recorded(db, eventKey)) return "duplicate";
			if (vetoReason(error) !== "payout-moved-on") throw error;
			// Another event moved the payout first: decide again from where it is now.
			row = await readPayout(db, sql`p.id = ${row.id} AND p.store_id = ${row.store_id}`);
		}
	}
	throw new Error("payout kept changing under this event; retrying");
}

/**
 * The cron's safety net for lost webhooks: payouts `processing` for longer than
 * `olderThanSeconds` are looked up with Paystack, and a final outcome is applied exactly as
 * its webhook would be. One still under way is looked at again after the same interval.
 */
export async function reconcileProcessingPayouts(
	db: Database,
	provider: PaymentProvider,
	options: { olderThanSeconds: number; limit?: number },
	log: Log,
	publish: PublishEvents = publishLater,
): Promise<{ checked: number; applied: number }> {
	const rows = await db.execute<{ id: string; store_id: string }>(sql`
		SELECT id, store_id FROM payouts
		WHERE status = 'processing' AND updated_at <= now() - make_interval(secs => ${options.olderThanSeconds})
		ORDER BY updated_at LIMIT ${options.limit ?? 20}`);
	const counts = { checked: 0, applied: 0 };
	for (const { id, store_id } of rows.rows) {
		const row = await readPayout(db, sql`p.id = ${id} AND p.store_id = ${store_id}`);
		if (row?.status !== "processing") continue;
		counts.checked++;
		try {
			const verified = await provider.verifyTransfer(row.reference);
			const name = ({ success: "transfer.success", failed: "transfer.failed", reversed: "transfer.reversed" } as const)[
				verified.status as "success" | "failed" | "reversed"
			];
			if (!name || verified.amountMinor !== Number(row.amount_minor) || verified.currency !== row.currency) {
				await db.execute(sql`UPDATE payouts SET updated_at = now() WHERE id = ${row.id} AND status = 'processing'`);
				continue;
			}
			const outcome = await applyTransferOutcome(db, row, name, verified.transferCode, null, log, publish);
			if (outcome !== "duplicate" && outcome !== "ignored") counts.applied++;
			log({ level: "info", msg: "payout.reconciled", payoutId: row.id, outcome });
		} catch (error) {
			log({
				level: "warn",
				msg: "payout.reconcile_failed",
				payoutId: row.id,
				code: (error as { code?: unknown }).code ?? "unknown",
			});
		}
	}
	return counts;
}
