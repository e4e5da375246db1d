import type { Database } from "@oja/db";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/contracts.ts";
import { GroupedPublisher, type GroupedPublishTiming, type OutboxRow, sendBatches } from "../src/relay.ts";
import type { EventQueues } from "../src/routing.ts";

// The isolate-wide publisher behind relayAfterResponse, against queues and a database that
// record what reaches them. Checkout's events reaching their consumers through it are tested
// through the gateway (commerce tests: live order pages, emails, webhooks after checkout).

const TIMING: GroupedPublishTiming = { gatherMs: 5, burstWindowMs: 100, staleMs: 5_000, maxFlushMs: 2_000 };
const dialect = new PgDialect();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Recorder {
	queues: EventQueues;
	/** Every sendBatch on the EVENTS queue (which takes every event), as event ids. */
	batches: string[][];
	/** Every published_at stamp, as the ids it stamped. */
	stamps: string[][];
	errors: unknown[];
	db: Database;
	waits: Promise<unknown>[];
	waitUntil: (p: Promise<unknown>) => void;
	settle: () => Promise<void>;
}

type Outcome = "ok" | "reject" | "hang" | Promise<void>;

function recorder(sendBatch: (index: number, ids: string[]) => Outcome = () => "ok", latencyMs = 2): Recorder {
	const batches: string[][] = [];
	const stamps: string[][] = [];
	const waits: Promise<unknown>[] = [];
	const queue = (record: boolean) =>
		({
			async sendBatch(messages: Iterable<{ body: EventEnvelope }>) {
				const index = batches.length;
				const ids = [...messages].map((m) => m.body.id);
				if (record) batches.push(ids);
				const outcome = record ? sendBatch(index, ids) : "ok";
				if (outcome === "hang") return new Promise<void>(() => {});
				if (outcome instanceof Promise) await outcome;
				await sleep(latencyMs);
				if (outcome === "reject") throw new Error("queue unavailable");
			},
		}) as unknown as Queue;
	const db = {
		async execute(query: SQL) {
			const { sql, params } = dialect.sqlToQuery(query);
			expect(sql).toMatch(/^UPDATE outbox SET published_at = now\(\)/);
			stamps.push(params[0] as string[]);
			return { rows: [] };
		},
	} as unknown as Database;
	const r: Recorder = {
		queues: {
			EVENTS: queue(true),
			STOREFRONT_CACHE: queue(false),
			ORDER_EVENTS: queue(false),
			MESSAGING_EVENTS: queue(false),
			WEBHOOK_EVENTS: queue(false),
		},
		batches,
		stamps,
		errors: [],
		db,
		waits,
		waitUntil: (p) => waits.push(p),
		settle: async () => {
			// Flushes started while settling are awaited too.
			for (let i = 0; i < waits.length; i++) await waits[i];
		},
	};
	return r;
}

let next = 0;
function rows(n: number): OutboxRow[] {
	return Array.from({ length: n }, () => {
		next++;
		return {
			id: `evt_${String(next).padStart(6, "0")}`,
			type: "order.created",
			store_id: "sto_1",
			aggregate_id: `ord_${next}`,
			sequence: 1,
			payload: { paymentMethod: "online" },
			request_id: null,
			occurred_at: new Date().toISOString(),
		};
	});
}

const publish = (p: GroupedPublisher, r: Recorder, batch: OutboxRow[]) =>
	p.publish(batch, r.waitUntil, { db: r.db, queues: r.queues, onError: (e) => r.errors.push(e) });

