import type { Database } from "@oja/db";
import { newId } from "@oja/db";
import { contentPreview, type InboundContent, type OutboundContent } from "@oja/whatsapp";
import { sql } from "drizzle-orm";

// Conversations and their messages in Postgres: what the inbox reads and searches. Every
// statement is scoped by store id. The Conversation Durable Object is the only writer of a
// conversation's thread; delivery states are written by the outbound consumer and status
// webhooks, and only ever move forward.

/** Delivery states in order; a status older than the one recorded changes nothing. */
const STATUS_RANK = { queued: 0, sending: 0, sent: 1, delivered: 2, read: 3, failed: 4 } as const;
// The row's own column, not the CTE's snapshot: when two statuses for one message race, the
// second UPDATE waits for the first and then re-checks its WHERE against the row as committed.
const RANK_OF_STATUS_COLUMN = sql.raw(`CASE m.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3
	WHEN 'failed' THEN 4 ELSE 0 END`);

export function inboundPreview(content: InboundContent): string {
	switch (content.type) {
		case "text":
			return content.text;
		case "reply":
			return content.title;
		case "order":
			return `Order from catalog: ${content.items.length} item(s)`;
		case "image":
			return content.caption ? `[image] ${content.caption}` : "[image]";
		case "location":
			return `[location] ${content.name ?? content.address ?? `${content.latitude},${content.longitude}`}`;
		case "unsupported":
			return `[${content.wireType}]`;
	}
}

const clipPreview = (text: string) => Array.from(text).slice(0, 200).join("");

export interface RecordedInbound {
	conversationId: string;
	/** False when this wamid was already recorded (a redelivery): do nothing more. */
	fresh: boolean;
	handler: "assistant" | "staff";
}

/**
 * Records an inbound message and opens (or refreshes) the customer-service window, in one
 * transaction. A wamid seen before inserts nothing and touches nothing.
 */
export async function recordInbound(
	db: Database,
	input: { storeId: string; waId: string; name: string | null; wamid: string; at: Date; content: InboundContent },
): Promise<RecordedInbound> {
	const { storeId, waId } = input;
	const preview = clipPreview(inboundPreview(input.content));
	const at = input.at.toISOString();
	const [, result] = await db.batch([
		db.execute(sql`INSERT INTO conversations (id, store_id, wa_id, customer_name, last_message_at, last_message_preview)
			VALUES (${newId("conversation")}, ${storeId}, ${waId}, ${input.name}, now(), '')
			ON CONFLICT (store_id, wa_id) DO NOTHING`),
		db.execute<{ id: string; handler: "assistant" | "staff"; fresh: boolean }>(sql`
			WITH conv AS (SELECT id, handler FROM conversations WHERE store_id = ${storeId} AND wa_id = ${waId}),
			ins AS (
				INSERT INTO conversation_messages (id, store_id, conversation_id, direction, author, wamid, kind, preview, content, status, created_at)
				SELECT ${newId("message")}, ${storeId}, conv.id, 'in', 'customer', ${input.wamid}, ${input.content.type}, ${preview},
					${JSON.stringify(input.content)}::jsonb, 'received', now()
				FROM conv
				ON CONFLICT (store_id, wamid) WHERE wamid IS NOT NULL DO NOTHING
				RETURNING conversation_id
			),
			upd AS (
				UPDATE conversations c SET
					last_inbound_at = GREATEST(c.last_inbound_at, ${at}::timestamptz),
					last_message_at = now(),
					last_message_preview = ${preview},
					unread_count = c.unread_count + 1,
					customer_name = COALESCE(${input.name}, c.customer_name)
				FROM ins WHERE c.id = ins.conversation_id AND c.store_id = ${storeId}
				RETURNING c.id
			)
			SELECT conv.id, conv.handler, EXISTS (SELECT 1 FROM upd) AS fresh FROM conv`),
	]);
	const row = result.rows[0];
	if (!row) throw new Error("conversation missing after upsert");
	return { conversationId: row.id, fresh: row.fresh, handler: row.handler };
}

export interface QueuedMessage {
	id: string;
	content: OutboundContent;
}

/**
 * Queues outbound messages (status `queued`) for the whatsapp-outbound consumer. The ids are
 * the caller's, so queueing the same replies again (a retried inbound message) inserts nothing.
 * A staff reply marks the conversation read.
 */
export async function queueOutbound(
	db: Database,
	input: {
		storeId: string;
		conversationId: string;
		author: "assistant" | "staff" | "system";
		authorUserId?: string | null;
		messages: QueuedMessage[];
	},
): Promise<string[]> {
	if (input.messages.length === 0) return [];
	const rows = input.messages.map(
		(m, i) => sql`(${m.id}, ${input.storeId}, ${input.conversationId}, 'out', ${input.author}, ${input.authorUserId ?? null},
			${m.content.type}, ${clipPreview(contentPreview(m.content))}, ${JSON.stringify(m.content)}::jsonb, 'queued',
			clock_timestamp() + ${`${i} microseconds`}::interval)`,
	);
	const last = input.messages.at(-1) as QueuedMessage;
	const result = await db.execute<{ id: string }>(sql`
		WITH ins AS (
			INSERT INTO conversation_messages (id, store_id, conversation_id, direction, author, author_user_id, kind, preview, content, status, created_at)
			VALUES ${sql.join(rows, sql`, `)}
			ON CONFLICT (id) DO NOTHING
			RETURNING id
		),
		upd AS (
			UPDATE conversations SET last_message_at = now(), last_message_preview = ${clipPreview(contentPreview(last.content))},
				unread_count = CASE WHEN ${input.author} = 'staff' THEN 0 ELSE unread_count END
			WHERE id = ${input.conversationId} AND store_id = ${input.storeId} AND EXISTS (SELECT 1 FROM ins)
		)
		SELECT id FROM ins`);
	return result.rows.map((r) => r.id);
}

