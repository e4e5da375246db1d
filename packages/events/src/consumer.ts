import { errorSummary } from "@oja/contracts";
import { type Database, isUniqueViolation, schema } from "@oja/db";
import { and, eq, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type AnyTypedEnvelope, parseEnvelope } from "./contracts.ts";

export interface RetryPolicy {
	/** First retry delay; doubles each attempt. 0 retries at once (tests). */
	baseDelaySeconds: number;
	maxDelaySeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelaySeconds: 5, maxDelaySeconds: 15 * 60 };

/** Exponential backoff with full jitter ceiling: base·2^(attempt−1), capped. */
export function backoffSeconds(attempt: number, policy: RetryPolicy): number {
	if (policy.baseDelaySeconds <= 0) return 0;
	const exp = policy.baseDelaySeconds * 2 ** Math.max(0, attempt - 1);
	return Math.min(Math.round(exp), policy.maxDelaySeconds);
}

/**
 * Retries a queue message with exponential backoff and logs why: the error's name, code and
 * constraint (errorSummary), never its message, which can quote SQL parameters.
 */
export function retryWithBackoff(
	queue: string,
	message: Pick<Message<unknown>, "id" | "attempts" | "retry">,
	policy: RetryPolicy,
	log: (line: Record<string, unknown>) => void,
	error: unknown,
): void {
	const delaySeconds = backoffSeconds(message.attempts, policy);
	log({
		level: "error",
		msg: "queue.retry",
		queue,
		messageId: message.id,
		attempt: message.attempts,
		delaySeconds,
		error: errorSummary(error),
	});
	message.retry({ delaySeconds });
}

export interface HandlerContext {
	db: Database;
	/** 1 on first delivery; handlers may use it to vary external side effects. */
	attempt: number;
}

/**
 * A handler returns the statements that make its effect; the helper commits them in one
 * batch with the idempotency record, so the effect happens exactly once per event id even
 * though Queues deliver at least once. Side effects outside Postgres must themselves be
 * idempotent (keyed by event id) because a retry may repeat them.
 */
export type EventHandler = (event: AnyTypedEnvelope, ctx: HandlerContext) => Promise<BatchItem<"pg">[]> | BatchItem<"pg">[];

export interface ConsumerOptions {
	/** Stable name: the idempotency key is (consumer, event id). */
	consumer: string;
	db: Database;
	handle: EventHandler;
	retry?: RetryPolicy;
	/**
	 * Ordered consumers hold back an event whose aggregate has an earlier, unprocessed
	 * sequence (retrying it later) and skip anything at or below the high-water mark.
	 */
	ordered?: boolean;
	log?: (line: Record<string, unknown>) => void;
}

export type MessageOutcome = "processed" | "duplicate" | "retried";

/**
 * Processes a queue batch message by message: ack on success or duplicate; on failure,
 * retry with exponential backoff. After the queue's `max_retries` Cloudflare moves the
 * message to the queue's dead-letter queue, so a poison message cannot block the rest.
 */
export async function consumeBatch(batch: MessageBatch<unknown>, options: ConsumerOptions): Promise<MessageOutcome[]> {
	const processed = await processedIn(batch.messages, options);
	// Events whose handler wrote nothing (its effects are outside Postgres, idempotent by event
	// id): their markers are written together once the batch is through, one round trip instead
	// of one each, and only then acked. Ordered consumers keep a marker per event with its cursor.
	const deferred: DeferredMarker[] | null = options.ordered ? null : [];
	const outcomes: MessageOutcome[] = [];
	// Sequential on purpose: events in one batch may belong to the same aggregate.
	for (const message of batch.messages) {
		outcomes.push(await consumeMessage(message, batch.queue, options, processed, deferred));
	}
	if (deferred && deferred.length > 0) {
		try {
			// ON CONFLICT: a concurrent delivery of one of these events marked it first. Its effects
			// ran twice, as they would have before (they run before any marker), and are idempotent.
			await options.db
				.insert(schema.processedMessages)
				.values(deferred.map((d) => ({ consumer: options.consumer, eventId: d.eventId })))
				.onConflictDoNothing();
			for (const d of deferred) d.message.ack();
		} catch (error) {
			// Unmarked, so every one of them runs again on its retry (its effects are idempotent).
			for (const d of deferred) outcomes[batch.messages.indexOf(d.message)] = d.retry(errorSummary(error));
		}
	}
	return outcomes;
}

interface DeferredMarker {
	message: Message<unknown>;
	eventId: string;
	retry: (reason: string) => MessageOutcome;
}

