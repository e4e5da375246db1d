import { MAX_WEBHOOK_ATTEMPTS_KEPT } from "@oja/contracts";
import { type Database, newId } from "@oja/db";
import { type AddressResolver, DnsLookupError } from "@oja/dns";
import { type AnyTypedEnvelope, backoffSeconds, parseEnvelope, type RetryPolicy } from "@oja/events";
import { checkWebhookUrl, classifyIp, nextRetryDelaySeconds, type UrlPolicy, webhookHeaders } from "@oja/webhooks";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { openSecret } from "./webhook-endpoints.ts";

// Merchant webhooks, two consumers:
//  - oja-webhook-events: an event → one delivery row per enabled endpoint of its store that
//    subscribes to it (unique per endpoint and event, so a redelivered event adds nothing),
//    each queued on oja-webhook-delivery. Acked only once the rows exist and are queued.
//  - oja-webhook-delivery: one message per attempt. The row is claimed first, so a duplicate
//    message sends nothing. The attempt count lives on the row and a retry is a new message
//    with that attempt's delay (Queues cap delays at 12 h and retries at 100, and reset a
//    message's count on re-enqueue); after the last attempt the delivery is failed. Each
//    attempt's outcome is a row of webhook_delivery_attempts, written in the batch that updates
//    the delivery (the newest 25 per delivery are kept).
// Every attempt resolves the host and refuses private addresses, and re-checks each redirect:
// the merchant controls the URL and its DNS, so an address checked at creation proves nothing.

const DeliveryMessage = z.object({ id: z.string().regex(/^whd_[0-9A-Z]{26}$/) });
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
/** An endpoint failing this long without a single success is disabled. */
const DISABLE_AFTER = "24 hours";
/** A claim outlives the attempt's timeout and redirects; after it another message may retry. */
const CLAIM_SECONDS = 120;

export interface WebhookDeps {
	db: Database;
	queue: Queue;
	retry: RetryPolicy;
	log: (line: Record<string, unknown>) => void;
}

/**
 * oja-webhook-events → one delivery per subscribed endpoint. The batch's stores' endpoints are
 * read in ONE statement: most stores subscribe none, and then their events cost nothing more
 * (before, each event was a round trip of its own, during a sale one per order). Only an event
 * some endpoint takes makes its deliveries, in a statement per event.
 */
export async function consumeWebhookEvents(batch: MessageBatch<unknown>, deps: WebhookDeps): Promise<void> {
	const retryLater = (message: Message<unknown>, reason: string) => {
		deps.log({
			level: "warn",
			msg: "queue.retry",
			queue: batch.queue,
			messageId: message.id,
			attempt: message.attempts,
			reason,
		});
		message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
	};
	const pending: { message: Message<unknown>; event: AnyTypedEnvelope; storeId: string }[] = [];
	for (const message of batch.messages) {
		const parsed = parseEnvelope(message.body);
		if (!parsed.ok) {
			retryLater(message, parsed.reason);
			continue;
		}
		const storeId = parsed.event.storeId;
		if (!storeId) {
			message.ack();
			continue;
		}
		pending.push({ message, event: parsed.event, storeId });
	}
	if (pending.length === 0) return;

	let endpointsOf: Map<string, { id: string; events: string[] }[]>;
	try {
		endpointsOf = await enabledEndpoints(deps.db, [...new Set(pending.map((p) => p.storeId))]);
	} catch (error) {
		for (const { message } of pending) retryLater(message, error instanceof Error ? error.name : "unknown");
		return;
	}
	for (const { message, event, storeId } of pending) {
		const subscribed = (endpointsOf.get(storeId) ?? [])
			.filter((e) => e.events.includes(event.type) || e.events.includes("*"))
			.map((e) => e.id);
		// (Deliveries a crashed earlier attempt made for an endpoint disabled since are the cron's: strandedDeliveries.)
		if (subscribed.length === 0) {
			message.ack();
			continue;
		}
		try {
			const ids = await fanOut(deps.db, storeId, event, subscribed);
			if (ids.length > 0) await deps.queue.sendBatch(ids.map((id) => ({ body: { id }, contentType: "json" as const })));
			message.ack();
		} catch (error) {
			retryLater(message, error instanceof Error ? error.name : "unknown");
		}
	}
}

/** The enabled endpoints of these stores, by store: one statement for a whole batch. */
async function enabledEndpoints(db: Database, storeIds: string[]): Promise<Map<string, { id: string; events: string[] }[]>> {
	const rows = await db.execute<{ id: string; store_id: string; events: string[] }>(sql`
		SELECT id, store_id, events FROM webhook_endpoints
		WHERE store_id = ANY(${sql.param(storeIds)}::text[]) AND disabled_at IS NULL`);
	const byStore = new Map<string, { id: string; events: string[] }[]>();
	for (const row of rows.rows) {
		const list = byStore.get(row.store_id) ?? [];
		list.push({ id: row.id, events: row.events });
		byStore.set(row.store_id, list);
	}
	return byStore;
}