export interface ClaimedSend {
	id: string;
	storeId: string;
	waId: string;
	content: OutboundContent;
	attempts: number;
	lastInboundAt: string | null;
	phoneNumberId: string | null;
	accessTokenSealed: string | null;
}

/** Takes a queued message for sending (a lease of two minutes); null if it is not ours to send. */
export async function claimSend(db: Database, id: string): Promise<ClaimedSend | null> {
	const result = await db.execute<{
		id: string;
		store_id: string;
		wa_id: string;
		content: OutboundContent;
		attempts: number;
		last_inbound_at: string | null;
		phone_number_id: string | null;
		access_token_sealed: string | null;
	}>(sql`
		WITH claimed AS (
			UPDATE conversation_messages SET status = 'sending', attempts = attempts + 1, claimed_until = now() + interval '2 minutes'
			WHERE id = ${id} AND direction = 'out'
				AND (status = 'queued' OR (status = 'sending' AND claimed_until < now()))
			RETURNING id, store_id, conversation_id, content, attempts
		)
		SELECT claimed.id, claimed.store_id, c.wa_id, claimed.content, claimed.attempts,
			to_char(c.last_inbound_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_inbound_at,
			ch.phone_number_id, ch.access_token_sealed
		FROM claimed
		JOIN conversations c ON c.id = claimed.conversation_id AND c.store_id = claimed.store_id
		LEFT JOIN whatsapp_channels ch ON ch.store_id = claimed.store_id`);
	const row = result.rows[0];
	if (!row) return null;
	return {
		id: row.id,
		storeId: row.store_id,
		waId: row.wa_id,
		content: row.content,
		attempts: row.attempts,
		lastInboundAt: row.last_inbound_at,
		phoneNumberId: row.phone_number_id,
		accessTokenSealed: row.access_token_sealed,
	};
}

export async function markSent(db: Database, id: string, wamid: string): Promise<void> {
	await db.execute(sql`UPDATE conversation_messages SET status = 'sent', wamid = ${wamid}, status_at = now(), claimed_until = NULL,
		error_code = NULL WHERE id = ${id} AND status = 'sending'`);
}

/** Back to the queue after a failure worth retrying (the queue message is retried with backoff). */
export async function markRetrying(db: Database, id: string, code: string): Promise<void> {
	await db.execute(sql`UPDATE conversation_messages SET status = 'queued', claimed_until = NULL, error_code = ${code}
		WHERE id = ${id} AND status = 'sending'`);
}

export async function markFailed(db: Database, id: string, code: string): Promise<void> {
	await db.execute(sql`UPDATE conversation_messages SET status = 'failed', status_at = now(), claimed_until = NULL,
		error_code = ${code} WHERE id = ${id} AND status IN ('queued', 'sending')`);
}

export type StatusOutcome = "applied" | "stale" | "unknown";

/**
 * A status webhook for a message we sent. States never move backwards: statuses arrive out of
 * order (read before delivered), and a late `sent` must not undo `read`. `unknown` means no
 * message of this number carries the wamid yet (the send's answer may not be recorded yet).
 */
export async function applyStatus(
	db: Database,
	input: {
		phoneNumberId: string;
		wamid: string;
		status: "sent" | "delivered" | "read" | "failed";
		at: Date;
		errorCode: number | null;
	},
): Promise<StatusOutcome> {
	const result = await db.execute<{ known: boolean; updated: boolean }>(sql`
		WITH target AS (
			SELECT m.id, m.store_id, m.status FROM conversation_messages m
			JOIN whatsapp_channels ch ON ch.store_id = m.store_id
			WHERE ch.phone_number_id = ${input.phoneNumberId} AND m.wamid = ${input.wamid} AND m.direction = 'out'
		),
		upd AS (
			UPDATE conversation_messages m SET status = ${input.status}, status_at = ${input.at.toISOString()}::timestamptz,
				error_code = COALESCE(${input.errorCode === null ? null : String(input.errorCode)}, m.error_code)
			FROM target
			WHERE m.id = target.id AND m.store_id = target.store_id
				AND ${RANK_OF_STATUS_COLUMN} < ${STATUS_RANK[input.status]}
			RETURNING m.id
		)
		SELECT EXISTS (SELECT 1 FROM target) AS known, EXISTS (SELECT 1 FROM upd) AS updated`);
	const row = result.rows[0];
	if (!row?.known) return "unknown";
	return row.updated ? "applied" : "stale";
}

/**
 * Sends that lost their way: claimed by a consumer that died (lease over) or queued and never
 * picked up (the queue send after the commit failed). The cron puts them back on the queue; the
 * claim makes a duplicate harmless. A consumer that died after Meta accepted the message and
 * before recording it makes this send it again: a rare duplicate, never a lost message.
 */
export async function strandedSends(db: Database, limit = 500): Promise<{ id: string; conversationId: string }[]> {
	const result = await db.execute<{ id: string; conversation_id: string }>(sql`
		SELECT id, conversation_id FROM conversation_messages
		WHERE direction = 'out' AND status IN ('queued', 'sending') AND (
			(status = 'sending' AND claimed_until < now()) OR
			(status = 'queued' AND created_at < now() - interval '2 minutes')
		)
		ORDER BY created_at LIMIT ${limit}`);
	return result.rows.map((r) => ({ id: r.id, conversationId: r.conversation_id }));
}
