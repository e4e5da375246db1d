// Group commit for the webhook routes' queue sends. In a burst (a sale's payments, a broadcast's
// replies) many webhook requests run in one isolate at once, and each would make its own
// Queue.send. Instead each request lists its message here; whichever request finds no send in
// flight takes what is listed (within a queue batch's limits) and makes one sendBatch, and every
// request answers only once the batch holding its message has been accepted, or has failed (it
// then answers an error and the provider redelivers). A lone webhook is sent at once; only while
// the isolate has sent within `burstWindowMs` does the taker wait `gatherMs` for others to join.
//
// Measured under Miniflare (docs/benchmarks.md, "Webhook ingest"): a send cost the Worker's
// thread about as much as the rest of the route, and grouping cut workerd's CPU per webhook by
// about a fifth, side by side in one run.
//
// workerd does not let a request wait on a promise another request settles (it cancels the
// waiter as hung, or refuses the cross-request resolution), so a waiting request polls its own
// entry on its own timer, timed to when its send should be done; the entries are plain data,
// never promises or I/O objects. The taker hands its gather-and-send to waitUntil before it
// awaits anything, so a client that disconnects does not cancel the others' send. Should a send
// still never settle, after `orphanAfterMs` each of its requests sends its own message: it may
// then be queued twice, which the consumers of these queues tolerate (a Paystack event is
// applied once per event and reference, a WhatsApp message once per wamid).

/** Cloudflare Queues' limits: 100 messages and 256 KB per sendBatch, 128 KB per message. */
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** Kept free per message for the metadata Cloudflare counts towards those sizes. */
export const PER_MESSAGE_OVERHEAD_BYTES = 100;
/** However long sends have been taking, a waiter looks again at least this often. */
const MAX_SLEEP_MS = 50;

export interface GroupSendTiming {
	/** How long the taker waits for company while the isolate is busy. */
	gatherMs: number;
	/** The shortest sleep between a waiting request's looks at its entry. */
	pollMs: number;
	/** A send older than this is taken to be lost. */
	orphanAfterMs: number;
	/** The isolate counts as busy this long after its last send. */
	burstWindowMs: number;
}

const DEFAULT_TIMING: GroupSendTiming = { gatherMs: 8, pollMs: 1, orphanAfterMs: 5_000, burstWindowMs: 100 };

interface Entry {
	readonly body: string;
	readonly bytes: number;
	state: "waiting" | "sending" | "sent" | "failed";
	error?: unknown;
	takenAt: number;
}

interface Group {
	waiting: Entry[];
	/** The send in flight, if any: when it was claimed and when its batch is taken. */
	sender: { since: number; takesAt: number } | undefined;
	lastSentAt: number;
	/** How long a successful sendBatch takes here (moving average): when waiters look again. */
	sendMs: number;
}

/** What is used of a Queue binding: sendBatch for a group, send for a message sent alone. */
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

async function gatherAndSend(queue: TextQueue, group: Group, gatherMs: number): Promise<void> {
	if (gatherMs > 0) await scheduler.wait(gatherMs);
	const started = Date.now();
	const batch = takeBatch(group, started);
	// Another request may have taken everything meanwhile (this one's gather outlived the orphan limit).
	if (batch.length === 0) return;
	try {
		await queue.sendBatch(batch.map((entry) => ({ body: entry.body, contentType: "text" as const })));
		group.sendMs = group.sendMs * 0.8 + (Date.now() - started) * 0.2;
		for (const entry of batch) entry.state = "sent";
	} catch (error) {
		for (const entry of batch) {
			entry.state = "failed";
			entry.error = error;
		}
	}
}

/**
 * Puts `body` (text) on `queue`, in one sendBatch with the isolate's other webhook requests of
 * the moment. Resolves once the queue has accepted it; rejects with the send's error otherwise.
 */
export async function sendGrouped(
	queue: TextQueue,
	body: string,
	ctx: Pick<ExecutionContext, "waitUntil">,
	timing: GroupSendTiming = DEFAULT_TIMING,
): Promise<void> {
	const bytes = encoder.encode(body).byteLength;
	// Too big for a queue message: sent alone, so the queue's refusal is this request's only.
	if (bytes + PER_MESSAGE_OVERHEAD_BYTES > MAX_MESSAGE_BYTES) {
		await queue.send(body, { contentType: "text" });
		return;
	}
	let group = groups.get(queue);
	if (group === undefined) {
		group = { waiting: [], sender: undefined, lastSentAt: 0, sendMs: 2 };
		groups.set(queue, group);
	}
	const entry: Entry = { body, bytes, state: "waiting", takenAt: 0 };
	group.waiting.push(entry);
	let overdueLooks = 0;
	for (;;) {
		if (entry.state === "sent") return;
		if (entry.state === "failed") throw entry.error;
		const now = Date.now();
		// A send that never settled must not stop the isolate from sending.
		if (group.sender !== undefined && now - group.sender.since > timing.orphanAfterMs) group.sender = undefined;
		if (entry.state === "waiting" && group.sender === undefined) {
			const gather = now - group.lastSentAt < timing.burstWindowMs ? timing.gatherMs : 0;
			const mine = { since: now, takesAt: now + gather };
			group.sender = mine;
			const sending = gatherAndSend(queue, group, gather).finally(() => {
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
		// Each wake costs the isolate a turn, so sleep until this entry's send should be done: a
		// waiting entry goes in the batch the current sender takes, or is the next sender's. Once
		// that time has passed (a slow or stuck send), look again less and less often.
		const sendMs = Math.min(group.sendMs, MAX_SLEEP_MS);
		const doneAt =
			entry.state === "sending" ? entry.takenAt + sendMs : group.sender !== undefined ? group.sender.takesAt + sendMs : now;
		const sleep =
			doneAt > now ? Math.ceil(doneAt - now) : Math.min(MAX_SLEEP_MS, timing.pollMs * 2 ** Math.min(overdueLooks++, 6));
		await scheduler.wait(Math.min(MAX_SLEEP_MS, Math.max(timing.pollMs, sleep)));
	}
}
