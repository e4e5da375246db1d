import { type Database, schema } from "@oja/db";
import { storableBody } from "@oja/events";

/**
 * What is kept of a dead letter's body. An email's link carries a working capability (an order
 * token that never expires, a password-reset token) that Postgres otherwise holds only hashed:
 * the token is cut from it. Nothing replays dead letters; an operator reads them to see why.
 */
function keptBody(queue: string, raw: unknown): unknown {
	const body = storableBody(raw);
	if (!queue.startsWith("oja-email")) return body;
	return JSON.parse(
		JSON.stringify(body, (key, value) => (key === "link" && typeof value === "string" ? redactToken(value) : value)),
	);
}

function redactToken(link: string): string {
	return link.replace(/([?#&]token=)[^&#]*/g, "$1[redacted]");
}

/** Records every dead-lettered message; the DLQ's own retries make this at-least-once too. */
export async function recordDeadLetters(db: Database, batch: MessageBatch<unknown>): Promise<void> {
	if (batch.messages.length === 0) return;
	const rows = batch.messages.map((m) => {
		const body = storableBody(m.body) as { id?: unknown } | null;
		return {
			messageId: m.id,
			queue: batch.queue,
			eventId: body && typeof body === "object" && typeof body.id === "string" ? body.id : null,
			body: keptBody(batch.queue, m.body),
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
