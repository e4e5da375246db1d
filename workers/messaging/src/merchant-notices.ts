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
}

/** payout.completed / payout.failed → one email to the store's owner; other events: nothing. */
export async function payoutEmailsFor(event: AnyTypedEnvelope, deps: NoticeDeps): Promise<number> {
	if (event.type !== "payout.completed" && event.type !== "payout.failed") return 0;
	const p = event.payload;
	const store = await storeNoticeRecipient(deps.db, p.storeId);
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