/**
 * The batch's event ids this consumer has already processed, read in one round trip instead of
 * one per message (a batch of order events is many orders' worth). Null when it is not read up
 * front (ordered consumers read their cursor per message anyway; a failed read falls back to the
 * per-message check). The marker's primary key stays the guarantee: this only skips work early.
 */
async function processedIn(messages: readonly Message<unknown>[], options: ConsumerOptions): Promise<Set<string> | null> {
	if (options.ordered || messages.length < 2) return null;
	const ids = [...new Set(messages.flatMap((m) => (isObject(m.body) && typeof m.body.id === "string" ? [m.body.id] : [])))];
	if (ids.length === 0) return null;
	try {
		const rows = await options.db
			.select({ eventId: schema.processedMessages.eventId })
			.from(schema.processedMessages)
			.where(and(eq(schema.processedMessages.consumer, options.consumer), inArray(schema.processedMessages.eventId, ids)));
		return new Set(rows.map((r) => r.eventId));
	} catch {
		return null;
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null;
}

async function consumeMessage(
	message: Message<unknown>,
	queue: string,
	options: ConsumerOptions,
	processed: Set<string> | null = null,
	deferred: DeferredMarker[] | null = null,
): Promise<MessageOutcome> {
	const { db, consumer } = options;
	const policy = options.retry ?? DEFAULT_RETRY;
	const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
	const retry = (reason: string): MessageOutcome => {
		const delaySeconds = backoffSeconds(message.attempts, policy);
		log({
			level: "warn",
			msg: "queue.retry",
			consumer,
			queue,
			messageId: message.id,
			attempt: message.attempts,
			delaySeconds,
			reason,
		});
		message.retry({ delaySeconds });
		return "retried";
	};

	// An invalid message is retried like any failure rather than dropped: during a deploy a
	// newer producer can emit an event this consumer learns a moment later. If it never
	// becomes valid, max_retries sends it to the dead-letter queue for an operator.
	const parsed = parseEnvelope(message.body);
	if (!parsed.ok) return retry(parsed.reason);
	const event = parsed.event;

	try {
		const seen = processed
			? processed.has(event.id)
			: (
					await db
						.select({ eventId: schema.processedMessages.eventId })
						.from(schema.processedMessages)
						.where(and(eq(schema.processedMessages.consumer, consumer), eq(schema.processedMessages.eventId, event.id)))
						.limit(1)
				).length > 0;
		// An event already deferred in this batch is a duplicate too (when the up-front read
		// failed, `processed` is null and its marker is not written yet).
		if (seen || deferred?.some((d) => d.eventId === event.id)) {
			message.ack();
			return "duplicate";
		}

		const cursorStatements: BatchItem<"pg">[] = [];
		if (options.ordered) {
			const [cursor] = await db
				.select({ last: schema.consumerCursors.lastSequence })
				.from(schema.consumerCursors)
				.where(and(eq(schema.consumerCursors.consumer, consumer), eq(schema.consumerCursors.aggregateId, event.aggregateId)));
			const last = cursor?.last ?? 0;
			if (event.sequence <= last) {
				message.ack();
				return "duplicate";
			}
			if (event.sequence > last + 1) return retry(`out of order: have ${last}, got ${event.sequence}`);
			cursorStatements.push(
				db
					.insert(schema.consumerCursors)
					.values({ consumer, aggregateId: event.aggregateId, lastSequence: event.sequence })
					.onConflictDoUpdate({
						target: [schema.consumerCursors.consumer, schema.consumerCursors.aggregateId],
						set: { lastSequence: event.sequence },
					}),
			);
		}

		const effects = await options.handle(event, { db, attempt: message.attempts });
		if (effects.length === 0 && deferred) {
			deferred.push({ message, eventId: event.id, retry });
			// The same event again in this batch is a duplicate without running the handler again.
			processed?.add(event.id);
			return "processed";
		}
		// The marker goes first without ON CONFLICT: if a concurrent delivery of the same
		// event committed in between, the unique violation rolls back this whole batch.
		const marker = db.insert(schema.processedMessages).values({ consumer, eventId: event.id });
		await db.batch([marker, ...cursorStatements, ...effects] as [BatchItem<"pg">, ...BatchItem<"pg">[]]);
		// The same event twice in one batch: the second is a duplicate without running the handler again.
		processed?.add(event.id);
		message.ack();
		return "processed";
	} catch (error) {
		if (isUniqueViolation(error, "processed_messages_pkey")) {
			processed?.add(event.id);
			message.ack();
			return "duplicate";
		}
		// The summary (names and codes), never the message: a query error's carries its parameters.
		return retry(errorSummary(error));
	}
}
