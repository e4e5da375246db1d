import { errorLogRecord } from "@oja/contracts";
import type { Database } from "@oja/db";
import { backoffSeconds } from "@oja/events";
import { type PaymentProvider, PaymentRejectedError } from "@oja/paystack";
import { sql } from "drizzle-orm";

// Asking Paystack for a refund commerce already took (the refunds row, pending, committed with
// the order's refunded amount and the ledger's refund entry). Paystack's refund call has no
// idempotency reference, so it is never simply repeated: each attempt first CLAIMS the row
// (attempts + 1, a lease on next_attempt_at, conditional: two callers cannot both ask), and any
// attempt after the first looks at the transaction's refunds on Paystack first, adopting one
// that matches and is not recorded on another row. Paystack down or answering nothing: the row
// stays pending with a later next_attempt_at, and the payments cron (every minute) tries again.

/** How long one attempt holds the row before another may try (longer than the client's own timeouts). */
const LEASE_SECONDS = 60;
const RETRY = { baseDelaySeconds: 30, maxDelaySeconds: 60 * 60 };

export type SubmitOutcome = "submitted" | "adopted" | "skipped" | "deferred";

interface Claimed extends Record<string, unknown> {
	attempts: number;
	reference: string;
	amount_minor: string | number;
	reason: string;
}

export async function submitRefund(
	db: Database,
	provider: PaymentProvider,
	refundId: string,
	log: (line: Record<string, unknown>) => void,
): Promise<SubmitOutcome> {
	const [row] = (
		await db.execute<Claimed>(sql`
			UPDATE refunds SET attempts = attempts + 1, updated_at = now(),
				next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
			WHERE id = ${refundId} AND status = 'pending' AND provider_refund_id IS NULL AND next_attempt_at <= now()
			RETURNING attempts, reference, amount_minor, reason`)
	).rows;
	if (!row) return "skipped";
	const amountMinor = Number(row.amount_minor);
	const started = Date.now();
	try {
		if (row.attempts > 1) {
			// An earlier attempt may have reached Paystack without us hearing the answer.
			const known = new Set(
				(
					await db.execute<{ id: string }>(sql`
						SELECT provider_refund_id AS id FROM refunds WHERE reference = ${row.reference} AND provider_refund_id IS NOT NULL`)
				).rows.map((r) => r.id),
			);
			const page = await provider.listRefunds({ transaction: row.reference, perPage: 100 });
			const orphan = page.items.find((r) => r.amountMinor === amountMinor && !known.has(r.id));
			if (orphan) {
				await record(db, refundId, orphan.id);
				log({ level: "info", msg: "refund.adopted", refundId, attempt: row.attempts, ms: Date.now() - started });
				return "adopted";
			}
		}
		const made = await provider.refund({ transaction: row.reference, amountMinor, reason: row.reason });
		await record(db, refundId, made.id);
		log({ level: "info", msg: "refund.submitted", refundId, attempt: row.attempts, ms: Date.now() - started });
		return "submitted";
	} catch (error) {
		const delaySeconds = backoffSeconds(row.attempts, RETRY);
		// Rejected (Paystack refuses the request as such) is retried too, more slowly, and logged
		// for an operator: the money is already out of the merchant's balance and owed to the customer.
		await db.execute(sql`
			UPDATE refunds SET next_attempt_at = now() + make_interval(secs => ${delaySeconds}), updated_at = now(),
				last_error = ${error instanceof Error ? error.name : "error"}
			WHERE id = ${refundId} AND status = 'pending' AND provider_refund_id IS NULL`);
		log({
			level: error instanceof PaymentRejectedError ? "error" : "warn",
			msg: "refund.deferred",
			refundId,
			attempt: row.attempts,
			delaySeconds,
			error: errorLogRecord(error),
		});
		return "deferred";
	}
}

async function record(db: Database, refundId: string, providerRefundId: string): Promise<void> {
	await db.execute(sql`
		UPDATE refunds SET provider_refund_id = ${providerRefundId}, last_error = NULL, updated_at = now()
		WHERE id = ${refundId} AND provider_refund_id IS NULL`);
}

/** The cron's sweep: pending refunds Paystack has not been asked for (or did not answer), due now. */
export async function submitDueRefunds(
	db: Database,
	provider: PaymentProvider,
	log: (line: Record<string, unknown>) => void,
	limit = 50,
): Promise<Record<SubmitOutcome, number>> {
	const due = await db.execute<{ id: string }>(sql`
		SELECT id FROM refunds WHERE status = 'pending' AND provider_refund_id IS NULL AND next_attempt_at <= now()
		ORDER BY next_attempt_at LIMIT ${limit}`);
	const counts: Record<SubmitOutcome, number> = { submitted: 0, adopted: 0, skipped: 0, deferred: 0 };
	for (const { id } of due.rows) counts[await submitRefund(db, provider, id, log)]++;
	return counts;
}
