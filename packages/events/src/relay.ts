import { errorLogRecord } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import type { EventEnvelope } from "./contracts.ts";
import { EVENT_SUBSCRIPTIONS, type EventQueueBinding, type EventQueues } from "./routing.ts";

export interface RelayOptions {
	db: Database;
	queues: EventQueues;
	/** Publish just these events (right after the write that made them); omit to sweep. */
	ids?: string[];
	limit?: number;
	/** How long a claim keeps other relays off a row; a crashed relay's rows come back after it. */
	leaseSeconds?: number;
}

export interface RelayResult {
	published: number;
}

/** An outbox row as the relay sends it (appendEvent returns these too). */
export interface OutboxRow {
	id: string;
	type: string;
	store_id: string | null;
	aggregate_id: string;
	sequence: string | number;
	payload: unknown;
	request_id: string | null;
	occurred_at: string | Date;
	[key: string]: unknown;
}

// Queues accept at most 100 messages and 256 KB per sendBatch; each message's size is counted
// with an allowance for its metadata.
const SEND_BATCH = 100;
const SEND_BATCH_BYTES = 256_000;
const PER_MESSAGE_OVERHEAD_BYTES = 100;
const encoder = new TextEncoder();

/** Envelopes cut into sendBatch calls within the count and the size limit, in order. */
export function sendBatches(envelopes: EventEnvelope[]): EventEnvelope[][] {
	const batches: EventEnvelope[][] = [];
	let current: EventEnvelope[] = [];
	let bytes = 0;
	for (const envelope of envelopes) {
		const size = encoder.encode(JSON.stringify(envelope)).byteLength + PER_MESSAGE_OVERHEAD_BYTES;
		if (current.length > 0 && (current.length === SEND_BATCH || bytes + size > SEND_BATCH_BYTES)) {
			batches.push(current);
			current = [];
			bytes = 0;
		}
		current.push(envelope);
		bytes += size;
	}
	if (current.length > 0) batches.push(current);
	return batches;
}

/**
 * Moves committed outbox rows to Queues: claim (one UPDATE … FOR UPDATE SKIP LOCKED), send,
 * then stamp published_at. A crash after the claim or after the send leaves the row
 * unpublished, and the next sweep sends it again once the lease lapses: events are never
 * lost, and may be delivered twice, which consumers absorb by event id.
 */
export async function relayOutbox(options: RelayOptions): Promise<RelayResult> {
	const { db, queues } = options;
	const limit = Math.min(options.limit ?? SEND_BATCH, 500);
	const lease = options.leaseSeconds ?? 30;
	const onlyIds = options.ids && options.ids.length > 0 ? options.ids : null;
	if (options.ids && options.ids.length === 0) return { published: 0 };

	const claimed = await db.execute<OutboxRow>(sql`
		UPDATE outbox SET claimed_until = now() + make_interval(secs => ${lease}), publish_attempts = publish_attempts + 1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE published_at IS NULL
				AND (claimed_until IS NULL OR claimed_until < now())
				${onlyIds ? sql`AND id = ANY(${sql.param(onlyIds)}::text[])` : sql``}
			ORDER BY occurred_at, aggregate_id, sequence
			LIMIT ${limit}
			FOR UPDATE SKIP LOCKED
		)
		RETURNING id, type, store_id, aggregate_id, sequence, payload, request_id, occurred_at`);
	return sendAndStamp(db, queues, claimed.rows);
}

/**
 * Publishes rows the writer appended already claimed (appendEvent with ClaimForRelay) and got
 * back from its own batch: send, stamp. One round trip fewer than relayOutbox's claim.
 */
export function publishClaimed(options: { db: Database; queues: EventQueues; rows: OutboxRow[] }): Promise<RelayResult> {
	return sendAndStamp(options.db, options.queues, options.rows);
}

