-- Issue 11: a notice to the merchant when an endpoint is disabled. The messaging Worker owns it.

-- When the store's owner was emailed about the endpoint's current disable (null: not yet). The
-- delivery that disables the endpoint sends the notice at once; the messaging cron sends any
-- that did not go out (a crash between the two). Enabling the endpoint clears it.
ALTER TABLE "webhook_endpoints" ADD COLUMN "disabled_notice_at" timestamp with time zone;
--> statement-breakpoint
CREATE INDEX "webhook_endpoints_notice_due_idx" ON "webhook_endpoints" USING btree ("disabled_at")
	WHERE "disabled_at" IS NOT NULL AND "disabled_notice_at" IS NULL;
