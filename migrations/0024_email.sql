-- Issue 11 item 6: email. Messaging owns the email log and the suppression list; identity owns
-- the single-use account tokens (email verification, password reset) and users' verification.

-- Merchants verify their email too (customers have had email_verified_at since 0005). Read and
-- written by identity's account-emails.ts in SQL; not in the drizzle schema, which nothing needs it in.
ALTER TABLE "users" ADD COLUMN "email_verified_at" timestamp with time zone;
--> statement-breakpoint
-- Single-use tokens, stored as SHA-256 hashes (the raw token exists only in the email). Each
-- belongs to a merchant (user_id) or to one store's shopper (customer_id + store_id), never both.
CREATE TABLE "account_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"user_id" text REFERENCES "users" ("id") ON DELETE CASCADE,
	"store_id" text REFERENCES "stores" ("id") ON DELETE CASCADE,
	"customer_id" text REFERENCES "customers" ("id") ON DELETE CASCADE,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_tokens_purpose" CHECK ("purpose" IN ('verify_email', 'reset_password')),
	CONSTRAINT "account_tokens_subject" CHECK (
		("user_id" IS NOT NULL AND "customer_id" IS NULL AND "store_id" IS NULL) OR
		("user_id" IS NULL AND "customer_id" IS NOT NULL AND "store_id" IS NOT NULL)
	)
);
--> statement-breakpoint
-- A new request or a successful reset retires the subject's other live tokens of that purpose.
CREATE INDEX "account_tokens_user_idx" ON "account_tokens" USING btree ("user_id", "purpose") WHERE "user_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "account_tokens_customer_idx" ON "account_tokens" USING btree ("store_id", "customer_id", "purpose") WHERE "customer_id" IS NOT NULL;
--> statement-breakpoint
-- One row per email Oja tried to send. `key` is the idempotency key end to end (the producer's:
-- event id + recipient role, or the account token's hash): a redelivered queue message finds its
-- row. The address is kept only as a SHA-256 hash of its lower-cased form: enough to answer "did
-- we email this address" and to match the suppression list, without a second copy of customers'
-- addresses (they stay in identity's and commerce's tables). Bodies are never stored.
CREATE TABLE "email_log" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	-- Null for platform emails (a merchant's own account).
	"store_id" text REFERENCES "stores" ("id") ON DELETE CASCADE,
	"template" text NOT NULL,
	"to_hash" text NOT NULL,
	-- queued → sent, or failed; suppressed when the address is on the suppression list.
	"status" text NOT NULL,
	"provider_id" text,
	"error_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_log_key_unique" UNIQUE ("key"),
	CONSTRAINT "email_log_status" CHECK ("status" IN ('queued', 'sent', 'failed', 'suppressed'))
);
--> statement-breakpoint
CREATE INDEX "email_log_store_idx" ON "email_log" USING btree ("store_id", "created_at" DESC) WHERE "store_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "email_log_provider_idx" ON "email_log" USING btree ("provider_id") WHERE "provider_id" IS NOT NULL;
--> statement-breakpoint
-- Addresses never to send to again (hard bounces, complaints), platform-wide: a mailbox that does
-- not exist bounces whichever store writes to it, and sending on hurts every store's reputation.
CREATE TABLE "email_suppressions" (
	"to_hash" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"provider_event_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_suppressions_reason" CHECK ("reason" IN ('bounced', 'complained'))
);
