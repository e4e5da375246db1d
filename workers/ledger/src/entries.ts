import { type LedgerEntry, type LedgerPage, type LedgerQuery, ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import { exactMinor } from "./money.ts";

// The merchant's ledger: entries newest first, each with this store's own postings (the
// platform's side of an entry — Oja's fee revenue, Paystack's charges — is not the
// merchant's to read). Cursor: (posted_at, id) of the last entry returned.

/** The cursor's time as the list writes it: UTC, microseconds. */
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function encodeCursor(postedAt: string, id: string): string {
	return btoa(`${postedAt}|${id}`);
}

function decodeCursor(cursor: string): { postedAt: string; id: string } {
	try {
		const [postedAt, id] = atob(cursor).split("|");
		// Exactly the form this list gives out (Date.parse alone accepts "1" and "2026-02-30",
		// which Postgres then refuses).
		if (postedAt && id && ISO_MICROS.test(postedAt) && /^led_[0-9A-Z]{26}$/.test(id)) {
			const ms = Date.parse(postedAt);
			if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === postedAt.slice(0, 19)) return { postedAt, id };
		}
	} catch {
		// fall through
	}
	throw new ProblemError(
		problem("validation-failed", "That cursor is not one this list gave out.", {
			errors: [{ path: "cursor", message: "Invalid cursor", code: "invalid_cursor" }],
		}),
	);
}

export async function listEntries(db: Database, storeId: string, query: LedgerQuery): Promise<LedgerPage> {
	const after = query.cursor ? decodeCursor(query.cursor) : null;
	const result = await db.execute<{
		id: string;
		kind: LedgerEntry["kind"];
		order_id: string | null;
		subject_id: string | null;
		description: string;
		posted_at: string;
		postings: { account: LedgerEntry["postings"][number]["account"]; currency: string; amount_minor: string }[] | null;
	}>(sql`
		SELECT e.id, e.kind, e.order_id, e.subject_id, e.description,
			to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS posted_at,
			(SELECT jsonb_agg(jsonb_build_object('account', p.account, 'currency', p.currency,
				'amount_minor', p.amount_minor::text) ORDER BY p.id)
				FROM ledger_postings p WHERE p.entry_id = e.id AND p.store_id = ${storeId}) AS postings
		FROM ledger_entries e
		WHERE e.store_id = ${storeId}
			${query.kind ? sql`AND e.kind = ${query.kind}` : sql``}
			${query.orderId ? sql`AND e.order_id = ${query.orderId}` : sql``}
			${query.from ? sql`AND e.posted_at >= ${query.from}::timestamptz` : sql``}
			${query.to ? sql`AND e.posted_at < ${query.to}::timestamptz` : sql``}
			${after ? sql`AND (e.posted_at, e.id) < (${after.postedAt}::timestamptz, ${after.id})` : sql``}
		ORDER BY e.posted_at DESC, e.id DESC
		LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const last = rows[rows.length - 1];
	return {
		items: rows.map((r) => ({
			id: r.id,
			kind: r.kind,
			orderId: r.order_id,
			subjectId: r.subject_id,
			description: r.description,
			postedAt: r.posted_at,
			postings: (r.postings ?? []).map((p) => ({
				account: p.account,
				currency: p.currency as LedgerEntry["postings"][number]["currency"],
				amountMinor: exactMinor(BigInt(p.amount_minor)),
			})),
		})),
		nextCursor: result.rows.length > query.limit && last ? encodeCursor(last.posted_at, last.id) : null,
	};
}