/** The deliveries of this event still waiting for their first attempt (new, or made by a delivery of it that crashed before queueing). */
async function fanOut(
	db: Database,
	storeId: string,
	event: { id: string; type: string; occurredAt: string; payload: unknown },
	endpointIds: string[],
): Promise<string[]> {
	const body = JSON.stringify({ id: event.id, type: event.type, createdAt: event.occurredAt, storeId, data: event.payload });
	// The new deliveries and any an earlier attempt of this message made but never queued, in one
	// statement: the SELECT sees the rows from before it, RETURNING the ones it inserts.
	const pending = await db.execute<{ id: string }>(sql`
		WITH made AS (
			INSERT INTO webhook_deliveries (id, store_id, endpoint_id, event_id, event_type, body)
			VALUES ${sql.join(
				endpointIds.map((id) => sql`(${newId("webhookDelivery")}, ${storeId}, ${id}, ${event.id}, ${event.type}, ${body})`),
				sql`, `,
			)}
			ON CONFLICT (endpoint_id, event_id) WHERE redelivery_of IS NULL DO NOTHING
			RETURNING id
		)
		SELECT id FROM made
		UNION
		SELECT id FROM webhook_deliveries
		WHERE store_id = ${storeId} AND event_id = ${event.id} AND redelivery_of IS NULL AND status = 'pending' AND attempts = 0`);
	return pending.rows.map((r) => r.id);
}

export interface DeliveryDeps extends WebhookDeps {
	secretKey: string;
	resolver: AddressResolver;
	policy: UrlPolicy;
	/** Multiplies the retry schedule; 0 in tests. */
	retryScale: number;
	/** Emails the store's owner that this endpoint was just disabled (the cron catches up on failures). */
	notifyDisabled?: (storeId: string, endpointId: string) => Promise<unknown>;
	fetch?: typeof fetch;
}

export async function consumeWebhookDeliveries(batch: MessageBatch<unknown>, deps: DeliveryDeps): Promise<void> {
	for (const message of batch.messages) {
		const parsed = DeliveryMessage.safeParse(message.body);
		if (!parsed.success) {
			// Retried like any failure (a newer producer during a deploy); the DLQ takes it if it never parses.
			deps.log({ level: "warn", msg: "webhook.delivery_invalid", messageId: message.id });
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
			continue;
		}
		try {
			const retryIn = await deliverOne(parsed.data.id, deps);
			if (retryIn === null) {
				message.ack();
				continue;
			}
			try {
				await deps.queue.send({ id: parsed.data.id }, { contentType: "json", delaySeconds: retryIn });
				message.ack();
			} catch {
				// The row already waits for this retry: the same message, redelivered at that time, makes it.
				message.retry({ delaySeconds: retryIn });
			}
		} catch (error) {
			deps.log({
				level: "error",
				msg: "queue.retry",
				queue: batch.queue,
				messageId: message.id,
				attempt: message.attempts,
				error: error instanceof Error ? error.name : "unknown",
			});
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
		}
	}
}

/**
 * The attempt's row in the delivery log, for the batch that records its outcome on the delivery
 * (both or neither), and the trim that keeps a delivery's newest attempts only. No bodies: the
 * error is Oja's own code, bounded.
 */
function attemptRows(
	db: Database,
	row: { id: string; store_id: string; attempts: number },
	attempt: { ok: boolean; status: number | null; error: string | null; durationMs: number; startedAt: number },
) {
	return [
		db.execute(sql`
			INSERT INTO webhook_delivery_attempts (store_id, delivery_id, attempt, status, response_status, duration_ms, error, attempted_at)
			VALUES (${row.store_id}, ${row.id}, ${row.attempts}, ${attempt.ok ? "succeeded" : "failed"}, ${attempt.status},
				${Math.max(0, Math.round(attempt.durationMs))}, ${attempt.error?.slice(0, 100) ?? null},
				${new Date(attempt.startedAt).toISOString()}::timestamptz)
			ON CONFLICT (delivery_id, attempt) DO NOTHING`),
		db.execute(sql`
			DELETE FROM webhook_delivery_attempts
			WHERE store_id = ${row.store_id} AND delivery_id = ${row.id} AND attempt <= ${row.attempts - MAX_WEBHOOK_ATTEMPTS_KEPT}`),
	] as const;
}

