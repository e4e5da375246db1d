-- Issue 10, item 8: reconciliation. A run compares the ledger with Paystack's transaction and
-- transfer lists for a period (packages/ledger/src/reconcile.ts) and records each difference
-- for an operator to read. Runs are kept; a period may be run again (each run stands alone).
-- The daily cron run of a period is unique, so two cron invocations cannot both run it.
CREATE TABLE "reconciliation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	-- 'cron' or the operator id who asked.
	"triggered_by" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"charges_checked" integer DEFAULT 0 NOT NULL,
	"transfers_checked" integer DEFAULT 0 NOT NULL,
	"differences" integer DEFAULT 0 NOT NULL,
	"error" text,
	-- Who holds the run: a new lease each time it is (re)started; a holder that lost it writes nothing.
	"lease" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "reconciliation_runs_period" CHECK ("period_from" < "period_to"),
	CONSTRAINT "reconciliation_runs_status" CHECK ("status" IN ('running', 'completed', 'incomplete', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_runs_cron_period" ON "reconciliation_runs" USING btree ("period_from", "period_to")
	WHERE "triggered_by" = 'cron';
--> statement-breakpoint
-- One operator run at a time: each one pages through Paystack and competes with checkouts for
-- its rate limit.
CREATE UNIQUE INDEX "reconciliation_runs_one_operator_run" ON "reconciliation_runs" USING btree ((true))
	WHERE "status" = 'running' AND "triggered_by" <> 'cron';
--> statement-breakpoint
CREATE INDEX "reconciliation_runs_started_idx" ON "reconciliation_runs" USING btree ("started_at", "id");
--> statement-breakpoint
CREATE TABLE "reconciliation_differences" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
	"run_id" text NOT NULL REFERENCES "reconciliation_runs" ("id"),
	"object" text NOT NULL,
	"reference" text NOT NULL,
	"store_id" text,
	"type" text NOT NULL,
	"ledger_amount_minor" bigint,
	"provider_amount_minor" bigint,
	"ledger_currency" text,
	"provider_currency" text,
	"ledger_status" text,
	"provider_status" text,
	"provider_id" text,
	"detail" text NOT NULL,
	CONSTRAINT "reconciliation_differences_object" CHECK ("object" IN ('charge', 'transfer')),
	CONSTRAINT "reconciliation_differences_type" CHECK ("type" IN ('missing_in_ledger', 'missing_at_provider',
		'amount_mismatch', 'currency_mismatch', 'status_mismatch')),
	CONSTRAINT "reconciliation_differences_once" UNIQUE ("run_id", "object", "reference")
);
--> statement-breakpoint
-- Reconciliation reads a period's payments, payouts and ledger entries by time.
CREATE INDEX "payments_created_idx" ON "payments" USING btree ("created_at");
--> statement-breakpoint
CREATE INDEX "payouts_created_idx" ON "payouts" USING btree ("created_at");
--> statement-breakpoint
-- The operators' queue of payments under review.
CREATE INDEX "payments_review_idx" ON "payments" USING btree ("updated_at", "id") WHERE "status" = 'review';
--> statement-breakpoint
CREATE INDEX "ledger_entries_posted_idx" ON "ledger_entries" USING btree ("posted_at")
	WHERE "kind" IN ('sale', 'payout');
