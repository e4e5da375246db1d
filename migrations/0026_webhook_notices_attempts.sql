-- Issue 11: a notice to the merchant when an endpoint is disabled, and a delivery log that keeps
-- every attempt. The messaging Worker owns both.

-- When the store's owner was emailed about the endpoint's current disable (null: not yet). The
-- delivery that disables the endpoint sends the notice at once; the messaging cron sends any
-- that did not go out (a crash between the two). Enabling the endpoint clears it.
ALTER TABLE "webhook_endpoints" ADD COLUMN "disabled_notice_at" timestamp with time zone;
--> statement-breakpoint
-- Endpoints disabled before this migration count as told: their owners dealt with them (or not)
-- long ago, and a first cron after deploying must not email them about old failures.
UPDATE "webhook_endpoints" SET "disabled_notice_at" = "disabled_at" WHERE "disabled_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "webhook_endpoints_notice_due_idx" ON "webhook_endpoints" USING btree ("disabled_at")
	WHERE "disabled_at" IS NOT NULL AND "disabled_notice_at" IS NULL;
--> statement-breakpoint
-- One row per attempt of a delivery, written in the same batch that records the attempt's outcome
-- on the delivery row. Only what the log shows: no request or response bodies, ever (the body sent
-- is the delivery's, the response's is discarded unread). The newest 25 attempts of a delivery are
-- kept (the automatic schedule makes at most 10; a manual redelivery is a new delivery).
CREATE TABLE "webhook_delivery_attempts" (
	"store_id" text NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"delivery_id" text NOT NULL REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE,
	"attempt" integer NOT NULL,
	-- succeeded (a 2xx) or failed (anything else, or no answer).
	"status" text NOT NULL,
	"response_status" integer,
	"duration_ms" integer NOT NULL,
	-- Oja's own code for a failure (http-500, timeout, refused-…), never text from the receiver.
	"error" text,
	"attempted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_delivery_attempts_pkey" PRIMARY KEY ("delivery_id", "attempt"),
	CONSTRAINT "webhook_delivery_attempts_status" CHECK ("status" IN ('succeeded', 'failed')),
	CONSTRAINT "webhook_delivery_attempts_attempt" CHECK ("attempt" >= 1),
	CONSTRAINT "webhook_delivery_attempts_duration" CHECK ("duration_ms" >= 0),
	CONSTRAINT "webhook_delivery_attempts_error_length" CHECK (char_length("error") <= 100)
);
