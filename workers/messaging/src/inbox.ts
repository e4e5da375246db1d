import {
	type Conversation,
	type ConversationList,
	type ConversationListQuery,
	type ConversationMessage,
	type MessageList,
	type MessageListQuery,
	ProblemError,
	problem,
} from "@oja/contracts";
import type { Database } from "@oja/db";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";

// The merchant inbox: reads, every one scoped by store id. Conversations list unread first,
// then most recent (keyset: (unread flag, last message time, id)); a thread reads oldest first.

const ISO = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

function encode(parts: (string | number)[]): string {
	return btoa(JSON.stringify(parts)).replaceAll("=", "");
}

const At = z.iso.datetime({ offset: true });
const ConversationCursor = z.tuple([z.union([z.literal(0), z.literal(1)]), At, z.string().regex(/^cnv_[0-9A-Z]{26}$/)]);
const MessageCursor = z.tuple([At, z.string().regex(/^msg_[0-9A-Z]{26}$/)]);

/** A cursor this API made, or a 400 (never a database error from a crafted one). */
function decode<T extends z.ZodType>(cursor: string, shape: T): z.output<T> {
	try {
		const parsed = shape.safeParse(JSON.parse(atob(cursor)));
		if (parsed.success) return parsed.data;
	} catch {}
	throw new ProblemError(
		problem("validation-failed", "Invalid cursor.", { errors: [{ path: "cursor", message: "Invalid cursor", code: "invalid" }] }),
	);
}

interface ConversationRow {
	id: string;
	wa_id: string;
	customer_name: string | null;
	handler: "assistant" | "staff";
	assigned_user_id: string | null;
	handoff_reason: string | null;
	unread_count: number;
	last_message_at: string;
	last_message_preview: string;
	window_open_until: string | null;
	unread: number;
	[column: string]: unknown;
}

const CONVERSATION_COLUMNS = sql`id, wa_id, customer_name, handler, assigned_user_id, handoff_reason, unread_count,
	${ISO("last_message_at")} AS last_message_at, last_message_preview,
	CASE WHEN last_inbound_at IS NULL THEN NULL ELSE ${ISO("(last_inbound_at + interval '24 hours')")} END AS window_open_until,
	(unread_count > 0)::int AS unread`;

function toConversation(r: ConversationRow): Conversation {
	return {
		id: r.id,
		channel: "whatsapp",
		waId: r.wa_id,
		customerName: r.customer_name,
		handler: r.handler,
		assignedUserId: r.assigned_user_id,
		handoffReason: r.handoff_reason,
		unreadCount: r.unread_count,
		lastMessageAt: r.last_message_at,
		lastMessagePreview: r.last_message_preview,
		windowOpenUntil: r.window_open_until,
	};
}

export async function listConversations(db: Database, storeId: string, query: ConversationListQuery): Promise<ConversationList> {
	const where: SQL[] = [sql`store_id = ${storeId}`];
	if (query.handler) where.push(sql`handler = ${query.handler}`);
	if (query.cursor) {
		const [unread, at, id] = decode(query.cursor, ConversationCursor);
		where.push(sql`((unread_count > 0)::int, last_message_at, id) < (${unread}, ${at}::timestamptz, ${id})`);
	}
	const result = await db.execute<ConversationRow>(sql`
		SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE ${sql.join(where, sql` AND `)}
		ORDER BY (unread_count > 0) DESC, last_message_at DESC, id DESC LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const last = rows.at(-1);
	return {
		items: rows.map(toConversation),
		nextCursor: result.rows.length > query.limit && last ? encode([last.unread, last.last_message_at, last.id]) : null,
	};
}

export async function getConversation(db: Database, storeId: string, conversationId: string): Promise<Conversation | null> {
	const result = await db.execute<ConversationRow>(sql`
		SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE store_id = ${storeId} AND id = ${conversationId}`);
	const row = result.rows[0];
	return row ? toConversation(row) : null;
}

export async function listMessages(
	db: Database,
	storeId: string,
	conversationId: string,
	query: MessageListQuery,
): Promise<MessageList> {
	const where: SQL[] = [sql`store_id = ${storeId}`, sql`conversation_id = ${conversationId}`];
	if (query.cursor) {
		const [at, id] = decode(query.cursor, MessageCursor);
		where.push(sql`(created_at, id) > (${at}::timestamptz, ${id})`);
	}
	const result = await db.execute<{
		id: string;
		direction: "in" | "out";
		author: ConversationMessage["author"];
		author_user_id: string | null;
		kind: string;
		preview: string;
		content: unknown;
		status: ConversationMessage["status"];
		status_at: string;
		error_code: string | null;
		created_at: string;
	}>(sql`
		SELECT id, direction, author, author_user_id, kind, preview, content, status, ${ISO("status_at")} AS status_at, error_code,
			${ISO("created_at")} AS created_at
		FROM conversation_messages WHERE ${sql.join(where, sql` AND `)}
		ORDER BY created_at, id LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const last = rows.at(-1);
	return {
		items: rows.map((r) => ({
			id: r.id,
			direction: r.direction,
			author: r.author,
			authorUserId: r.author_user_id,
			kind: r.kind,
			preview: r.preview,
			content: r.content,
			status: r.status,
			statusAt: r.status_at,
			errorCode: r.error_code,
			createdAt: r.created_at,
		})),
		nextCursor: result.rows.length > query.limit && last ? encode([last.created_at, last.id]) : null,
	};
}

/** The merchant has read the conversation. */
export async function markRead(db: Database, storeId: string, conversationId: string): Promise<boolean> {
	const result = await db.execute(
		sql`UPDATE conversations SET unread_count = 0 WHERE store_id = ${storeId} AND id = ${conversationId} RETURNING id`,
	);
	return result.rows.length > 0;
}