type Claimed = {
	id: string;
	store_id: string;
	endpoint_id: string;
	event_id: string;
	body: string;
	attempts: number;
	url: string;
	secret_sealed: string;
	previous_secret_sealed: string | null;
	previous_live: boolean;
	disabled: boolean;
};

/** Runs one attempt; the delay before the next one, or null when there is none to queue. */
async function deliverOne(id: string, deps: DeliveryDeps): Promise<number | null> {
	const { db } = deps;
	// Early duplicates (a retry message arriving before its time) are skipped; the one sent
	// with the right delay comes later. Five seconds of slack for clocks.
	const claimed = await db.execute<Claimed>(sql`
		UPDATE webhook_deliveries d SET status = 'sending', attempts = d.attempts + 1, last_attempt_at = now(),
			claimed_until = now() + make_interval(secs => ${CLAIM_SECONDS})
		FROM webhook_endpoints e
		WHERE d.id = ${id} AND e.id = d.endpoint_id AND e.store_id = d.store_id
			AND (d.status = 'pending' OR (d.status = 'sending' AND d.claimed_until < now()))
			AND d.next_attempt_at <= now() + interval '5 seconds'
		RETURNING d.id, d.store_id, d.endpoint_id, d.event_id, d.body, d.attempts, e.url, e.secret_sealed,
			e.previous_secret_sealed, coalesce(e.previous_secret_expires_at > now(), false) AS previous_live,
			e.disabled_at IS NOT NULL AS disabled`);
	const row = claimed.rows[0];
	if (!row) {
		// Someone holds it. If that attempt dies (isolate gone, database error after sending), the
		// row stays "sending" with nothing queued: come back when the lease lapses and take it over.
		const held = await db.execute<{ status: string }>(sql`SELECT status FROM webhook_deliveries WHERE id = ${id}`);
		return held.rows[0]?.status === "sending" ? CLAIM_SECONDS : null;
	}
	if (row.disabled) {
		// Nothing was sent; the claim counted an attempt, so the log shows why it went nowhere.
		await db.batch([
			db.execute(sql`
				UPDATE webhook_deliveries SET status = 'failed', error = 'endpoint-disabled', claimed_until = NULL
				WHERE id = ${row.id} AND store_id = ${row.store_id}`),
			...attemptRows(db, row, { ok: false, status: null, error: "endpoint-disabled", durationMs: 0, startedAt: Date.now() }),
		]);
		return null;
	}
	const secrets = [await openSecret(deps.secretKey, row.store_id, row.endpoint_id, row.secret_sealed)];
	if (row.previous_live && row.previous_secret_sealed) {
		secrets.push(await openSecret(deps.secretKey, row.store_id, row.endpoint_id, row.previous_secret_sealed));
	}
	const started = Date.now();
	const outcome = await post(row.url, await webhookHeaders(secrets, row.event_id, row.body), row.body, deps);
	const durationMs = Date.now() - started;
	const attempt = {
		...outcome,
		error: outcome.ok ? null : (outcome.error ?? `http-${outcome.status}`),
		durationMs,
		startedAt: started,
	};
	deps.log({
		level: outcome.ok ? "info" : "warn",
		msg: "webhook.attempt",
		deliveryId: row.id,
		endpointId: row.endpoint_id,
		storeId: row.store_id,
		attempt: row.attempts,
		status: outcome.status,
		error: outcome.error,
		ms: durationMs,
	});
	if (outcome.ok) {
		await db.batch([
			db.execute(sql`
				UPDATE webhook_deliveries SET status = 'succeeded', response_status = ${outcome.status}, duration_ms = ${durationMs},
					error = NULL, claimed_until = NULL
				WHERE id = ${row.id} AND store_id = ${row.store_id}`),
			db.execute(sql`
				UPDATE webhook_endpoints SET failing_since = NULL
				WHERE id = ${row.endpoint_id} AND store_id = ${row.store_id} AND failing_since IS NOT NULL`),
			...attemptRows(db, row, attempt),
		]);
		return null;
	}
	// The endpoint's failure clock starts at its first failure since a success; 24 hours of it
	// disables the endpoint (recorded on it; its owner is emailed once, below or by the cron).
	const endpoint = await db.execute<{ disabled_now: boolean; failing_since: string }>(sql`
		UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()),
			disabled_at = CASE WHEN disabled_at IS NULL AND failing_since <= now() - ${DISABLE_AFTER}::interval THEN now() ELSE disabled_at END,
			disabled_reason = CASE WHEN disabled_at IS NULL AND failing_since <= now() - ${DISABLE_AFTER}::interval
				THEN ${`Every delivery failed for 24 hours (last: ${outcome.error ?? `http-${outcome.status}`}).`} ELSE disabled_reason END
		WHERE id = ${row.endpoint_id} AND store_id = ${row.store_id}
		RETURNING (disabled_at IS NOT NULL AND disabled_at >= now()) AS disabled_now, failing_since::text AS failing_since`);
	const disabledNow = endpoint.rows[0]?.disabled_now === true;
	if (disabledNow) {
		deps.log({
			level: "warn",
			msg: "webhook.endpoint_disabled",
			notice: "merchant",
			endpointId: row.endpoint_id,
			storeId: row.store_id,
			failingSince: endpoint.rows[0]?.failing_since,
		});
	}
	const delay = disabledNow ? null : nextRetryDelaySeconds(row.attempts, { scale: deps.retryScale });
	await db.batch([
		db.execute(sql`
			UPDATE webhook_deliveries SET status = ${delay === null ? "failed" : "pending"}, response_status = ${outcome.status},
				duration_ms = ${durationMs}, error = ${attempt.error}, claimed_until = NULL,
				next_attempt_at = now() + make_interval(secs => ${delay ?? 0})
			WHERE id = ${row.id} AND store_id = ${row.store_id}`),
		...attemptRows(db, row, attempt),
	]);
	if (disabledNow && deps.notifyDisabled) {
		// Not this delivery's failure if it cannot be sent now: the endpoint stays "not yet told",
		// and the messaging cron sends it.
		await deps.notifyDisabled(row.store_id, row.endpoint_id).catch((error: unknown) =>
			deps.log({
				level: "warn",
				msg: "webhook.disabled_notice_deferred",
				endpointId: row.endpoint_id,
				storeId: row.store_id,
				error: error instanceof Error ? error.name : "unknown",
			}),
		);
	}
	return delay;
}

