import { type Database, newId } from "@oja/db";
import { type SQL, sql } from "drizzle-orm";
import { EVENT_PAYLOADS, type NewEvent } from "./contracts.ts";

/**
 * Appended already claimed for this long by the writer's own relay (relay.ts, publishClaimed):
 * it publishes the rows the batch returned without a claim round trip, and the sweep leaves them
 * alone until the claim lapses (then sends them, should that relay have died).
 */
export interface ClaimForRelay {
	claimSeconds: number;
}

/** Every column the relay sends: appended events come back whole, to publish without a read. */
const RETURNING_ROW = sql`RETURNING id, type, store_id, aggregate_id, sequence, payload, request_id, occurred_at`;
const claimedUntil = (claim: ClaimForRelay | undefined) =>
	claim ? sql`now() + make_interval(secs => ${claim.claimSeconds})` : sql`NULL`;

/**
 * The statement that appends one event to the outbox, for the caller to put in the same
 * `db.batch([...])` as the write it describes: both commit or neither does.
 *
 * The per-aggregate sequence comes from an upsert on `aggregate_sequences`; its row lock
 * serialises concurrent writers of one aggregate, so sequences are gap-free and unique
 * even under READ COMMITTED.
 */
export function appendEvent(db: Database, event: NewEvent, requestId: string | null, claim?: ClaimForRelay) {
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
		INSERT INTO outbox (id, type, store_id, aggregate_id, sequence, payload, request_id, claimed_until)
		SELECT ${id}, ${event.type}, ${event.storeId}, ${event.aggregateId}, seq.last_sequence,
			${JSON.stringify(event.payload)}::jsonb, ${requestId}, ${claimedUntil(claim)}
		FROM seq
		${RETURNING_ROW}`);
}

/**
 * Like appendEvent, for an event whose payload only the batch itself knows (e.g. stock levels
 * an earlier statement of the same transaction changed): `payload` is a SQL expression
 * evaluated inside the statement. If it evaluates to NULL, no event is written, so a change
 * that changed nothing emits nothing. Consumers parse it against its contract as always.
 */
export function appendEventFromSql(
	db: Database,
	event: { type: NewEvent["type"]; storeId: string | null; aggregateId: string },
	payload: SQL,
	requestId: string | null,
	claim?: ClaimForRelay,
) {
	const id = newId("event");
	return db.execute(sql`
		WITH body AS (SELECT (${payload})::jsonb AS payload),
		seq AS (
			INSERT INTO aggregate_sequences (aggregate_id, last_sequence)
			SELECT ${event.aggregateId}, 1 FROM body WHERE body.payload IS NOT NULL
			ON CONFLICT (aggregate_id) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1
			RETURNING last_sequence
		)
		INSERT INTO outbox (id, type, store_id, aggregate_id, sequence, payload, request_id, claimed_until)
		SELECT ${id}, ${event.type}, ${event.storeId}, ${event.aggregateId}, seq.last_sequence, body.payload, ${requestId},
			${claimedUntil(claim)}
		FROM seq, body
		${RETURNING_ROW}`);
}
