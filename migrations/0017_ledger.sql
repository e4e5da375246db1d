-- Issue 10: the ledger (docs/ledger.md). Double-entry and append-only, with the rules that keep
-- money right enforced by the database itself, not only by the code that writes to it:
--   * every entry's postings sum to zero per currency (a deferred constraint trigger, checked
--     at COMMIT, so an entry's postings may be written in any order within its transaction);
--   * an entry has postings, and only in the transaction that made it (no amending it later);
--   * a store's accounts move only in that store's entries;
--   * UPDATE, DELETE and TRUNCATE of entries and postings are refused;
--   * each entry's external reference is unique, so a replayed webhook cannot post twice;
--   * a store's pending, available and in-transit money, and what it owes in fees, never goes
--     below zero (CHECK on the per-store balances a trigger keeps from the postings).
-- Amounts are signed minor units: a debit positive, a credit negative.

-- A store's platform fee on online sales: basis points + fixed, capped (packages/ledger/src/fees.ts).
ALTER TABLE "stores" ADD COLUMN "platform_fee_bps" integer DEFAULT 150 NOT NULL;
--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "platform_fee_fixed_minor" bigint DEFAULT 10000 NOT NULL;
--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "platform_fee_cap_minor" bigint DEFAULT 200000 NOT NULL;
--> statement-breakpoint
ALTER TABLE "stores" ADD CONSTRAINT "stores_platform_fee_bounds" CHECK (
	"platform_fee_bps" BETWEEN 0 AND 10000
	AND "platform_fee_fixed_minor" BETWEEN 0 AND 10000000000
	AND "platform_fee_cap_minor" BETWEEN 0 AND 10000000000);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"kind" text NOT NULL,
	"external_ref" text NOT NULL,
	"order_id" text,
	"subject_id" text,
	"description" text NOT NULL,
	"request_id" text,
	"posted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_external_ref_key" UNIQUE ("external_ref"),
	CONSTRAINT "ledger_entries_kind" CHECK ("kind" IN ('sale', 'pod_fee', 'settlement', 'payout', 'payout_completed',
		'payout_returned', 'refund', 'refund_completed', 'refund_returned'))
);
--> statement-breakpoint
CREATE INDEX "ledger_entries_store_posted_idx" ON "ledger_entries" USING btree ("store_id", "posted_at", "id");
--> statement-breakpoint
CREATE INDEX "ledger_entries_store_order_idx" ON "ledger_entries" USING btree ("store_id", "order_id")
	WHERE "order_id" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "ledger_postings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
	"entry_id" text NOT NULL REFERENCES "ledger_entries" ("id"),
	"store_id" text,
	"account" text NOT NULL,
	"currency" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	CONSTRAINT "ledger_postings_account" CHECK ("account" IN ('pending', 'available', 'payouts_in_transit',
		'fees_receivable', 'paystack_clearing', 'fee_revenue', 'provider_fees', 'refunds_clearing')),
	CONSTRAINT "ledger_postings_store_scope" CHECK (
		("account" IN ('pending', 'available', 'payouts_in_transit', 'fees_receivable')) = ("store_id" IS NOT NULL)),
	CONSTRAINT "ledger_postings_currency" CHECK ("currency" ~ '^[A-Z]{3}$'),
	-- 10^18 bounds one posting; sums of many stay inside bigint for any realistic store.
	CONSTRAINT "ledger_postings_amount" CHECK ("amount_minor" <> 0
		AND "amount_minor" BETWEEN -1000000000000000000 AND 1000000000000000000)
);
--> statement-breakpoint
CREATE INDEX "ledger_postings_entry_idx" ON "ledger_postings" USING btree ("entry_id");
--> statement-breakpoint
CREATE INDEX "ledger_postings_store_idx" ON "ledger_postings" USING btree ("store_id", "account", "currency")
	WHERE "store_id" IS NOT NULL;
--> statement-breakpoint
-- Per-store balances, kept by a trigger from the postings (platform accounts are summed when
-- read: caching them would make one row every payment of every store contends for). The
-- CHECK is what makes "available never goes negative" hold under any concurrency: two payouts
-- that together overdraw serialise on this row, and the second fails.
CREATE TABLE "ledger_balances" (
	"store_id" text NOT NULL,
	"account" text NOT NULL,
	"currency" text NOT NULL,
	"balance_minor" bigint NOT NULL,
	CONSTRAINT "ledger_balances_pkey" PRIMARY KEY ("store_id", "account", "currency"),
	CONSTRAINT "ledger_balances_never_negative" CHECK (CASE
		WHEN "account" IN ('pending', 'available', 'payouts_in_transit') THEN "balance_minor" <= 0
		WHEN "account" = 'fees_receivable' THEN "balance_minor" >= 0
		ELSE false END)
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_balances_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.store_id IS NOT NULL THEN
		-- Not one INSERT … ON CONFLICT DO UPDATE: Postgres checks the CHECK on the row it proposes
		-- to insert even when it then updates instead, so a first debit to `pending` would fail.
		INSERT INTO ledger_balances (store_id, account, currency, balance_minor)
		VALUES (NEW.store_id, NEW.account, NEW.currency, 0)
		ON CONFLICT (store_id, account, currency) DO NOTHING;
		UPDATE ledger_balances SET balance_minor = balance_minor + NEW.amount_minor
		WHERE store_id = NEW.store_id AND account = NEW.account AND currency = NEW.currency;
	END IF;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_balances_apply AFTER INSERT ON ledger_postings
	FOR EACH ROW EXECUTE FUNCTION ledger_balances_apply();
--> statement-breakpoint
-- At COMMIT: the posting's entry balances in every currency, and was made in this transaction.
CREATE OR REPLACE FUNCTION ledger_posting_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	unbalanced text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM ledger_entries e, ledger_postings p
		WHERE e.id = NEW.entry_id AND p.id = NEW.id AND e.xmin = p.xmin) THEN
		RAISE EXCEPTION 'ledger entry % can only get postings in the transaction that created it', NEW.entry_id
			USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_sealed';
	END IF;
	-- A store's accounts move only in that store's entries: one store's entry cannot credit another's.
	IF NEW.store_id IS NOT NULL AND NEW.store_id <> (SELECT store_id FROM ledger_entries WHERE id = NEW.entry_id) THEN
		RAISE EXCEPTION 'ledger entry % posts to another store''s account', NEW.entry_id
			USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_store';
	END IF;
	SELECT currency INTO unbalanced FROM ledger_postings WHERE entry_id = NEW.entry_id
		GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
	IF unbalanced IS NOT NULL THEN
		RAISE EXCEPTION 'ledger entry % does not balance in %', NEW.entry_id, unbalanced
			USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
	END IF;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_postings
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_check();
--> statement-breakpoint
-- At COMMIT: an entry has postings (at least two, since none is zero and they sum to zero).
CREATE OR REPLACE FUNCTION ledger_entry_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT count(*) FROM ledger_postings WHERE entry_id = NEW.id) < 2 THEN
		RAISE EXCEPTION 'ledger entry % has fewer than two postings', NEW.id
			USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_postings';
	END IF;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_entry_postings AFTER INSERT ON ledger_entries
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_has_postings();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_postings
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
