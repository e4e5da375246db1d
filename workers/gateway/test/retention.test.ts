import { env } from "cloudflare:test";
import { newId } from "@oja/db";
import { signUpMerchant, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { purgeExpired, RETENTION_DAYS } from "../../ops/src/retention.ts";

// Retention (ops' cron): expired bookkeeping rows go, a bounded chunk per run; anything still in
// use (an unpublished event, an unfinished delivery) or younger than its limit stays, however old.

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function count(query: ReturnType<typeof sql>): Promise<number> {
	const result = await testDb().execute<{ n: string | number }>(query);
	return Number(result.rows[0]?.n ?? 0);
}

describe("retention", () => {
	it("deletes only what has outlived its limit, and leaves work in progress alone", async () => {
		const db = testDb();
		const m = await signUpMerchant();
		const tag = newId("event").slice(-12);
		const old = (days: number) => ago(days + 1);
		const young = (days: number) => ago(days - 1);

		// Outbox: published long ago (goes), published recently (stays), never published though old (stays: the relay still owes it).
		for (const [suffix, published, occurred] of [
			["old", old(RETENTION_DAYS.publishedOutbox), old(RETENTION_DAYS.publishedOutbox)],
			["young", young(RETENTION_DAYS.publishedOutbox), young(RETENTION_DAYS.publishedOutbox)],
			["unpublished", null, old(RETENTION_DAYS.publishedOutbox)],
		] as const) {
			// Claimed far ahead, so no relay running beside this test publishes the unpublished one.
			await db.execute(sql`INSERT INTO outbox (id, type, store_id, aggregate_id, sequence, payload, occurred_at, published_at, claimed_until)
				VALUES (${`evt_${tag}_${suffix}`}, 'test.retention', ${m.storeId}, ${`agg_${tag}_${suffix}`}, 1, '{}'::jsonb,
					${occurred}::timestamptz, ${published}::timestamptz, now() + interval '1 day')`);
		}
		for (const [suffix, at] of [
			["old", old(RETENTION_DAYS.processedMessages)],
			["young", young(RETENTION_DAYS.processedMessages)],
		] as const) {
			await db.execute(sql`INSERT INTO processed_messages (consumer, event_id, created_at)
				VALUES ('test.retention', ${`evt_${tag}_${suffix}`}, ${at}::timestamptz)`);
			// A courier callback's marker: kept at any age (a signed callback can be replayed).
			await db.execute(sql`INSERT INTO processed_messages (consumer, event_id, created_at)
				VALUES ('commerce.delivery-events', ${`kwik_${tag}_${suffix}`}, ${at}::timestamptz)`);
			await db.execute(sql`INSERT INTO dead_letters (message_id, queue, body, attempts, created_at)
				VALUES (${`msg_${tag}_${suffix}`}, 'oja-whatsapp-inbound-dlq', '{"from":"2348000000000"}'::jsonb, 7, ${at}::timestamptz)`);
			await db.execute(sql`INSERT INTO idempotency_keys (store_id, cart_id, key, request_hash, attempt, created_at)
				VALUES (${m.storeId}, ${`cart_${tag}`}, ${`key_${suffix}`}, 'h', 'a', ${at}::timestamptz)`);
		}
		const endpoint = `whe_${tag}`;
		await db.execute(sql`INSERT INTO webhook_endpoints (id, store_id, url, events, secret_sealed)
			VALUES (${endpoint}, ${m.storeId}, 'https://example.com/hooks', ARRAY['*'], 'sealed')`);
		for (const [suffix, status, at] of [
			["old-ok", "succeeded", old(RETENTION_DAYS.finishedWebhookDeliveries)],
			["old-failed", "failed", old(RETENTION_DAYS.finishedWebhookDeliveries)],
			["old-pending", "pending", old(RETENTION_DAYS.finishedWebhookDeliveries)],
			["young-ok", "succeeded", young(RETENTION_DAYS.finishedWebhookDeliveries)],
		] as const) {
			const id = `whd_${tag}_${suffix}`;
			await db.execute(sql`INSERT INTO webhook_deliveries (id, store_id, endpoint_id, event_id, event_type, body, status, created_at)
				VALUES (${id}, ${m.storeId}, ${endpoint}, ${`evt_${suffix}`}, 'order.created', '{}', ${status}, ${at}::timestamptz)`);
			await db.execute(sql`INSERT INTO webhook_delivery_attempts (store_id, delivery_id, attempt, status, duration_ms, attempted_at)
				VALUES (${m.storeId}, ${id}, 1, ${status === "pending" ? "failed" : status}, 10, ${at}::timestamptz)`);
		}

		// Other tests' rows may be old too (none are made so here), so assert on this test's rows only.
		const purged = await purgeExpired(db);
		expect(purged.publishedOutbox).toBeGreaterThanOrEqual(1);
		expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE id LIKE ${`evt_${tag}_%`}`)).toBe(2);
		expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE id = ${`evt_${tag}_unpublished`}`)).toBe(1);
		expect(await count(sql`SELECT count(*) AS n FROM processed_messages WHERE event_id LIKE ${`evt_${tag}_%`}`)).toBe(1);
		expect(await count(sql`SELECT count(*) AS n FROM processed_messages WHERE event_id LIKE ${`kwik_${tag}_%`}`)).toBe(2);
		expect(await count(sql`SELECT count(*) AS n FROM dead_letters WHERE message_id = ${`msg_${tag}_young`}`)).toBe(1);
		expect(await count(sql`SELECT count(*) AS n FROM dead_letters WHERE message_id LIKE ${`msg_${tag}_%`}`)).toBe(1);
		expect(await count(sql`SELECT count(*) AS n FROM idempotency_keys WHERE cart_id = ${`cart_${tag}`}`)).toBe(1);
		const deliveries = await db.execute<{ id: string }>(
			sql`SELECT id FROM webhook_deliveries WHERE endpoint_id = ${endpoint} ORDER BY id`,
		);
		expect(deliveries.rows.map((r) => r.id)).toEqual([`whd_${tag}_old-pending`, `whd_${tag}_young-ok`]);
		// The finished deliveries' attempts went with them.
		expect(await count(sql`SELECT count(*) AS n FROM webhook_delivery_attempts WHERE store_id = ${m.storeId}`)).toBe(2);

		// A second run finds nothing more of this test's to delete.
		await purgeExpired(db);
		expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE id LIKE ${`evt_${tag}_%`}`)).toBe(2);
	});

	it("runs on ops' cron through the service binding", async () => {
		const purged = await env.OPS.purgeExpired();
		expect(Object.keys(purged).sort()).toEqual(Object.keys(RETENTION_DAYS).sort());
	});
});
