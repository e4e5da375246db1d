import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

/**
 * The transactional outbox. A domain write inserts its events here in the same batch
 * transaction, so an event exists if and only if its write committed. The relay publishes
 * unpublished rows to Queues and stamps `published_at`.
 */
export const outbox = pgTable(
	"outbox",
	{
		id: text("id").primaryKey(),
		type: text("type").notNull(),
		// Platform-level events (e.g. an operator action) have no store.
		storeId: text("store_id"),
		aggregateId: text("aggregate_id").notNull(),
		sequence: bigint("sequence", { mode: "number" }).notNull(),
		payload: jsonb("payload").notNull(),
		requestId: text("request_id"),
		occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
		publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }),
		// A relay claims rows for a short lease so two relays (waitUntil + cron) don't race.
		claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "date" }),
		publishAttempts: integer("publish_attempts").notNull().default(0),
	},
	(t) => [
		uniqueIndex("outbox_aggregate_sequence_key").on(t.aggregateId, t.sequence),
		index("outbox_unpublished_idx").on(t.occurredAt).where(sql`${t.publishedAt} is null`),
		index("outbox_store_id_idx").on(t.storeId),
		// Retention (migration 0027, workers/ops/src/retention.ts).
		index("outbox_published_idx").on(t.publishedAt).where(sql`${t.publishedAt} is not null`),
	],
);

/** One row per aggregate: the last sequence number handed out, bumped under a row lock. */
export const aggregateSequences = pgTable("aggregate_sequences", {
	aggregateId: text("aggregate_id").primaryKey(),
	lastSequence: bigint("last_sequence", { mode: "number" }).notNull(),
});

/** Idempotency record: a consumer's effect and this row commit together, exactly once per event. */
export const processedMessages = pgTable(
	"processed_messages",
	{
		consumer: text("consumer").notNull(),
		eventId: text("event_id").notNull(),
		processedAt: createdAt(),
	},
	(t) => [
		primaryKey({ columns: [t.consumer, t.eventId], name: "processed_messages_pkey" }),
		index("processed_messages_created_at_idx").on(t.processedAt),
	],
);

/** Per-consumer, per-aggregate high-water mark for consumers that need order. */
export const consumerCursors = pgTable(
	"consumer_cursors",
	{
		consumer: text("consumer").notNull(),
		aggregateId: text("aggregate_id").notNull(),
		lastSequence: bigint("last_sequence", { mode: "number" }).notNull(),
	},
	(t) => [primaryKey({ columns: [t.consumer, t.aggregateId], name: "consumer_cursors_pkey" })],
);

/**
 * The ops Worker's record of every domain event, for support and audit. It is also the
 * first consumer built on the consumer helper.
 */
export const eventLog = pgTable(
	"event_log",
	{
		eventId: text("event_id").primaryKey(),
		type: text("type").notNull(),
		storeId: text("store_id"),
		aggregateId: text("aggregate_id").notNull(),
		sequence: bigint("sequence", { mode: "number" }).notNull(),
		payload: jsonb("payload").notNull(),
		occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "date" }).notNull(),
		receivedAt: createdAt(),
	},
	(t) => [index("event_log_store_id_idx").on(t.storeId, t.occurredAt)],
);

/**
 * Messages that exhausted their retries, captured from every dead-letter queue so an
 * operator can see why and replay them. Keyed by the queue's message id, so a DLQ message
 * delivered twice is recorded once.
 */
export const deadLetters = pgTable(
	"dead_letters",
	{
		messageId: text("message_id").primaryKey(),
		queue: text("queue").notNull(),
		eventId: text("event_id"),
		body: jsonb("body"),
		attempts: integer("attempts").notNull(),
		receivedAt: createdAt(),
		replayedAt: timestamp("replayed_at", { withTimezone: true, mode: "date" }),
	},
	(t) => [index("dead_letters_queue_idx").on(t.queue, t.receivedAt), index("dead_letters_created_at_idx").on(t.receivedAt)],
);
