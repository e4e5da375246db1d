// Group commit for the webhook routes' queue sends. In a burst (a sale's payments, a broadcast's
// replies) many webhook requests run in one isolate at once, and each would make its own
// Queue.send. Instead each request lists its message here; whichever request finds no send in
// flight takes what is listed (within a queue batch's limits) and makes one sendBatch, and every
// request answers only once the batch holding its message has been accepted, or has failed (it
// then answers an error and the provider redelivers). A lone webhook is sent at once; only while
// the isolate has sent within BURST_WINDOW_MS does the taker wait GATHER_MS for others to join.
//
// Measured under Miniflare (docs/benchmarks.md, "Webhook ingest"): a send costs the Worker's
// thread about as much as the rest of the route, and grouping them cut workerd's CPU per
// webhook by a fifth to a quarter, back to back in one run.
//
// workerd does not let a request wait on a promise another request settles (it cancels the
// waiter as hung, or refuses the cross-request resolution), so a waiting request polls its own
// entry on its own timer; the entries are plain data, never promises or I/O objects. The taker
// hands its send to waitUntil, so a client that disconnects does not cancel the others' send.
// Should a send still never settle (its isolate context torn down), after ORPHAN_AFTER_MS each
// of its requests sends its own message: a message may then be queued twice, which every
// consumer of these queues tolerates (each applies an event once, by its id).

/** Cloudflare Queues' sendBatch limits: 100 messages and 256 KB in all. */
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
/** Kept free per message for the envelope Cloudflare counts towards the batch size. */
const PER_MESSAGE_OVERHEAD_BYTES = 100;

export interface GroupSendTiming {
	/** How long the taker waits for company while the isolate is busy. */
	gatherMs: number;
	/** How often a waiting request looks at its entry. */
	pollMs: number;
	/** A send older than this is taken to be lost. */
	orphanAfterMs: number;
	/** The isolate counts as busy this long after its last send. */
	burstWindowMs: number;
}

const DEFAULT_TIMING: GroupSendTiming = { gatherMs: 4, pollMs: 2, orphanAfterMs: 5_000, burstWindowMs: 100 };

interface Entry {
	readonly body: string;
	readonly bytes: number;
	state: "waiting" | "sending" | "sent" | "failed";
	error?: unknown;
	takenAt: number;
}

interface Group {
	waiting: Entry[];
	/** The send in flight, if any, and when it was claimed. */
	sender: { since: number } | undefined;
	lastSentAt: number;
}

/** What is used of a Queue binding: one sendBatch per group, send for an orphan. */
export type TextQueue = Pick<Queue<string>, "send" | "sendBatch">;

// One list per queue binding object; bindings live as long as the isolate.
const groups = new WeakMap<TextQueue, Group>();

const encoder = new TextEncoder();

function takeBatch(group: Group, now: number): Entry[] {
	const batch: Entry[] = [];
	let bytes = 0;
	while (group.waiting.length > 0 && batch.length < MAX_BATCH_MESSAGES) {
		const next = group.waiting[0] as Entry;
		const size = next.bytes + PER_MESSAGE_OVERHEAD_BYTES;
		if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
		group.waiting.shift();
		next.state = "sending";
		next.takenAt = now;
		batch.push(next);
		bytes += size;
	}
	return batch;
}

async function sendBatchOf(queue: TextQueue, batch: Entry[]): Promise<void> {
	try {
		await queue.sendBatch(batch.map((entry) => ({ body: entry.body, contentType: "text" as const })));
		for (const entry of batch) entry.state = "sent";
	} catch (error) {
		for (const entry of batch) {
			entry.state = "failed";
			entry.error = error;
		}
	}
}

/**
 * Puts `body` (text, at most one queue message's size) on `queue`, in one sendBatch with the
 * isolate's other webhook requests of the moment. Resolves once the queue has accepted it;
 * rejects with the send's error otherwise.
 */
export async function sendGrouped(
	queue: TextQueue,
	body: string,
	ctx: Pick<ExecutionContext, "waitUntil">,
	timing: GroupSendTiming = DEFAULT_TIMING,
): Promise<void> {
	let group = groups.get(queue);
	if (group === undefined) {
		group = { waiting: [], sender: undefined, lastSentAt: 0 };
		groups.set(queue, group);
	}
	const entry: Entry = { body, bytes: encoder.encode(body).byteLength, state: "waiting", takenAt: 0 };
	group.waiting.push(entry);
	for (;;) {
		if (entry.state === "sent") return;
		if (entry.state === "failed") throw entry.error;
		const now = Date.now();
		// A send that never settled must not stop the isolate from sending.
		if (group.sender !== undefined && now - group.sender.since > timing.orphanAfterMs) group.sender = undefined;
		if (entry.state === "waiting" && group.sender === undefined) {
			const mine = { since: now };
			group.sender = mine;
			if (now - group.lastSentAt < timing.burstWindowMs) await scheduler.wait(timing.gatherMs);
			const sending = sendBatchOf(queue, takeBatch(group, Date.now())).finally(() => {
				group.lastSentAt = Date.now();
				if (group.sender === mine) group.sender = undefined;
			});
			ctx.waitUntil(sending);
			// Bounded, so that a send which never settles leaves this request to the orphan rule.
			await Promise.race([sending, scheduler.wait(timing.orphanAfterMs + timing.pollMs)]);
			continue;
		}
		if (entry.state === "sending" && now - entry.takenAt > timing.orphanAfterMs) {
			// Its sender is gone: send it alone (a duplicate at worst, see above).
			entry.state = "sent";
			await queue.send(body, { contentType: "text" });
			return;
		}
		await scheduler.wait(timing.pollMs);
	}
}
