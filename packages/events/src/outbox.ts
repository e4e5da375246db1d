import { type Database, newId } from "@oja/db";
import { sql } from "drizzle-orm";
import { EVENT_PAYLOADS, type NewEvent } from "./contracts.ts";

/**
 * The statement that appends one event to the outbox, for the caller to put in the same
 * `db.batch([...])` as the write it describes: both commit or neither does.
 *
 * The per-aggregate sequence comes from an upsert on `aggregate_sequences`; its row lock
 * serialises concurrent writers of one aggregate, so sequences are gap-free and unique
 * even under READ COMMITTED.
 */
export function appendEvent(db: Database, event: NewEvent, requestId: string | null) {
	// Producers are checked too: an event that fails its own contract is a bug, caught
	// before anything commits.
	EVENT_PAYLOADS[event.type].parse(event.payload);
	const id = newId("event");
	return db.execute(sql`
		WITH seq AS (
			INSERT INTO aggregate_sequences (aggregate_id, last_sequence) VALUES (${event.aggregateId}, 1)
			ON CONFLICT (aggregate_id) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1
			RETURNING last_sequence
		)
		INSERT INTO outbox (id, type, store_id, aggregate_id, sequence, payload, request_id)
		SELECT ${id}, ${event.type}, ${event.storeId}, ${event.aggregateId}, seq.last_sequence,
			${JSON.stringify(event.payload)}::jsonb, ${requestId}
		FROM seq
		RETURNING id`);
}
