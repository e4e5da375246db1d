import { type Database, schema } from "@oja/db";
import type { AnyTypedEnvelope } from "@oja/events";

/** The event log's effect: one row per event, written with its idempotency record. */
export function recordEvent(db: Database, event: AnyTypedEnvelope) {
	return [
		db.insert(schema.eventLog).values({
			eventId: event.id,
			type: event.type,
			storeId: event.storeId,
			aggregateId: event.aggregateId,
			sequence: event.sequence,
			payload: event.payload,
			occurredAt: new Date(event.occurredAt),
		}),
	];
}
