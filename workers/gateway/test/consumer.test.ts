import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { type Database, newId, schema } from "@oja/db";
import { type AnyTypedEnvelope, backoffSeconds, consumeBatch, type EventEnvelope } from "@oja/events";
import { databaseWork, testDb } from "@oja/test-helpers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordEvents } from "../../ops/src/event-log.ts";

// The consumer helper against the real database, with hand-built batches so each message's
// ack/retry decision is visible.

function event(aggregateId: string, sequence: number, id = newId("event")): EventEnvelope {
	return {
		id,
		type: "identity.user.created",
		storeId: null,
		aggregateId,
		sequence,
		occurredAt: new Date().toISOString(),
		requestId: null,
		payload: { userId: aggregateId, email: "a@b.co" },
	};
}

function batchOf(events: unknown[], attempts = 1) {
	return createMessageBatch(
		"oja-events",
		events.map((body, i) => ({ id: `msg-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
	);
}

/** A handler whose effect is a row in event_log, so "exactly once" is countable. */
function logHandler(seen: AnyTypedEnvelope[]) {
	const db = testDb();
	return (e: AnyTypedEnvelope) => {
		seen.push(e);
		return [
			db.insert(schema.eventLog).values({
				eventId: `${e.id}:test`,
				type: e.type,
				storeId: e.storeId,
				aggregateId: e.aggregateId,
				sequence: e.sequence,
				payload: e.payload,
				occurredAt: new Date(e.occurredAt),
			}),
		];
	};
}

describe("consumeBatch", () => {
	it("acks duplicates without re-applying the effect", async () => {
		const e = event(newId("user"), 1);
		const seen: AnyTypedEnvelope[] = [];
		const options = { consumer: "test.dupes", db: testDb(), handle: logHandler(seen) };
		const first = batchOf([e, e]);
		expect(await consumeBatch(first, options)).toEqual(["processed", "duplicate"]);
		const result = await getQueueResult(first, createExecutionContext());
		expect(result.explicitAcks).toHaveLength(2);
		expect(await consumeBatch(batchOf([e]), options)).toEqual(["duplicate"]);
		expect(seen).toHaveLength(1);
		const rows = await testDb()
			.select()
			.from(schema.eventLog)
			.where(eq(schema.eventLog.eventId, `${e.id}:test`));
		expect(rows).toHaveLength(1);
	});

	it("reads a batch's processed ids up front, and still applies each new event once", async () => {
		const old = event(newId("user"), 1);
		const [a, b] = [event(newId("user"), 1), event(newId("user"), 1)];
		const seen: AnyTypedEnvelope[] = [];
		const options = { consumer: "test.prefetch", db: testDb(), handle: logHandler(seen) };
		expect(await consumeBatch(batchOf([old]), options)).toEqual(["processed"]);
		seen.length = 0;
		expect(await consumeBatch(batchOf([old, a, b, a, old]), options)).toEqual([
			"duplicate",
			"processed",
			"processed",
			"duplicate",
			"duplicate",
		]);
		expect(seen.map((e) => e.id)).toEqual([a.id, b.id]);
		const logged = await testDb()
			.select({ id: schema.eventLog.eventId })
			.from(schema.eventLog)
			.where(
				inArray(
					schema.eventLog.eventId,
					[old, a, b].map((e) => `${e.id}:test`),
				),
			);
		expect(logged).toHaveLength(3);
	});

	it("marks a batch whose handler writes nothing in one round trip, acking only after it", async () => {
		const events = Array.from({ length: 5 }, () => event(newId("user"), 1));
		const seen: string[] = [];
		// Effects outside Postgres (an email queued, a message sent): the handler returns no statements.
		const options = {
			consumer: "test.no-effects",
			db: testDb(),
			handle: (e: AnyTypedEnvelope) => {
				seen.push(e.id);
				return [];
			},
		};
		const first = events[0] as EventEnvelope;
		const batch = batchOf([...events, first]);
		const before = await databaseWork();
		expect(await consumeBatch(batch, options)).toEqual([
			"processed",
			"processed",
			"processed",
			"processed",
			"processed",
			"duplicate",
		]);
		// The processed ids read up front, then every marker in one INSERT.
		expect((await databaseWork()).requests - before.requests).toBe(2);
		expect(seen).toEqual(events.map((e) => e.id));
		expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toHaveLength(6);
		const marked = await testDb()
			.select({ id: schema.processedMessages.eventId })
			.from(schema.processedMessages)
			.where(
				inArray(
					schema.processedMessages.eventId,
					events.map((e) => e.id),
				),
			);
		expect(marked).toHaveLength(5);
		// Delivered again: all duplicates, the handler not run.
		expect(await consumeBatch(batchOf(events), options)).toEqual(Array(5).fill("duplicate"));
		expect(seen).toHaveLength(5);
	});

	it("retries a failing message with exponential backoff and commits nothing", async () => {
		const options = {
			consumer: "test.failing",
			db: testDb(),
			retry: { baseDelaySeconds: 5, maxDelaySeconds: 60 },
			handle: () => {
				throw new Error("downstream is down");
			},
		};
		const delays: (number | undefined)[] = [];
		for (const attempts of [1, 2, 3, 4, 5]) {
			const batch = batchOf([event(newId("user"), 1)], attempts);
			// The test harness records which messages were retried but not the delay asked for,
			// so observe the call itself.
			const [message] = batch.messages;
			const retry = message?.retry.bind(message);
			Object.defineProperty(message, "retry", {
				value: (options?: QueueRetryOptions) => {
					delays.push(options?.delaySeconds);
					retry?.(options);
				},
			});
			expect(await consumeBatch(batch, options)).toEqual(["retried"]);
			const result = await getQueueResult(batch, createExecutionContext());
			expect(result.retryMessages).toHaveLength(1);
			expect(result.explicitAcks).toHaveLength(0);
		}
		expect(delays).toEqual([5, 10, 20, 40, 60]);
		const marks = await testDb()
			.select()
			.from(schema.processedMessages)
			.where(eq(schema.processedMessages.consumer, "test.failing"));
		expect(marks).toHaveLength(0);
	});

	it("rolls back the idempotency record when the effect fails to commit", async () => {
		const e = event(newId("user"), 1);
		const db = testDb();
		let calls = 0;
		const options = {
			consumer: "test.rollback",
			db,
			retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 },
			handle: () => {
				calls++;
				// Violates event_log's NOT NULL on the first try only.
				return [
					db.insert(schema.eventLog).values({
						eventId: `${e.id}:rb`,
						type: e.type,
						storeId: null,
						aggregateId: e.aggregateId,
						sequence: e.sequence,
						payload: calls === 1 ? (null as unknown as object) : {},
						occurredAt: new Date(),
					}),
				];
			},
		};
		expect(await consumeBatch(batchOf([e]), options)).toEqual(["retried"]);
		expect(await consumeBatch(batchOf([e], 2), options)).toEqual(["processed"]);
		const marks = await db.select().from(schema.processedMessages).where(eq(schema.processedMessages.eventId, e.id));
		expect(marks).toHaveLength(1);
	});

	it("holds back out-of-order events for ordered consumers and drops stale ones", async () => {
		const aggregate = newId("user");
		const seen: AnyTypedEnvelope[] = [];
		const options = {
			consumer: "test.ordered",
			db: testDb(),
			ordered: true,
			handle: logHandler(seen),
			retry: { baseDelaySeconds: 1, maxDelaySeconds: 10 },
		};
		const e1 = event(aggregate, 1);
		const e2 = event(aggregate, 2);
		const e3 = event(aggregate, 3);
		// 3 and 2 arrive before 1: both are held back (retried), 1 is processed.
		expect(await consumeBatch(batchOf([e3, e2, e1]), options)).toEqual(["retried", "retried", "processed"]);
		expect(await consumeBatch(batchOf([e2, e3], 2), options)).toEqual(["processed", "processed"]);
		expect(seen.map((e) => e.sequence)).toEqual([1, 2, 3]);
		// A redelivered old event with a fresh id (e.g. a replay) is below the mark: dropped.
		expect(await consumeBatch(batchOf([event(aggregate, 2)]), options)).toEqual(["duplicate"]);
	});

	it("retries messages that do not match the event contracts (they may come from a newer producer)", async () => {
		const batch = batchOf([{ id: "x", type: "nonsense" }, event(newId("user"), 1)]);
		const outcomes = await consumeBatch(batch, { consumer: "test.invalid", db: testDb(), handle: () => [] });
		expect(outcomes).toEqual(["retried", "processed"]);
	});
});

describe("the ops event log consumer", () => {
	const policy = { baseDelaySeconds: 5, maxDelaySeconds: 60 };
	const logged = (ids: string[]) => testDb().select().from(schema.eventLog).where(inArray(schema.eventLog.eventId, ids));

	it("logs a whole batch in one round trip, each event once, and retries only what does not parse", async () => {
		const events = Array.from({ length: 20 }, () => event(newId("user"), 1));
		const ids = events.map((e) => e.id);
		const first = events[0] as EventEnvelope;
		const batch = batchOf([...events, first, { id: "x", type: "nonsense" }]);
		const before = await databaseWork();
		expect(await recordEvents(testDb(), batch, policy, () => {})).toEqual({ logged: 21 });
		expect((await databaseWork()).requests - before.requests).toBe(1);
		const result = await getQueueResult(batch, createExecutionContext());
		expect(result.explicitAcks).toHaveLength(21);
		expect(result.retryMessages).toHaveLength(1);
		expect(await logged(ids)).toHaveLength(20);
		// Redelivered: acked, nothing logged twice, and the marks say it was processed.
		const again = batchOf([first, events[1]]);
		await recordEvents(testDb(), again, policy, () => {});
		expect((await getQueueResult(again, createExecutionContext())).explicitAcks).toHaveLength(2);
		expect(await logged(ids)).toHaveLength(20);
		const marks = await testDb().select().from(schema.processedMessages).where(inArray(schema.processedMessages.eventId, ids));
		expect(marks.every((m) => m.consumer === "ops.event-log")).toBe(true);
		expect(marks).toHaveLength(20);
	});

	it("retries the whole batch with backoff when the write fails", async () => {
		const events = [event(newId("user"), 1), event(newId("user"), 1)];
		const batch = batchOf(events, 3);
		const delays: (number | undefined)[] = [];
		for (const message of batch.messages) {
			const retry = message.retry.bind(message);
			Object.defineProperty(message, "retry", {
				value: (options?: QueueRetryOptions) => {
					delays.push(options?.delaySeconds);
					retry(options);
				},
			});
		}
		const down = { execute: () => Promise.reject(new Error("database unreachable")) } as unknown as Database;
		expect(await recordEvents(down, batch, policy, () => {})).toEqual({ logged: 0 });
		const settled = await getQueueResult(batch, createExecutionContext());
		expect(settled.retryMessages).toHaveLength(2);
		expect(settled.explicitAcks).toHaveLength(0);
		expect(delays).toEqual([20, 20]);
	});
});

describe("backoffSeconds", () => {
	it("doubles from the base and caps", () => {
		const policy = { baseDelaySeconds: 5, maxDelaySeconds: 900 };
		expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => backoffSeconds(a, policy))).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900]);
		expect(backoffSeconds(3, { baseDelaySeconds: 0, maxDelaySeconds: 900 })).toBe(0);
	});
});
