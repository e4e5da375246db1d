-- Issue 10: refunds. One row per refund of (part of) an online payment. It is written in the
-- same transaction as the order's refunded amount and the ledger's refund entry, status
-- 'pending'; Paystack is asked AFTER that commit, and its refund id is stored here. A pending
-- row without a provider id is retried by the payments cron (next_attempt_at), which asks
-- Paystack for the transaction's refunds before trying again (a refund has no idempotency
-- reference). refund.processed / refund.failed settle it, once.
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"reference" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	-- Where the merchant's share came from, so a failed refund returns it there.
	"source" text NOT NULL,
	"kind" text DEFAULT 'merchant' NOT NULL,
	"reason" text NOT NULL,
	"restock" boolean DEFAULT false NOT NULL,
	"restocked" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"provider_refund_id" text,
	"idempotency_key" text,
	"request_hash" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "refunds_status" CHECK ("status" IN ('pending', 'processed', 'failed')),
	CONSTRAINT "refunds_source" CHECK ("source" IN ('pending', 'available')),
	CONSTRAINT "refunds_kind" CHECK ("kind" IN ('merchant', 'late_payment')),
	CONSTRAINT "refunds_amount" CHECK ("amount_minor" > 0 AND "amount_minor" <= 1000000000000000000)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_idempotency" ON "refunds" USING btree ("store_id", "idempotency_key")
	WHERE "idempotency_key" IS NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_provider_id" ON "refunds" USING btree ("provider_refund_id")
	WHERE "provider_refund_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "refunds_store_order_idx" ON "refunds" USING btree ("store_id", "order_id", "created_at");
--> statement-breakpoint
CREATE INDEX "refunds_due_idx" ON "refunds" USING btree ("next_attempt_at") WHERE "status" = 'pending' AND "provider_refund_id" IS NULL;
--> statement-breakpoint
-- Fulfilled units put back on hand by a refund with restock (never more than were fulfilled).
ALTER TABLE "order_lines" ADD COLUMN "restocked_quantity" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_restocked" CHECK ("restocked_quantity" >= 0 AND "restocked_quantity" <= "fulfilled_quantity");
