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

// Queues accept at most 100 messages per sendBatch.
const SEND_BATCH = 100;

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
		for (let i = 0; i < matching.length; i += SEND_BATCH) {
			await queue.sendBatch(matching.slice(i, i + SEND_BATCH).map((body) => ({ body, contentType: "json" as const })));
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
	/** A flusher hands over after this long, so no request's waitUntil runs on indefinitely. */
	maxFlushMs: number;
}

export const GROUPED_PUBLISH_TIMING: GroupedPublishTiming = {
	gatherMs: 25,
	burstWindowMs: 100,
	staleMs: 5_000,
	maxFlushMs: 2_000,
};

// At most this many rows per send-and-stamp round (Queues take 100 per sendBatch; the
// round sends in slices).
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
 * no flusher running starts one in its own waitUntil; later writes only add their rows. A lone
 * write is sent at once; while writes keep coming the flusher waits gatherMs for company. If a
 * flush fails, or its request is cancelled mid-flight, the rows stay claimed and unpublished and
 * the ops sweep publishes them once the lease lapses: late, never lost, possibly twice (consumers
 * absorb duplicates by event id).
 */
export class GroupedPublisher {
	#pending: OutboxRow[] = [];
	#owner: object | null = null;
	#ownerAliveAt = 0;
	#lastPublishedAt = Number.NEGATIVE_INFINITY;
	readonly #timing: GroupedPublishTiming;

	constructor(timing: GroupedPublishTiming = GROUPED_PUBLISH_TIMING) {
		this.#timing = timing;
	}

	publish(rows: OutboxRow[], waitUntil: (promise: Promise<unknown>) => void, deps: FlushDeps): void {
		if (rows.length === 0) return;
		this.#pending.push(...rows);
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
			// A stale flusher that wakes after another took over stops here; its rows were sent or
			// are back with the sweep.
			while (this.#owner === owner && this.#pending.length > 0) {
				const rows = this.#pending.splice(0, ROWS_PER_ROUND);
				this.#ownerAliveAt = Date.now();
				try {
					await sendAndStamp(deps.db, deps.queues, rows);
					this.#lastPublishedAt = Date.now();
				} catch (error) {
					deps.onError(error);
				}
				if (Date.now() - started > this.#timing.maxFlushMs) break;
			}
		} finally {
			if (this.#owner === owner) this.#owner = null;
		}
	}

	/** Rows added but not yet taken by a flush (for tests and shutdown logging). */
	get pending(): number {
		return this.#pending.length;
	}
}

// One publisher per isolate and outbox: keyed by the EVENTS queue binding, which every
// request of an isolate shares.
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
