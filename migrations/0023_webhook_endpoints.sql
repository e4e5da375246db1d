-- Issue 11 item 7: merchant outbound webhooks. The messaging Worker owns both tables: it fans
-- events out into deliveries (one per subscribed endpoint and event) and its delivery consumer
-- records every attempt on the delivery row.

-- A merchant's endpoint. The signing secret is sealed (AES-GCM, MESSAGING_SECRET_KEY, bound to
-- the store and endpoint) because Oja must be able to sign with it; it is shown once. After a
-- rotation the previous secret keeps signing too until previous_secret_expires_at, so receivers
-- can switch without dropping deliveries.
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"url" text NOT NULL,
	"description" text,
	-- Event types, or ['*'] for all of them.
	"events" text[] NOT NULL,
	"secret_sealed" text NOT NULL,
	"previous_secret_sealed" text,
	"previous_secret_expires_at" timestamp with time zone,
	-- Set at the first failed attempt after a success, cleared by the next success: an endpoint
	-- failing for 24 hours straight is disabled.
	"failing_since" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_url_length" CHECK (char_length("url") <= 2048),
	CONSTRAINT "webhook_endpoints_events" CHECK (cardinality("events") BETWEEN 1 AND 50)
);
--> statement-breakpoint
CREATE INDEX "webhook_endpoints_store_idx" ON "webhook_endpoints" USING btree ("store_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"endpoint_id" text NOT NULL REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	-- The exact bytes sent on every attempt (each attempt signs them with a fresh timestamp).
	"body" text NOT NULL,
	-- pending (queued or waiting for a retry) → sending → succeeded | failed.
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"response_status" integer,
	"duration_ms" integer,
	"error" text,
	"claimed_until" timestamp with time zone,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	-- A manual redelivery is a new row pointing at the delivery it repeats.
	"redelivery_of" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status" CHECK ("status" IN ('pending', 'sending', 'succeeded', 'failed'))
);
--> statement-breakpoint
-- One automatic delivery per endpoint and event: a redelivered event fans out to nothing new.
CREATE UNIQUE INDEX "webhook_deliveries_event" ON "webhook_deliveries" USING btree ("endpoint_id", "event_id") WHERE "redelivery_of" IS NULL;
--> statement-breakpoint
-- The delivery log, newest first.
CREATE INDEX "webhook_deliveries_log_idx" ON "webhook_deliveries" USING btree ("endpoint_id", "created_at" DESC, "id" DESC);
