import type { Database } from "@oja/db";
import type { EmailMessage } from "@oja/email";
import type { AnyTypedEnvelope } from "@oja/events";
import { sql } from "drizzle-orm";

// Notices to a store's owner by email: payouts (from payout.completed / payout.failed on
// oja-messaging-events) and a webhook endpoint disabled after a day of failures. Each is queued
// on oja-email under a key derived from what it is about (the event id, the endpoint and its
// disable time), so a redelivery queues the same key and the email consumer sends it once.

export interface StoreNoticeRecipient {
	name: string;
	/** The store's first owner (identity's memberships and users, read-only); null if none. */
	ownerEmail: string | null;
}

/** The store's name and the address merchant notices go to (new orders, payouts, webhooks). */
export async function storeNoticeRecipient(db: Database, storeId: string): Promise<StoreNoticeRecipient | null> {
	const found = await db.execute<{ name: string; owner_email: string | null }>(sql`
		SELECT s.name, (
			SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.store_id = s.id AND m.role = 'owner' ORDER BY m.created_at LIMIT 1
		) AS owner_email
		FROM stores s WHERE s.id = ${storeId}`);
	const row = found.rows[0];
	return row ? { name: row.name, ownerEmail: row.owner_email } : null;
}

export interface NoticeDeps {
	db: Database;
	send: (messages: EmailMessage[]) => Promise<void>;
	/** The store's name and owner's address; memoised for one queue batch (perBatch). */
	recipient: (storeId: string) => Promise<StoreNoticeRecipient | null>;
}

/**
 * A lookup shared by the events of one queue batch: a burst of one store's orders asks once,
 * not once per order. Lives only as long as the batch, so nothing goes stale past it; a failed
 * lookup is forgotten, so the next event asks again.
 */
export function perBatch<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
	const seen = new Map<string, Promise<T>>();
	return (key) => {
		let found = seen.get(key);
		if (!found) {
			found = load(key);
			seen.set(key, found);
			found.catch(() => seen.delete(key));
		}
		return found;
	};
}

/** payout.completed / payout.failed → one email to the store's owner; other events: nothing. */
export async function payoutEmailsFor(event: AnyTypedEnvelope, deps: NoticeDeps): Promise<number> {
	if (event.type !== "payout.completed" && event.type !== "payout.failed") return 0;
	const p = event.payload;
	const store = await deps.recipient(p.storeId);
	if (!store?.ownerEmail) return 0;
	const data = {
		storeName: store.name,
		payoutId: p.payoutId,
		amountMinor: p.amountMinor,
		currency: p.currency,
		bankName: p.bankName,
		accountLast4: p.accountLast4,
	};
	const message: EmailMessage =
		event.type === "payout.completed"
			? {
					key: `${event.id}:merchant`,
					storeId: p.storeId,
					to: store.ownerEmail,
					template: "merchant_payout_completed",
					data: { ...data, outcome: "paid", reason: null },
				}
			: {
					key: `${event.id}:merchant`,
					storeId: p.storeId,
					to: store.ownerEmail,
					template: "merchant_payout_failed",
					data: { ...data, outcome: event.payload.outcome, reason: event.payload.reason },
				};
	await deps.send([message]);
	return 1;
}

/**
 * The URL as a notice shows it: its origin and the first path segment only. Receivers put their
 * secret in the query (many) or in the path (Discord, Slack, Zapier hooks), and an email travels
 * through the provider's logs, previews and lock screens; the endpoint id names it exactly.
 */
export function displayUrl(url: string): string {
	try {
		const u = new URL(url);
		const [first, ...rest] = u.pathname.split("/").filter(Boolean);
		if (first === undefined) return u.origin;
		return `${u.origin}/${first}${rest.length > 0 || u.search || u.hash ? "/…" : ""}`;
	} catch {
		return "(invalid URL)";
	}
}

const ISO = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

/**
 * Emails the owner of each disabled endpoint not yet told about its current disable (one
 * endpoint's, right after its delivery disabled it; all that are due, from the cron), then marks
 * them told. The key is the endpoint and its disable time: a repeat (crash before the mark, the
 * cron racing the delivery) queues the same key, which the email consumer sends once; a later
 * disable after re-enabling is a new notice.
 */
export async function notifyDisabledEndpoints(
	deps: NoticeDeps,
	only?: { storeId: string; endpointId: string },
	limit = 100,
): Promise<number> {
	const due = await deps.db.execute<{
		id: string;
		store_id: string;
		url: string;
		disabled_reason: string | null;
		failing_since: string | null;
		disabled_at: string;
		disabled_key: string;
	}>(sql`
		SELECT id, store_id, url, disabled_reason, ${ISO("failing_since")} AS failing_since, ${ISO("disabled_at")} AS disabled_at,
			(extract(epoch FROM disabled_at) * 1000000)::bigint::text AS disabled_key
		FROM webhook_endpoints
		WHERE disabled_at IS NOT NULL AND disabled_notice_at IS NULL
			${only ? sql`AND store_id = ${only.storeId} AND id = ${only.endpointId}` : sql``}
		ORDER BY disabled_at LIMIT ${limit}`);
	let sent = 0;
	for (const e of due.rows) {
		const store = await deps.recipient(e.store_id);
		if (store?.ownerEmail) {
			await deps.send([
				{
					key: `${e.id}:disabled:${e.disabled_key}`,
					storeId: e.store_id,
					to: store.ownerEmail,
					template: "merchant_webhook_disabled",
					data: {
						storeName: store.name,
						storeId: e.store_id,
						endpointId: e.id,
						url: displayUrl(e.url),
						failingSince: e.failing_since ?? e.disabled_at,
						disabledAt: e.disabled_at,
						reason: (e.disabled_reason ?? "Every delivery failed for 24 hours.").slice(0, 300),
					},
				},
			]);
			sent++;
		}
		// Marked only for the disable just told (a re-enable and new disable since is told again).
		await deps.db.execute(sql`
			UPDATE webhook_endpoints SET disabled_notice_at = now()
			WHERE id = ${e.id} AND store_id = ${e.store_id} AND disabled_notice_at IS NULL
				AND (extract(epoch FROM disabled_at) * 1000000)::bigint::text = ${e.disabled_key}`);
	}
	return sent;
}
