import { type Database, newId } from "@oja/db";
import { type SQL, sql } from "drizzle-orm";
import { readBalance, type StoreAccount } from "./accounts.ts";
import { type EntryDraft, unbalancedCurrencies } from "./entries.ts";
import type { FeeSchedule } from "./fees.ts";

// The ledger's statements, for whichever Worker moves the money: a payment's entry must
// commit in the same transaction as the order turning paid, so posting is a statement the
// caller puts in its own batch, not an RPC to the ledger Worker. (Kept out of the package's
// index so the pure rules stay free of drizzle.)

/**
 * One statement: the entry and its postings, or nothing if an entry with the same external
 * reference exists (a replay). RETURNING gives the entry id once per posting when it was
 * posted, no rows when it was a replay. The database refuses it, at COMMIT, if it does not
 * balance, and immediately if it would take a store balance below zero.
 */
export function postEntrySql(entry: EntryDraft, requestId: string | null): SQL {
	const unbalanced = unbalancedCurrencies(entry);
	// The database would refuse it at COMMIT too; failing here names the bug in the caller.
	if (unbalanced.length > 0) throw new Error(`ledger: ${entry.kind} entry does not balance in ${unbalanced.join(", ")}`);
	// bigint as text: JSON numbers above 2^53 would lose digits.
	const postings = JSON.stringify(
		entry.postings.map((p) => ({
			store_id: p.storeId,
			account: p.account,
			currency: p.currency,
			amount_minor: p.amountMinor.toString(),
		})),
	);
	return sql`
		WITH e AS (
			INSERT INTO ledger_entries (id, store_id, kind, external_ref, order_id, subject_id, description, request_id)
			VALUES (${newId("ledgerEntry")}, ${entry.storeId}, ${entry.kind}, ${entry.externalRef}, ${entry.orderId},
				${entry.subjectId}, ${entry.description}, ${requestId})
			ON CONFLICT (external_ref) DO NOTHING
			RETURNING id
		)
		INSERT INTO ledger_postings (entry_id, store_id, account, currency, amount_minor)
		SELECT e.id, p.store_id, p.account, p.currency, p.amount_minor
		FROM e, jsonb_to_recordset(${postings}::jsonb) AS p(store_id text, account text, currency text, amount_minor bigint)
		RETURNING entry_id`;
}

/** postEntrySql as a batch item. */
export function postEntry(db: Database, entry: EntryDraft, requestId: string | null) {
	return db.execute<{ entry_id: string }>(postEntrySql(entry, requestId));
}

/** The store's fee schedule for platformFee (its row in `stores`). */
export async function feeScheduleOf(db: Database, storeId: string): Promise<FeeSchedule> {
	const result = await db.execute<{ bps: number; fixed: string; cap: string }>(sql`
		SELECT platform_fee_bps AS bps, platform_fee_fixed_minor::text AS fixed, platform_fee_cap_minor::text AS cap
		FROM stores WHERE id = ${storeId}`);
	const row = result.rows[0];
	if (!row) throw new Error("ledger: no such store for a fee schedule");
	return { bps: Number(row.bps), fixedMinor: BigInt(row.fixed), capMinor: BigInt(row.cap) };
}

export interface StoreBalance {
	currency: string;
	pendingMinor: bigint;
	availableMinor: bigint;
	inTransitMinor: bigint;
	/** Platform fees the store owes (pay on delivery), netted from its next settlements. */
	feesOwedMinor: bigint;
}

/**
 * A store's balances in its own currency (zero where nothing was posted yet), read on each
 * account's normal side; null if there is no such store.
 */
export async function storeBalance(db: Database, storeId: string): Promise<StoreBalance | null> {
	const result = await db.execute<{ currency: string; account: StoreAccount | null; balance_minor: string | null }>(sql`
		SELECT s.currency, b.account, b.balance_minor::text AS balance_minor
		FROM stores s LEFT JOIN ledger_balances b ON b.store_id = s.id AND b.currency = s.currency
		WHERE s.id = ${storeId}`);
	const first = result.rows[0];
	if (!first) return null;
	const balance: StoreBalance = {
		currency: first.currency,
		pendingMinor: 0n,
		availableMinor: 0n,
		inTransitMinor: 0n,
		feesOwedMinor: 0n,
	};
	for (const row of result.rows) {
		if (!row.account || row.balance_minor === null) continue;
		const amount = readBalance(row.account, BigInt(row.balance_minor));
		if (row.account === "pending") balance.pendingMinor = amount;
		else if (row.account === "available") balance.availableMinor = amount;
		else if (row.account === "payouts_in_transit") balance.inTransitMinor = amount;
		else if (row.account === "fees_receivable") balance.feesOwedMinor = amount;
	}
	return balance;
}

export interface BalanceDiscrepancy {
	storeId: string;
	account: string;
	currency: string;
	cachedMinor: bigint;
	postedMinor: bigint;
}

/**
 * `ledger verify`: every cached store balance against the sum of its postings (and any sum
 * with no cached row). Empty when the ledger is consistent.
 */
export async function verifyBalances(db: Database): Promise<BalanceDiscrepancy[]> {
	const result = await db.execute<{
		store_id: string;
		account: string;
		currency: string;
		cached: string | null;
		posted: string | null;
	}>(sql`
		WITH sums AS (
			SELECT store_id, account, currency, sum(amount_minor) AS posted FROM ledger_postings
			WHERE store_id IS NOT NULL GROUP BY store_id, account, currency
		)
		SELECT coalesce(b.store_id, s.store_id) AS store_id, coalesce(b.account, s.account) AS account,
			coalesce(b.currency, s.currency) AS currency, b.balance_minor::text AS cached, s.posted::text AS posted
		FROM ledger_balances b FULL JOIN sums s USING (store_id, account, currency)
		WHERE b.balance_minor IS DISTINCT FROM s.posted AND NOT (b.balance_minor = 0 AND s.posted IS NULL)`);
	return result.rows.map((r) => ({
		storeId: r.store_id,
		account: r.account,
		currency: r.currency,
		cachedMinor: BigInt(r.cached ?? "0"),
		postedMinor: BigInt(r.posted ?? "0"),
	}));
}

/** Sum of every posting per currency: zero for all, in a consistent ledger. */
export async function trialBalance(db: Database): Promise<{ currency: string; sumMinor: bigint }[]> {
	const result = await db.execute<{ currency: string; total: string }>(sql`
		SELECT currency, sum(amount_minor)::text AS total FROM ledger_postings GROUP BY currency ORDER BY currency`);
	return result.rows.map((r) => ({ currency: r.currency, sumMinor: BigInt(r.total) }));
}
