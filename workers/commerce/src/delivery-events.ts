import { errorSummary, ProblemError, type RequestContext } from "@oja/contracts";
import { type Database, newId } from "@oja/db";
import { DeliveryWebhookEvent } from "@oja/delivery";
import { appendEvent, backoffSeconds, type NewEvent, type RetryPolicy } from "@oja/events";
import { type SQL, sql } from "drizzle-orm";
import { loadState, transition } from "./orders.ts";

// oja-delivery-events → courier progress on orders. The gateway verified the provider's
// signature on POST /webhooks/delivery and put the parsed DeliveryWebhookEvent here without
// touching the database; this consumer does the rest:
//
//   task.assigned  → timeline row "rider assigned", event delivery.assigned
//   task.picked_up → the order is fulfilled (the fulfil transition for every line still
//                    unfulfilled: stock leaves on hand and reserved together), the fulfilment
//                    becomes `shipped`, timeline row, event delivery.picked_up
//   task.delivered → fulfilled first if the pick-up callback has not been applied (callbacks
//                    arrive out of order), then markDelivered (the order completes if it is
//                    also paid: the pure machine decides), fulfilment `delivered`, timeline
//                    row, event delivery.completed
//   task.cancelled / task.failed → fulfilment `cancelled` unless already delivered, timeline
//                    row; the order stays open for the merchant to fulfil another way.
//
// Exactly once per callback: (consumer, eventId) goes into processed_messages in the same batch
// as the last write of the step, so a duplicate callback (the provider retries, the queue
// redelivers) finds the marker and is acked. Steps with two transitions (delivered before
// picked-up was applied) are each idempotent on their own: the second run sees the order
// already fulfilled and skips to markDelivered. Fulfilment statuses only move forward
// (pending → shipped → delivered), so a late picked-up never undoes a delivered.
//
// An event for a task we do not know (no fulfilment with that id and task id) is retried, then
// dead-lettered, not dropped: the provider can call back before the booking's insert commits
// (the task exists at the provider a moment before our row does), and retrying covers that
// race; a task that never appears is worth an operator's look (ops records the DLQ). A
// transition the order no longer allows (it was cancelled, say) is a fact to record, not a
// failure: it is logged, marked processed and acked, since retrying cannot change the answer.

const CONSUMER = "commerce.delivery-events";

/** Its name is what the retry log shows (errorSummary logs names, never messages). */
class UnknownDeliveryTask extends Error {
	override name = "UnknownDeliveryTask";
}

interface FulfilmentRow extends Record<string, unknown> {
	id: string;
	store_id: string;
	order_id: string;
	status: "pending" | "shipped" | "delivered" | "cancelled";
}

const marker = (eventId: string) => sql`INSERT INTO processed_messages (consumer, event_id) VALUES (${CONSUMER}, ${eventId})`;

const timeline = (f: FulfilmentRow, reason: string, details: Record<string, unknown>, ctx: RequestContext) =>
	sql`INSERT INTO order_timeline (id, store_id, order_id, kind, actor, reason, details, request_id)
		VALUES (${newId("timeline")}, ${f.store_id}, ${f.order_id}, 'courier', 'courier', ${reason},
			${JSON.stringify(details)}::jsonb, ${ctx.requestId})`;

/** Moves the fulfilment forward only: a late or repeated callback never moves it back. */
const fulfilmentTo = (f: FulfilmentRow, status: "shipped" | "delivered" | "cancelled") => {
	const from = status === "shipped" ? ["pending"] : status === "delivered" ? ["pending", "shipped"] : ["pending", "shipped"];
	return sql`UPDATE fulfilments SET status = ${status}, updated_at = now()
		WHERE id = ${f.id} AND status IN (${sql.join(
			from.map((s) => sql`${s}`),
			sql`, `,
		)})`;
};

export type DeliveryOutcome = "processed" | "duplicate" | "ignored";

