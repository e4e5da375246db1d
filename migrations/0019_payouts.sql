-- Issue 10, item 7: payouts. A merchant withdraws `available` money to a Nigerian bank
-- account by Paystack transfer.
--
-- A payout account is a bank account Paystack resolved and made a transfer recipient for. The
-- full account number is never stored: its last 4 digits are shown, and a SHA-256 of
-- bank code + number (keyed by store) keeps a store from adding the same account twice.
CREATE TABLE "payout_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id"),
	"bank_code" text NOT NULL,
	"bank_name" text,
	"account_name" text NOT NULL,
	"account_last4" text NOT NULL,
	"account_hash" text NOT NULL,
	"currency" text NOT NULL,
	"recipient_code" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone,
	CONSTRAINT "payout_accounts_last4" CHECK ("account_last4" ~ '^[0-9]{4}$'),
	CONSTRAINT "payout_accounts_bank_code" CHECK ("bank_code" ~ '^[0-9]{3,6}$'),
	CONSTRAINT "payout_accounts_currency" CHECK ("currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE UNIQUE INDEX "payout_accounts_store_account_key" ON "payout_accounts" USING btree ("store_id", "account_hash")
	WHERE "archived_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "payout_accounts_store_idx" ON "payout_accounts" USING btree ("store_id", "id");
--> statement-breakpoint
-- A payout: `amount_minor` from available to payouts_in_transit (its ledger entry commits in
-- the same transaction as this row), then a Paystack transfer under `reference` (the payout id
-- lowercased: Paystack's idempotency key, so a retry never pays twice). The request's
-- Idempotency-Key is kept on the row (unique per store) with a hash of the request body.
--   pending     committed, the transfer not (yet) accepted by Paystack: retried by the cron
--   processing  Paystack accepted the transfer (transfer_code known), outcome not yet known
--   paid        transfer.success: the money left Paystack (payout_completed entry)
--   failed      transfer.failed, or Paystack refused it: the money is available again (payout_returned)
--   reversed    transfer.reversed: the money came back and is available again
CREATE TABLE "payouts" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id"),
	"payout_account_id" text NOT NULL REFERENCES "payout_accounts" ("id"),
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"reference" text NOT NULL,
	"status" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"transfer_code" text,
	"failure_reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"requested_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "payouts_reference_key" UNIQUE ("reference"),
	CONSTRAINT "payouts_store_idempotency_key" UNIQUE ("store_id", "idempotency_key"),
	CONSTRAINT "payouts_reference_format" CHECK ("reference" ~ '^[a-z0-9_-]{1,100}$'),
	CONSTRAINT "payouts_status" CHECK ("status" IN ('pending', 'processing', 'paid', 'failed', 'reversed')),
	CONSTRAINT "payouts_amount" CHECK ("amount_minor" > 0 AND "amount_minor" <= 1000000000000000000)
);
--> statement-breakpoint
CREATE INDEX "payouts_store_idx" ON "payouts" USING btree ("store_id", "id");
--> statement-breakpoint
-- The retry cron reads only payouts Paystack has not accepted yet, earliest due first.
CREATE INDEX "payouts_pending_due_idx" ON "payouts" USING btree ("next_attempt_at") WHERE "status" = 'pending';
--> statement-breakpoint
-- The legal status changes, enforced here whatever the code does (the code's conditional
-- UPDATEs say the same): a transfer's outcome is final once known, except that a paid
-- transfer may still be reversed by the bank. So success after a reversal or a failure, a
-- second failure, or a reversal after a failure (the money was already returned) cannot apply.
CREATE OR REPLACE FUNCTION payouts_transition_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
		(OLD.status = 'pending' AND NEW.status IN ('processing', 'paid', 'failed', 'reversed'))
		OR (OLD.status = 'processing' AND NEW.status IN ('paid', 'failed', 'reversed'))
		OR (OLD.status = 'paid' AND NEW.status = 'reversed')
	) THEN
		RAISE EXCEPTION 'payout % cannot go from % to %', OLD.id, OLD.status, NEW.status
			USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_transition';
	END IF;
	IF NEW.amount_minor <> OLD.amount_minor OR NEW.reference <> OLD.reference OR NEW.store_id <> OLD.store_id
		OR NEW.payout_account_id <> OLD.payout_account_id OR NEW.currency <> OLD.currency THEN
		RAISE EXCEPTION 'payout % amount, reference, store, account and currency are fixed', OLD.id
			USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_fixed';
	END IF;
	RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER payouts_transition_check BEFORE UPDATE ON payouts
	FOR EACH ROW EXECUTE FUNCTION payouts_transition_check();
