import { env } from "cloudflare:workers";
import { newId, schema } from "@oja/db";
import { appendEvent, type EventEnvelope } from "@oja/events";
import { eventually, postJson, signupInput, testDb } from "@oja/test-helpers";
import { eq, inArray, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";

// The event backbone end to end, in workerd: outbox (identity) → relay → oja-events queue →
// ops consumer (event_log) → dead-letter queue → ops DLQ consumer (dead_letters).

async function logged(eventId: string) {
	const rows = await testDb().select().from(schema.eventLog).where(eq(schema.eventLog.eventId, eventId));
	return rows.length > 0 ? rows : undefined;
}

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
	const storeId = newId("store");
	return {
		id: newId("event"),
		type: "identity.store.created",
		storeId,
		aggregateId: storeId,
		sequence: 1,
		occurredAt: new Date().toISOString(),
		requestId: null,
		payload: { storeId, slug: "hand-made", name: "Hand made", currency: "NGN", ownerUserId: newId("user") },
		...overrides,
	};
}

describe("transactional outbox and relay", () => {
	it("publishes a write's events right after the request (waitUntil), into the event log", async () => {
		const res = await postJson("/v1/auth/signup", signupInput());
		const { store } = (await res.json()) as { store: { id: string } };
		const [event] = await testDb().select().from(schema.outbox).where(eq(schema.outbox.aggregateId, store.id));
		expect(event).toBeDefined();
		const rows = await eventually(() => logged(event?.id ?? ""), 15_000, "the event in event_log");
		expect(rows[0]).toMatchObject({ type: "identity.store.created", storeId: store.id, sequence: 1 });
		const published = await eventually(async () => {
			const [row] = await testDb()
				.select()
				.from(schema.outbox)
				.where(eq(schema.outbox.id, event?.id ?? ""));
			return row?.publishedAt ?? undefined;
		});
		expect(published).toBeInstanceOf(Date);
	});

	it("loses nothing when the Worker dies between commit and publish: the sweep sends it", async () => {
		// A committed write whose relay never ran (the isolate died after the batch).
		const db = testDb();
		const storeId = newId("store");
		const statement = appendEvent(
			db,
			{
				type: "identity.store.created",
				storeId,
				aggregateId: storeId,
				payload: { storeId, slug: "crashed", name: "Crashed", currency: "NGN", ownerUserId: newId("user") },
			},
			"req_crash",
		);
		const [inserted] = await db.batch([statement]);
		const eventId = String((inserted.rows[0] as { id: string }).id);
		// And one claimed by a relay that crashed after claiming: its lease has lapsed.
		const [claimed] = await db.batch([
			appendEvent(
				db,
				{
					type: "identity.user.created",
					storeId: null,
					aggregateId: newId("user"),
					payload: { userId: "usr_x", email: "x@y.co" },
				},
				null,
			),
		]);
		const claimedEventId = String((claimed.rows[0] as { id: string }).id);
		await db
			.update(schema.outbox)
			.set({ claimedUntil: new Date(Date.now() - 1000), publishAttempts: 1 })
			.where(eq(schema.outbox.id, claimedEventId));

		await new Promise((r) => setTimeout(r, 200));
		expect(await logged(eventId)).toBeUndefined();

		// The cron handler calls exactly this.
		const { published } = await env.OPS.relayOutbox();
		expect(published).toBeGreaterThanOrEqual(2);
		await eventually(() => logged(eventId), 15_000, "the swept event");
		await eventually(() => logged(claimedEventId), 15_000, "the re-claimed event");
		const left = await db.select().from(schema.outbox).where(isNull(schema.outbox.publishedAt));
		expect(left.map((r) => r.id)).not.toContain(eventId);
	});

	it("an event appended already claimed for its writer's relay is left to it, and swept only once the claim lapses", async () => {
		// As checkout appends its events: claimed for the relay after the response, which then
		// publishes the rows the batch returned without a claim round trip of its own.
		const db = testDb();
		const storeId = newId("store");
		const [appended] = await db.batch([
			appendEvent(
				db,
				{
					type: "identity.store.created",
					storeId,
					aggregateId: storeId,
					payload: { storeId, slug: "pre-claimed", name: "Pre-claimed", currency: "NGN", ownerUserId: newId("user") },
				},
				"req_claimed",
				{ claimSeconds: 30 },
			),
		]);
		const row = appended.rows[0] as { id: string; type: string; payload: { slug: string } };
		expect(row).toMatchObject({ type: "identity.store.created", payload: { slug: "pre-claimed" } });
		// Its writer's relay died: a sweep inside the claim leaves it alone (no double send)…
		await env.OPS.relayOutbox();
		const [held] = await db.select().from(schema.outbox).where(eq(schema.outbox.id, row.id));
		expect(held?.publishedAt).toBeNull();
		expect(held?.claimedUntil?.getTime()).toBeGreaterThan(Date.now());
		// …and sends it once the claim has lapsed.
		await db
			.update(schema.outbox)
			.set({ claimedUntil: new Date(Date.now() - 1000) })
			.where(eq(schema.outbox.id, row.id));
		expect((await env.OPS.relayOutbox()).published).toBeGreaterThanOrEqual(1);
		await eventually(() => logged(row.id), 15_000, "the pre-claimed event, swept");
	});

	it("assigns gap-free per-aggregate sequence numbers under concurrent writers", async () => {
		const db = testDb();
		const aggregateId = newId("store");
		const writes = Array.from({ length: 12 }, () =>
			db.batch([
				appendEvent(
					db,
					{
						type: "identity.store.created",
						storeId: aggregateId,
						aggregateId,
						payload: { storeId: aggregateId, slug: "seq", name: "Seq", currency: "NGN", ownerUserId: "usr_x" },
					},
					null,
				),
			]),
		);
		await Promise.all(writes);
		const rows = await db
			.select({ sequence: schema.outbox.sequence })
			.from(schema.outbox)
			.where(eq(schema.outbox.aggregateId, aggregateId));
		expect(rows.map((r) => r.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
	});
});

describe("queue consumers", () => {
	it("applies a message delivered twice exactly once", async () => {
		const event = envelope();
		await env.TEST_EVENTS.send(event, { contentType: "json" });
		await env.TEST_EVENTS.send(event, { contentType: "json" });
		await eventually(() => logged(event.id), 15_000, "the event");
		// Give the second delivery time to be processed too.
		await eventually(async () => {
			const marks = await testDb().select().from(schema.processedMessages).where(eq(schema.processedMessages.eventId, event.id));
			return marks.length === 1 ? marks : undefined;
		});
		await new Promise((r) => setTimeout(r, 1500));
		expect(await logged(event.id)).toHaveLength(1);
	});

	it("sends a poison message to the dead-letter queue after the configured retries", async () => {
		const poison = envelope({ payload: { storeId: 42 } });
		await env.TEST_EVENTS.send(poison, { contentType: "json" });
		const [dead] = await eventually(
			async () => {
				const rows = await testDb().select().from(schema.deadLetters).where(eq(schema.deadLetters.eventId, poison.id));
				return rows.length > 0 ? rows : undefined;
			},
			20_000,
			"the dead letter",
		);
		expect(dead?.queue).toBe("oja-events-dlq");
		expect(dead?.body).toMatchObject({ id: poison.id });
		expect(await logged(poison.id)).toBeUndefined();
		const marks = await testDb()
			.select()
			.from(schema.processedMessages)
			.where(inArray(schema.processedMessages.eventId, [poison.id]));
		expect(marks).toHaveLength(0);
	});
});