/** Applies one provider callback. Throws on anything worth retrying. */
export async function applyDeliveryEvent(
	db: Database,
	event: DeliveryWebhookEvent,
	ctx: RequestContext,
): Promise<{ outcome: DeliveryOutcome; eventIds: string[] }> {
	const [seen, found] = await db.batch([
		db.execute(sql`SELECT 1 FROM processed_messages WHERE consumer = ${CONSUMER} AND event_id = ${event.eventId}`),
		db.execute<FulfilmentRow>(sql`SELECT id, store_id, order_id, status FROM fulfilments
			WHERE id = ${event.reference} AND delivery_task_id = ${event.taskId}`),
	]);
	if (seen.rows.length > 0) return { outcome: "duplicate", eventIds: [] };
	const f = found.rows[0];
	if (!f) throw new UnknownDeliveryTask();
	const { store_id: storeId, order_id: orderId } = f;
	const base = { storeId, orderId, fulfilmentId: f.id, taskId: event.taskId, occurredAt: event.occurredAt };
	const details = { fulfilmentId: f.id, taskId: event.taskId, event: event.event, occurredAt: event.occurredAt };

	/** Writes the statements with the marker (and events) in one batch. */
	const commit = async (statements: SQL[], events: NewEvent[]) => {
		const results = await db.batch([
			db.execute(marker(event.eventId)),
			...statements.map((s) => db.execute(s)),
			...events.map((e) => appendEvent(db, e, ctx.requestId)),
		]);
		return results.slice(1 + statements.length).flatMap((r) => r.rows.map((row) => String((row as { id: unknown }).id)));
	};

	switch (event.event) {
		case "task.assigned": {
			const rider = event.rider ?? null;
			const eventIds = await commit(
				[timeline(f, rider ? `rider assigned: ${rider.name}` : "rider assigned", { ...details, rider }, ctx)],
				[{ type: "delivery.assigned", storeId, aggregateId: orderId, payload: { ...base, rider } }],
			);
			return { outcome: "processed", eventIds };
		}
		case "task.picked_up": {
			const step = await pickedUp(db, f, ctx, {
				statements: [marker(event.eventId), fulfilmentTo(f, "shipped"), timeline(f, "picked up by the rider", details, ctx)],
				events: [{ type: "delivery.picked_up", storeId, aggregateId: orderId, payload: base }],
			});
			if (step) return step;
			// Already fulfilled (by the merchant, or a delivered callback that came first).
			const eventIds = await commit(
				[fulfilmentTo(f, "shipped"), timeline(f, "picked up by the rider", details, ctx)],
				[{ type: "delivery.picked_up", storeId, aggregateId: orderId, payload: base }],
			);
			return { outcome: "processed", eventIds };
		}
		case "task.delivered": {
			// Delivered implies picked up: apply the fulfilment first if its callback is late.
			const fulfilled = await pickedUp(db, f, ctx, { statements: [fulfilmentTo(f, "shipped")], events: [] });
			const done = [fulfilmentTo(f, "delivered"), timeline(f, "delivered by the rider", details, ctx)];
			const completed: NewEvent = { type: "delivery.completed", storeId, aggregateId: orderId, payload: base };
			const loaded = await loadState(db, storeId, orderId);
			const undelivered = loaded.lines.some((l) => l.fulfilled_quantity > l.delivered_quantity);
			if (undelivered) {
				try {
					const result = await transition(db, {
						loaded,
						command: { type: "markDelivered" },
						actor: "courier",
						reason: "delivered by the courier",
						ctx,
						extra: () => [marker(event.eventId), ...done],
						extraEvents: [completed],
					});
					return { outcome: "processed", eventIds: [...(fulfilled?.eventIds ?? []), ...result.eventIds] };
				} catch (error) {
					if (!isIllegal(error)) throw error;
					return ignore(event, orderId, error, commit);
				}
			}
			const eventIds = await commit(done, [completed]);
			return { outcome: "processed", eventIds: [...(fulfilled?.eventIds ?? []), ...eventIds] };
		}
		case "task.cancelled":
		case "task.failed": {
			const reason = event.event === "task.cancelled" ? "courier cancelled the delivery" : "courier could not deliver";
			await commit([fulfilmentTo(f, "cancelled"), timeline(f, reason, details, ctx)], []);
			return { outcome: "processed", eventIds: [] };
		}
	}
}

/**
 * The fulfil transition for every line still unfulfilled, with `with` in the same batch; null
 * when there is nothing left to fulfil (nothing written).
 */
async function pickedUp(
	db: Database,
	f: FulfilmentRow,
	ctx: RequestContext,
	with_: { statements: SQL[]; events: NewEvent[] },
): Promise<{ outcome: DeliveryOutcome; eventIds: string[] } | null> {
	const loaded = await loadState(db, f.store_id, f.order_id);
	const lines = loaded.lines
		.map((l) => ({ lineId: l.id, quantity: l.quantity - l.fulfilled_quantity }))
		.filter((l) => l.quantity > 0);
	if (lines.length === 0) return null;
	try {
		const result = await transition(db, {
			loaded,
			command: { type: "fulfil", lines },
			actor: "courier",
			reason: "picked up by the courier",
			ctx,
			extra: () => with_.statements,
			extraEvents: with_.events,
		});
		return { outcome: "processed", eventIds: result.eventIds };
	} catch (error) {
		// A cancelled or expired order: nothing to fulfil, and retrying will not change that.
		if (isIllegal(error)) return null;
		throw error;
	}
}

function isIllegal(error: unknown): boolean {
	return error instanceof ProblemError && error.problem.extensions?.code === "illegal-transition";
}

async function ignore(
	event: DeliveryWebhookEvent,
	orderId: string,
	error: unknown,
	commit: (statements: SQL[], events: NewEvent[]) => Promise<string[]>,
): Promise<{ outcome: DeliveryOutcome; eventIds: string[] }> {
	console.log(
		JSON.stringify({
			level: "warn",
			msg: "courier.event_ignored",
			orderId,
			event: event.event,
			eventId: event.eventId,
			reason: errorSummary(error),
		}),
	);
	await commit([], []);
	return { outcome: "ignored", eventIds: [] };
}

/**
 * The oja-delivery-events queue handler: one callback per message, in order. A failure is
 * retried with exponential backoff; after max_retries the message goes to
 * oja-delivery-events-dlq (recorded by ops).
 */
export async function consumeDeliveryEvents(
	batch: MessageBatch<unknown>,
	deps: { db: Database; retry: RetryPolicy; published: (eventIds: string[]) => void },
): Promise<void> {
	for (const message of batch.messages) {
		const parsed = DeliveryWebhookEvent.safeParse(message.body);
		const retry = (reason: string) => {
			const delaySeconds = backoffSeconds(message.attempts, deps.retry);
			console.log(
				JSON.stringify({
					level: "warn",
					msg: "queue.retry",
					consumer: CONSUMER,
					queue: batch.queue,
					messageId: message.id,
					attempt: message.attempts,
					delaySeconds,
					reason,
				}),
			);
			message.retry({ delaySeconds });
		};
		if (!parsed.success) {
			retry("invalid delivery event");
			continue;
		}
		try {
			const { eventIds } = await applyDeliveryEvent(deps.db, parsed.data, { requestId: `delivery-${parsed.data.eventId}` });
			deps.published(eventIds);
			message.ack();
		} catch (error) {
			retry(errorSummary(error));
		}
	}
}
