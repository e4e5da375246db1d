import { type Database, schema } from "@oja/db";

/** Records every dead-lettered message; the DLQ's own retries make this at-least-once too. */
export async function recordDeadLetters(db: Database, batch: MessageBatch<unknown>): Promise<void> {
	if (batch.messages.length === 0) return;
	const rows = batch.messages.map((m) => {
		const body = m.body as { id?: unknown } | null;
		return {
			messageId: m.id,
			queue: batch.queue,
			eventId: body && typeof body === "object" && typeof body.id === "string" ? body.id : null,
			body: m.body ?? null,
			attempts: m.attempts,
		};
	});
	await db.insert(schema.deadLetters).values(rows).onConflictDoNothing();
	console.error(
		JSON.stringify({
			level: "error",
			msg: "queue.dead_lettered",
			queue: batch.queue,
			count: rows.length,
			messageIds: rows.map((r) => r.messageId),
		}),
	);
	batch.ackAll();
}
