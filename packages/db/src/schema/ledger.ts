import { sql } from "drizzle-orm";
import { bigint, index, pgTable, primaryKey, text, timestamp, unique } from "drizzle-orm/pg-core";

// The ledger (migrations/0017_ledger.sql, docs/ledger.md). Written only through
// @oja/ledger/sql's postEntry; the database refuses updates, deletes and unbalanced entries.
// Amounts are bigint end to end here: balances are sums over a store's whole history.

export const ledgerEntries = pgTable(
	"ledger_entries",
	{
		id: text("id").primaryKey(),
		storeId: text("store_id").notNull(),
		kind: text("kind").notNull(),
		externalRef: text("external_ref").notNull(),
		orderId: text("order_id"),
		subjectId: text("subject_id"),
		description: text("description").notNull(),
		requestId: text("request_id"),
		postedAt: timestamp("posted_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
	},
	(t) => [
		unique("ledger_entries_external_ref_key").on(t.externalRef),
		index("ledger_entries_store_posted_idx").on(t.storeId, t.postedAt, t.id),
		index("ledger_entries_store_order_idx").on(t.storeId, t.orderId).where(sql`${t.orderId} IS NOT NULL`),
	],
);

export const ledgerPostings = pgTable(
	"ledger_postings",
	{
		id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
		entryId: text("entry_id")
			.notNull()
			.references(() => ledgerEntries.id),
		storeId: text("store_id"),
		account: text("account").notNull(),
		currency: text("currency").notNull(),
		amountMinor: bigint("amount_minor", { mode: "bigint" }).notNull(),
	},
	(t) => [
		index("ledger_postings_entry_idx").on(t.entryId),
		index("ledger_postings_store_idx").on(t.storeId, t.account, t.currency).where(sql`${t.storeId} IS NOT NULL`),
	],
);

export const ledgerBalances = pgTable(
	"ledger_balances",
	{
		storeId: text("store_id").notNull(),
		account: text("account").notNull(),
		currency: text("currency").notNull(),
		balanceMinor: bigint("balance_minor", { mode: "bigint" }).notNull(),
	},
	(t) => [primaryKey({ columns: [t.storeId, t.account, t.currency], name: "ledger_balances_pkey" })],
);
