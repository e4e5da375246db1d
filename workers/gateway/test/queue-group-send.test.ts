import { describe, expect, it } from "vitest";
import {
	type GroupSendTiming,
	MAX_BATCH_BYTES,
	MAX_BATCH_MESSAGES,
	PER_MESSAGE_OVERHEAD_BYTES,
	sendGrouped,
	type TextQueue,
} from "../src/queue-group-send.ts";

// The webhook routes' group commit, against a queue that records what reaches it. The routes
// themselves (one signed webhook → one message, consumed once) are tested in payments.test.ts
// and whatsapp.test.ts through the gateway; a burst of distinct payments there goes through this.

const TIMING: GroupSendTiming = { gatherMs: 4, pollMs: 2, orphanAfterMs: 5_000, burstWindowMs: 100 };

interface RecordingQueue extends TextQueue {
	batches: string[][];
	singles: string[];
}

/** A queue whose sendBatch takes `latencyMs` and fails when `fail(batchIndex)` says so. */
function recordingQueue(latencyMs = 3, fail: (index: number) => "reject" | "hang" | undefined = () => undefined): RecordingQueue {
	const batches: string[][] = [];
	const singles: string[] = [];
	return {
		batches,
		singles,
		async sendBatch(messages) {
			const index = batches.length;
			const bodies = [...messages].map((m) => m.body as string);
			batches.push(bodies);
			const failure = fail(index);
			if (failure === "hang") return new Promise<void>(() => {}) as never;
			await scheduler.wait(latencyMs);
			if (failure === "reject") throw new Error("queue unavailable");
			return undefined as never;
		},
		async send(body) {
			singles.push(body as string);
			return undefined as never;
		},
	};
}

const ctx = { waitUntil: (_p: Promise<unknown>) => {} };
const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

describe("webhook queue sends, grouped per isolate", () => {
	it("sends a lone message at once, in a batch of its own", async () => {
		const queue = recordingQueue();
		const started = Date.now();
		await sendGrouped(queue, "lone", ctx, { ...TIMING, gatherMs: 1_000 });
		// No other request was about: the taker did not wait to gather any.
		expect(Date.now() - started).toBeLessThan(500);
		expect(queue.batches).toEqual([["lone"]]);
	});

	it("sends every message of a concurrent burst exactly once, in far fewer batches, each within the queue's limits", async () => {
		const queue = recordingQueue();
		const bodies = Array.from({ length: 250 }, (_, i) => `{"n":${i}}`);
		await Promise.all(bodies.map((b) => sendGrouped(queue, b, ctx, TIMING)));
		const sent = queue.batches.flat();
		expect(sent.toSorted()).toEqual(bodies.toSorted());
		expect(new Set(sent).size).toBe(bodies.length);
		expect(queue.batches.length).toBeLessThanOrEqual(10);
		expect(queue.batches.length).toBeGreaterThanOrEqual(3); // 250 messages need at least three batches of 100
		for (const batch of queue.batches) expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_MESSAGES);
		expect(queue.singles).toEqual([]);
	});

	it("splits large messages across batches by their UTF-8 size, metadata allowance included", async () => {
		const queue = recordingQueue();
		// "₦" is three bytes in UTF-8: each body is 87,301 bytes though 29,101 characters. Three of
		// them are 261,903 bytes, under 256 KB until the metadata allowance is counted: two a batch.
		const bodies = Array.from({ length: 9 }, (_, i) => `${i}`.padEnd(29_101, "₦"));
		expect(bytes(bodies[0] as string)).toBe(87_301);
		await Promise.all(bodies.map((b) => sendGrouped(queue, b, ctx, TIMING)));
		expect(queue.batches.flat().toSorted()).toEqual(bodies.toSorted());
		for (const batch of queue.batches) {
			expect(batch.length).toBeLessThanOrEqual(2);
			expect(batch.reduce((sum, b) => sum + bytes(b) + PER_MESSAGE_OVERHEAD_BYTES, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
		}
	});

	it("sends a message too big for the queue alone, so its refusal fails no other request", async () => {
		const queue = recordingQueue();
		const refusing: TextQueue = {
			sendBatch: queue.sendBatch,
			async send(body) {
				queue.singles.push(body as string);
				throw new Error("message too large");
			},
		};
		const big = "x".repeat(130 * 1024);
		const results = await Promise.allSettled(["a", big, "b"].map((b) => sendGrouped(refusing, b, ctx, TIMING)));
		expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
		expect(queue.singles).toEqual([big]);
		expect(queue.batches.flat().toSorted()).toEqual(["a", "b"]);
	});

	it("works the same with the production timings", async () => {
		const queue = recordingQueue();
		const bodies = Array.from({ length: 60 }, (_, i) => `{"n":${i}}`);
		await Promise.all(bodies.map((b) => sendGrouped(queue, b, ctx)));
		expect(queue.batches.flat().toSorted()).toEqual(bodies.toSorted());
		expect(queue.batches.length).toBeLessThanOrEqual(5);
	});

	it("fails every request whose batch the queue refused, and sends the next ones", async () => {
		const queue = recordingQueue(3, (index) => (index === 0 ? "reject" : undefined));
		const first = await Promise.allSettled(["a", "b", "c"].map((b) => sendGrouped(queue, b, ctx, TIMING)));
		const refused = queue.batches[0] as string[];
		// Each request answers for its own message: refused ones reject, any sent later resolve.
		for (const [i, b] of ["a", "b", "c"].entries()) {
			const result = first[i];
			expect(result?.status).toBe(refused.includes(b) ? "rejected" : "fulfilled");
			if (result?.status === "rejected") expect(String(result.reason)).toContain("queue unavailable");
		}
		expect(refused).toContain("a");
		await sendGrouped(queue, "d", ctx, TIMING);
		expect(queue.batches.at(-1)).toEqual(["d"]);
	});

	it("when a send never settles, its requests send their own messages and the isolate keeps sending", async () => {
		const queue = recordingQueue(3, (index) => (index === 0 ? "hang" : undefined));
		const timing = { ...TIMING, orphanAfterMs: 60 };
		await Promise.all(["a", "b", "c"].map((b) => sendGrouped(queue, b, ctx, timing)));
		const lost = queue.batches[0] as string[];
		expect(queue.singles.toSorted()).toEqual(lost.toSorted());
		// Whatever the lost send did not hold went out in later batches, once each.
		expect([...queue.singles, ...queue.batches.slice(1).flat()].toSorted()).toEqual(["a", "b", "c"]);
		await sendGrouped(queue, "d", ctx, timing);
		expect(queue.batches.at(-1)).toEqual(["d"]);
	});

	it("hands the taker's gather and send to waitUntil before it waits for anything", async () => {
		const queue = recordingQueue();
		await sendGrouped(queue, "first", ctx, TIMING); // so the next taker gathers (a burst)
		const kept: Promise<unknown>[] = [];
		const pending = sendGrouped(queue, "second", { waitUntil: (p) => kept.push(p) }, TIMING);
		// Synchronously, before the gather's wait: a client gone mid-gather cancels nothing.
		expect(kept).toHaveLength(1);
		expect(queue.batches).toEqual([["first"]]);
		await pending;
		expect(queue.batches).toEqual([["first"], ["second"]]);
	});
});