interface Outcome {
	ok: boolean;
	status: number | null;
	error: string | null;
}

/** The host's addresses, all of them public; else why not. */
async function vetHost(url: string, deps: DeliveryDeps): Promise<string | null> {
	const verdict = checkWebhookUrl(url, deps.policy);
	if (!verdict.ok) return `refused-${verdict.reason}`;
	if (verdict.allowlisted || verdict.ip) return null;
	let addresses: string[];
	try {
		addresses = await deps.resolver.addresses(verdict.host);
	} catch (error) {
		return error instanceof DnsLookupError ? `dns-${error.code}` : "dns-failed";
	}
	if (addresses.length === 0) return "dns-no-address";
	for (const address of addresses) {
		const ip = classifyIp(address);
		if (!ip?.ok) return `refused-address-${ip ? ip.reason : "invalid"}`;
	}
	return null;
}

/**
 * POSTs the body, following at most three redirects by hand so each target is vetted like the
 * first. (Workers' fetch resolves the name again itself; the window between our lookup and its
 * is the residual DNS-rebinding risk, and Cloudflare's egress does not reach private networks.)
 */
async function post(url: string, headers: Record<string, string>, body: string, deps: DeliveryDeps): Promise<Outcome> {
	const send = deps.fetch ?? ((input, init) => fetch(input, init));
	let target = url;
	for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
		const refused = await vetHost(target, deps);
		if (refused) return { ok: false, status: null, error: refused };
		let res: Response;
		try {
			res = await send(target, {
				method: "POST",
				headers,
				body,
				redirect: "manual",
				signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
			});
		} catch (error) {
			const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
			return { ok: false, status: null, error: timedOut ? "timeout" : "connection-failed" };
		}
		await res.body?.cancel();
		const location = res.headers.get("location");
		if (res.status >= 300 && res.status < 400 && location) {
			try {
				target = new URL(location, target).toString();
			} catch {
				return { ok: false, status: res.status, error: "bad-redirect" };
			}
			continue;
		}
		return { ok: res.status >= 200 && res.status < 300, status: res.status, error: null };
	}
	return { ok: false, status: null, error: "too-many-redirects" };
}

/**
 * Deliveries nobody is working on: due for over five minutes with no attempt running (their
 * queue message was dead-lettered after repeated database errors, or never sent), or claimed by
 * an attempt whose lease lapsed a minute ago. The cron queues them again; the claim keeps a
 * duplicate message harmless.
 */
export async function strandedDeliveries(db: Database, limit = 500): Promise<string[]> {
	const result = await db.execute<{ id: string }>(sql`
		SELECT id FROM webhook_deliveries
		WHERE status IN ('pending', 'sending') AND next_attempt_at < now() - interval '5 minutes'
			AND (status = 'pending' OR claimed_until < now() - interval '1 minute')
		ORDER BY next_attempt_at LIMIT ${limit}`);
	return result.rows.map((r) => r.id);
}
