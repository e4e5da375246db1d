import { errorSummary } from "@oja/contracts";
import type { Database } from "@oja/db";
import { type AnyTypedEnvelope, backoffSeconds, parseEnvelope, type RetryPolicy } from "@oja/events";
import { sql } from "drizzle-orm";

/** The idempotency records' consumer name (processed_messages). */
export const EVENT_LOG_CONSUMER = "ops.event-log";

/**
 * oja-events → the platform event log, a whole batch in ONE statement. Not `consumeBatch`
 * (a lookup and a two-statement batch per event): the effect is a row keyed by the event id,
 * so `ON CONFLICT DO NOTHING` already makes a redelivery a no-op, and the processed_messages
 * marks go in the same statement. A checkout's two events cost the log one round trip per
 * batch of up to 50, not four per order. Order within a batch does not matter to a log.
 *
 * An invalid message is retried, not dropped (a newer producer may be ahead of this consumer),
 * and reaches the dead-letter queue after max_retries. If the statement fails, every valid
 * message of the batch is retried with backoff; none was logged (one statement, one transaction).
 */
export async function recordEvents(
	db: Database,
	batch: MessageBatch<unknown>,
	retry: RetryPolicy,
	log: (line: Record<string, unknown>) => void = (line) => console.log(JSON.stringify(line)),
): Promise<{ logged: number }> {
	const later = (message: Message<unknown>, reason: string) => {
		const delaySeconds = backoffSeconds(message.attempts, retry);
		log({
			level: "warn",
			msg: "queue.retry",
			consumer: EVENT_LOG_CONSUMER,
			queue: batch.queue,
			messageId: message.id,
			attempt: message.attempts,
			delaySeconds,
			reason,
		});
		message.retry({ delaySeconds });
	};
	const valid: { message: Message<unknown>; event: AnyTypedEnvelope }[] = [];
	for (const message of batch.messages) {
		const parsed = parseEnvelope(message.body);
		if (parsed.ok) valid.push({ message, event: parsed.event });
		else later(message, parsed.reason);
	}
	if (valid.length === 0) return { logged: 0 };
	const rows = JSON.stringify(
		valid.map(({ event }) => ({
			event_id: event.id,
			type: event.type,
			store_id: event.storeId,
			aggregate_id: event.aggregateId,
			sequence: event.sequence,
			payload: event.payload,
			occurred_at: event.occurredAt,
		})),
	);
	try {
		await db.execute(sql`
			WITH e AS (
				SELECT DISTINCT ON (event_id) * FROM jsonb_to_recordset(${rows}::jsonb)
					AS e(event_id text, type text, store_id text, aggregate_id text, sequence bigint, payload jsonb, occurred_at timestamptz)
			), logged AS (
				INSERT INTO event_log (event_id, type, store_id, aggregate_id, sequence, payload, occurred_at)
				SELECT event_id, type, store_id, aggregate_id, sequence, payload, occurred_at FROM e
				ON CONFLICT (event_id) DO NOTHING
			)
			INSERT INTO processed_messages (consumer, event_id)
			SELECT ${EVENT_LOG_CONSUMER}, event_id FROM e
			ON CONFLICT DO NOTHING`);
	} catch (error) {
		// The summary (names and codes), never the message: a query error's carries its parameters.
		for (const { message } of valid) later(message, errorSummary(error));
		return { logged: 0 };
	}
	for (const { message } of valid) message.ack();
	return { logged: valid.length };
}