describe("grouped outbox publishing", () => {
	it("publishes a lone write's events at once: no gathering when nothing else was published lately", async () => {
		const r = recorder();
		const p = new GroupedPublisher({ ...TIMING, gatherMs: 1_000 });
		const lone = rows(2);
		const started = Date.now();
		publish(p, r, lone);
		await r.settle();
		expect(Date.now() - started).toBeLessThan(500);
		expect(r.batches).toEqual([lone.map((e) => e.id)]);
		expect(r.stamps).toEqual([lone.map((e) => e.id)]);
		expect(r.errors).toEqual([]);
	});

	it("publishes a burst of writes in a few sends and stamps, every event exactly once, with one flusher", async () => {
		const r = recorder();
		const p = new GroupedPublisher(TIMING);
		publish(p, r, rows(1));
		await r.settle();
		const burst = Array.from({ length: 60 }, () => rows(2));
		for (const write of burst) publish(p, r, write);
		// Writes arriving while the burst's flush is in flight join a later round of it.
		await sleep(TIMING.gatherMs + 1);
		const late = Array.from({ length: 10 }, () => rows(1));
		for (const write of late) publish(p, r, write);
		await r.settle();

		const expected = [...burst, ...late].flat().map((e) => e.id);
		const sent = r.batches.slice(1).flat();
		const stamped = r.stamps.slice(1).flat();
		expect(sent.toSorted()).toEqual(expected.toSorted());
		expect(stamped.toSorted()).toEqual(expected.toSorted());
		// 70 writes: 2 batches for the burst's 120 events (100 a sendBatch), then the late ones.
		expect(r.batches.length - 1).toBeLessThanOrEqual(4);
		expect(r.stamps.length - 1).toBeLessThanOrEqual(3);
		for (const batch of r.batches) expect(batch.length).toBeLessThanOrEqual(100);
		expect(r.waits.length).toBe(2); // the lone write's flusher, then the burst's
	});

	it("leaves a failed send's events unstamped for the sweep, and keeps publishing afterwards", async () => {
		const r = recorder((index) => (index === 0 ? "reject" : "ok"));
		const p = new GroupedPublisher(TIMING);
		const failed = rows(3);
		publish(p, r, failed);
		await r.settle();
		expect(r.errors).toHaveLength(1);
		expect(r.stamps).toEqual([]);
		expect(p.pending).toBe(0);

		const after = rows(1);
		publish(p, r, after);
		await r.settle();
		expect(r.stamps).toEqual([after.map((e) => e.id)]);
	});

	it("takes over from a flusher whose request never came back, once it is stale", async () => {
		const r = recorder((index) => (index === 0 ? "hang" : "ok"));
		const p = new GroupedPublisher({ ...TIMING, staleMs: 50 });
		publish(p, r, rows(1)); // its flusher hangs in sendBatch forever
		const waiting = rows(1);
		publish(p, r, waiting); // a live flusher is presumed: only queued
		expect(r.waits).toHaveLength(1);
		await sleep(60);
		const later = rows(1);
		publish(p, r, later); // the first flusher is stale now: a new one starts
		expect(r.waits).toHaveLength(2);
		await r.waits[1];
		expect(r.stamps.flat().toSorted()).toEqual([...waiting, ...later].map((e) => e.id).toSorted());
	});

	it("after maxFlushMs sends what is pending in a last round, and a write arriving meanwhile starts its own flusher", async () => {
		let release = () => {};
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		// The second EVENTS send (the last round) waits for the test.
		const r = recorder((index) => (index === 1 ? gate : "ok"), 5);
		const p = new GroupedPublisher({ ...TIMING, gatherMs: 0, maxFlushMs: 0 });
		const first = rows(1);
		publish(p, r, first);
		const joined = rows(1);
		publish(p, r, joined); // taken by the running flusher's last round
		while (r.batches.length < 2) await sleep(1);
		expect(p.pending).toBe(0);
		const late = rows(1);
		publish(p, r, late); // the flusher has handed over: a new one starts
		expect(r.waits).toHaveLength(2);
		release();
		await r.settle();
		expect(r.stamps.flat().toSorted()).toEqual([...first, ...joined, ...late].map((e) => e.id).toSorted());
		expect(p.pending).toBe(0);
	});

	it("retries a failed round write by write: a write that cannot be sent holds back no other", async () => {
		const poison = rows(1);
		const poisonId = poison[0]?.id as string;
		const r = recorder((_index, ids) => (ids.includes(poisonId) ? "reject" : "ok"));
		const p = new GroupedPublisher(TIMING);
		publish(p, r, rows(1));
		await r.settle();
		const before = rows(2);
		const after = rows(2);
		publish(p, r, before);
		publish(p, r, poison);
		publish(p, r, after);
		await r.settle();
		const stamped = r.stamps.slice(1).flat();
		expect(stamped.toSorted()).toEqual([...before, ...after].map((e) => e.id).toSorted());
		expect(stamped).not.toContain(poisonId);
		expect(r.errors).toHaveLength(1);
	});

	it("cuts sends at 100 messages and at 256 KB, metadata allowance included", () => {
		const envelope = (i: number, bytes: number) => ({
			id: `evt_${i}`,
			type: "inventory.reserved",
			storeId: "sto_1",
			aggregateId: `ord_${i}`,
			sequence: 1,
			occurredAt: new Date(0).toISOString(),
			requestId: null,
			payload: { pad: "x".repeat(bytes) },
		});
		expect(sendBatches(Array.from({ length: 250 }, (_, i) => envelope(i, 10))).map((b) => b.length)).toEqual([100, 100, 50]);
		// 30 KB each: eight fit in 256,000 bytes, a ninth would not.
		const big = sendBatches(Array.from({ length: 20 }, (_, i) => envelope(i, 30_000)));
		expect(big.map((b) => b.length)).toEqual([8, 8, 4]);
		for (const batch of big) {
			const bytes = batch.reduce((n, e) => n + new TextEncoder().encode(JSON.stringify(e)).byteLength + 100, 0);
			expect(bytes).toBeLessThanOrEqual(256_000);
		}
	});
});
