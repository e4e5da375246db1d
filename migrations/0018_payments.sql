-- Issue 10: online payments. A payment is one provider transaction for one order, under our
-- own reference (which Paystack keys idempotency on). An order has at most one live payment
-- (initializing, initialized or paid); a superseded or failed one may be followed by another.
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL,
	"provider" text DEFAULT 'paystack' NOT NULL,
	"reference" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"authorization_url" text,
	"access_code" text,
	"provider_transaction_id" text,
	"provider_fee_minor" bigint,
	"platform_fee_minor" bigint,
	"review_reason" text,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_reference_key" UNIQUE ("reference"),
	CONSTRAINT "payments_status" CHECK ("status" IN ('initializing', 'initialized', 'paid', 'review', 'failed', 'superseded')),
	CONSTRAINT "payments_amount" CHECK ("amount_minor" > 0 AND "amount_minor" <= 1000000000000000000),
	CONSTRAINT "payments_fees" CHECK (("provider_fee_minor" IS NULL OR "provider_fee_minor" >= 0)
		AND ("platform_fee_minor" IS NULL OR "platform_fee_minor" >= 0))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "payments_one_live_per_order" ON "payments" USING btree ("order_id")
	WHERE "status" IN ('initializing', 'initialized', 'paid');
--> statement-breakpoint
CREATE INDEX "payments_store_order_idx" ON "payments" USING btree ("store_id", "order_id");
--> statement-breakpoint
-- Provider webhook events applied, one row each: Paystack sends no event id, so the key is the
-- event name and the object it is about (`charge.success:<reference>`, `transfer.success:<id>`).
-- Written in the same transaction as the event's effect, so a redelivery finds it and does nothing.
CREATE TABLE "payment_events" (
	"provider" text NOT NULL,
	"event_key" text NOT NULL,
	"event" text NOT NULL,
	"store_id" text,
	"outcome" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_pkey" PRIMARY KEY ("provider", "event_key")
);