async function sendAndStamp(db: Database, queues: EventQueues, rows: OutboxRow[]): Promise<RelayResult> {
	if (rows.length === 0) return { published: 0 };

	const envelopes: EventEnvelope[] = rows
		.map((r) => ({
			id: r.id,
			type: r.type,
			storeId: r.store_id,
			aggregateId: r.aggregate_id,
			sequence: Number(r.sequence),
			occurredAt: new Date(r.occurred_at).toISOString(),
			requestId: r.request_id,
			payload: r.payload,
		}))
		.sort(byAggregateThenSequence);

	for (const binding of Object.keys(EVENT_SUBSCRIPTIONS) as EventQueueBinding[]) {
		const queue = queues[binding];
		const matching = envelopes.filter((e) => EVENT_SUBSCRIPTIONS[binding](e));
		if (matching.length === 0) continue;
		if (!queue) throw new Error(`relay has no binding for queue ${binding}`);
		for (const slice of sendBatches(matching)) {
			await queue.sendBatch(slice.map((body) => ({ body, contentType: "json" as const })));
		}
	}

	const ids = rows.map((r) => r.id);
	await db.execute(sql`UPDATE outbox SET published_at = now(), claimed_until = NULL WHERE id = ANY(${sql.param(ids)}::text[])`);
	return { published: rows.length };
}

/**
 * Delivery order: each aggregate's events by sequence (RETURNING gives rows in no particular
 * order). A comparator that answered 0 across aggregates would not be a consistent order, so
 * the sort could leave one aggregate's events out of sequence; grouping by aggregate first
 * makes it a total order. Order across aggregates carries no meaning.
 */
export function byAggregateThenSequence(
	a: Pick<EventEnvelope, "aggregateId" | "sequence">,
	b: Pick<EventEnvelope, "aggregateId" | "sequence">,
): number {
	if (a.aggregateId !== b.aggregateId) return a.aggregateId < b.aggregateId ? -1 : 1;
	return a.sequence - b.sequence;
}

/** Sweep until the outbox is empty or `maxRounds` is reached (cron uses this). */
export async function drainOutbox(options: Omit<RelayOptions, "ids">, maxRounds = 10): Promise<RelayResult> {
	let published = 0;
	for (let round = 0; round < maxRounds; round++) {
		const result = await relayOutbox(options);
		published += result.published;
		if (result.published < (options.limit ?? SEND_BATCH)) break;
	}
	return { published };
}

export interface GroupedPublishTiming {
	/** While writes keep coming (one published within burstWindowMs), wait this long for company. */
	gatherMs: number;
	burstWindowMs: number;
	/** A flusher that has shown no progress this long is presumed gone (its request was cancelled). */
	staleMs: number;
	/**
	 * After this long a flusher stops taking new writes (the next write starts a flusher of its
	 * own) and sends what is pending in one last round, so no request's waitUntil runs on
	 * indefinitely under a steady load.
	 */
	maxFlushMs: number;
}

export const GROUPED_PUBLISH_TIMING: GroupedPublishTiming = {
	gatherMs: 25,
	burstWindowMs: 100,
	staleMs: 5_000,
	maxFlushMs: 2_000,
};

// A round takes whole writes until it holds at least this many rows (a write's events are never
// split across rounds, so they keep their sequence).
const ROWS_PER_ROUND = 500;

interface FlushDeps {
	db: Database;
	queues: EventQueues;
	onError: (error: unknown) => void;
}

/**
 * Publishes the claimed outbox rows of one isolate's concurrent writes together: one sendBatch
 * per queue and one published_at stamp for every write of the moment, instead of per write.
 * Under a checkout rush every order would otherwise cost four queue sends and an UPDATE.
 *
 * Nobody waits for a flush: the rows are already committed and claimed (with a lease) in the
 * outbox, so a write's response never depends on its events' publishing. The first write with
 * no flusher running starts one in its own waitUntil; later writes only add theirs. A lone write
 * is sent at once; while writes keep coming the flusher waits gatherMs for company. A round that
 * fails is retried write by write, so one write that cannot be sent holds back no other. A write
 * whose send still fails, or whose flusher's request is cancelled mid-flight, stays claimed and
 * unpublished, and the ops sweep publishes it once the lease lapses: late, never lost, possibly
 * twice (consumers absorb duplicates by event id). Writes added while a flusher is presumed
 * alive but is in fact gone wait up to staleMs for the next write to take over, or the sweep.
 */
export class GroupedPublisher {
	#pending: OutboxRow[][] = [];
	#owner: object | null = null;
	#ownerAliveAt = 0;
	#lastPublishedAt = Number.NEGATIVE_INFINITY;
	readonly #timing: GroupedPublishTiming;

