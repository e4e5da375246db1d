import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";

// Retention for the platform's bookkeeping tables, which otherwise only grow. Run by ops' cron
// (every minute) across all stores: this is maintenance by age, not a tenant's request, so it is
// the one place that deletes without a store id. Each run deletes at most CHUNK rows per table, so
// a run stays short however far behind it is; 1,000 a minute is 1.4 million rows a day per table.

const CHUNK = 1000;

/** How long each kind of row is kept, in days. */
export const RETENTION_DAYS = {
	// The relay is done with a published event; ops' event_log keeps the record of it.
	publishedOutbox: 7,
	// A consumer's marker must outlive every redelivery of its message: Queues keep a message
	// at most 14 days, and retries back off to 15 minutes. Except markers keyed by another
	// system's ids (KEPT_MARKERS), which guard against that system repeating itself, at any age.
	processedMessages: 30,
	// Stripe keeps idempotency keys a day; a shopper's retried checkout comes within minutes.
	idempotencyKeys: 30,
	// Long enough for an operator to look into a failure; the bodies can hold customers' messages,
	// contacts and order details, so not forever.
	deadLetters: 30,
	// The merchant's delivery log (each row keeps the body sent) and its attempts, once finished;
	// counted from the delivery's creation (its retries end within a day of it).
	finishedWebhookDeliveries: 30,
} as const;

/**
 * Consumers whose markers are never purged: commerce.delivery-events marks the courier's own
 * event ids, and a signed callback carries no time Oja could refuse a stale one by, so a replay
 * months later must still find its marker. (A few hundred bytes per delivery, not per event.)
 */
export const KEPT_MARKERS = ["commerce.delivery-events"] as const;

export type Purged = Record<keyof typeof RETENTION_DAYS, number>;

/** Deletes one chunk of expired rows from each table, in one transaction; returns how many went. */
export async function purgeExpired(db: Database, now: Date = new Date()): Promise<Purged> {
	const before = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
	const chunk = (table: string, condition: ReturnType<typeof sql>) =>
		db.execute<{ n: string | number }>(sql`
			WITH gone AS (
				DELETE FROM ${sql.identifier(table)} WHERE ctid = ANY(ARRAY(
					SELECT ctid FROM ${sql.identifier(table)} WHERE ${condition} LIMIT ${CHUNK}
				))
				RETURNING 1
			)
			SELECT count(*) AS n FROM gone`);
	const results = await db.batch([
		chunk("outbox", sql`published_at IS NOT NULL AND published_at < ${before(RETENTION_DAYS.publishedOutbox)}::timestamptz`),
		chunk(
			"processed_messages",
			sql`created_at < ${before(RETENTION_DAYS.processedMessages)}::timestamptz
				AND consumer <> ALL(${sql.param([...KEPT_MARKERS])}::text[])`,
		),
		chunk("idempotency_keys", sql`created_at < ${before(RETENTION_DAYS.idempotencyKeys)}::timestamptz`),
		chunk("dead_letters", sql`created_at < ${before(RETENTION_DAYS.deadLetters)}::timestamptz`),
		chunk(
			"webhook_deliveries",
			sql`status IN ('succeeded', 'failed') AND created_at < ${before(RETENTION_DAYS.finishedWebhookDeliveries)}::timestamptz`,
		),
	]);
	const count = (i: number) => Number(results[i]?.rows[0]?.n ?? 0);
	return {
		publishedOutbox: count(0),
		processedMessages: count(1),
		idempotencyKeys: count(2),
		deadLetters: count(3),
		finishedWebhookDeliveries: count(4),
	};
}