	constructor(timing: GroupedPublishTiming = GROUPED_PUBLISH_TIMING) {
		this.#timing = timing;
	}

	publish(rows: OutboxRow[], waitUntil: (promise: Promise<unknown>) => void, deps: FlushDeps): void {
		if (rows.length === 0) return;
		this.#pending.push(rows);
		const now = Date.now();
		if (this.#owner !== null && now - this.#ownerAliveAt < this.#timing.staleMs) return;
		const owner = {};
		this.#owner = owner;
		this.#ownerAliveAt = now;
		const gather = now - this.#lastPublishedAt < this.#timing.burstWindowMs ? this.#timing.gatherMs : 0;
		waitUntil(this.#flush(owner, gather, deps));
	}

	async #flush(owner: object, gatherMs: number, deps: FlushDeps): Promise<void> {
		const started = Date.now();
		try {
			if (gatherMs > 0) await new Promise((resolve) => setTimeout(resolve, gatherMs));
			// A stale flusher that wakes after another took over stops here; the writes it took
			// were sent or are back with the sweep.
			while (this.#owner === owner && this.#pending.length > 0) {
				if (Date.now() - started > this.#timing.maxFlushMs) {
					// Hand over before the last round: a write arriving from now on starts its own flusher.
					this.#owner = null;
					await this.#round(this.#pending.splice(0), deps);
					break;
				}
				this.#ownerAliveAt = Date.now();
				await this.#round(this.#take(), deps);
			}
		} finally {
			if (this.#owner === owner) this.#owner = null;
		}
	}

	#take(): OutboxRow[][] {
		let rows = 0;
		let writes = 0;
		while (writes < this.#pending.length && rows < ROWS_PER_ROUND) rows += (this.#pending[writes++] as OutboxRow[]).length;
		return this.#pending.splice(0, writes);
	}

	async #round(writes: OutboxRow[][], deps: FlushDeps): Promise<void> {
		if (writes.length === 0) return;
		try {
			await sendAndStamp(deps.db, deps.queues, writes.flat());
			this.#lastPublishedAt = Date.now();
			return;
		} catch (error) {
			if (writes.length === 1) return deps.onError(error);
		}
		for (const write of writes) {
			try {
				await sendAndStamp(deps.db, deps.queues, write);
			} catch (error) {
				deps.onError(error);
			}
		}
	}

	/** Rows added but not yet taken by a flush (for tests). */
	get pending(): number {
		return this.#pending.reduce((n, write) => n + write.length, 0);
	}
}

// One publisher per isolate and outbox: keyed by the EVENTS queue binding, which every
// request of an isolate shares. A flush uses the queues of the write that started it: callers
// sharing an EVENTS binding must pass the same bindings (commerce's committed() is the only
// caller with claimed rows).
const publishers = new WeakMap<Queue, GroupedPublisher>();

/**
 * What a domain Worker calls after a write: publish exactly that write's events once the
 * response is on its way. A failure here is only logged — the events are safe in the outbox
 * and the ops cron sweep publishes them. Rows the write claimed itself are published with the
 * isolate's other writes of the moment (GroupedPublisher).
 */
export function relayAfterResponse(
	waitUntil: (promise: Promise<unknown>) => void,
	options: { db: Database; queues: EventQueues; ids: string[]; claimed?: OutboxRow[]; worker: string },
): void {
	const claimed = options.claimed ?? [];
	const onError = (error: unknown) =>
		console.error(
			JSON.stringify({ level: "error", msg: "outbox.relay_failed", worker: options.worker, error: errorLogRecord(error) }),
		);
	if (options.ids.length > 0) waitUntil(relayOutbox(options).catch(onError));
	if (claimed.length === 0) return;
	const key = options.queues.EVENTS;
	if (!key) {
		waitUntil(publishClaimed({ db: options.db, queues: options.queues, rows: claimed }).catch(onError));
		return;
	}
	let publisher = publishers.get(key);
	if (!publisher) {
		publisher = new GroupedPublisher();
		publishers.set(key, publisher);
	}
	publisher.publish(claimed, waitUntil, { db: options.db, queues: options.queues, onError });
}
