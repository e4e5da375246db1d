-- Retention: the tables below only ever grew. The ops Worker's cron deletes what has outlived its
-- purpose, a bounded chunk per table per run (workers/ops/src/retention.ts); these indexes let each
-- chunk find its rows without scanning the table.

-- Published events: the relay is done with them and ops' event_log keeps the record.
CREATE INDEX "outbox_published_idx" ON "outbox" USING btree ("published_at") WHERE "published_at" IS NOT NULL;
--> statement-breakpoint
-- Consumers' idempotency markers: needed only while a message can still be redelivered.
CREATE INDEX "processed_messages_created_at_idx" ON "processed_messages" USING btree ("created_at");
--> statement-breakpoint
-- Checkout idempotency keys (and their stored responses).
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys" USING btree ("created_at");
--> statement-breakpoint
-- Dead letters keep the failed message's body, which can carry customers' messages and contacts.
CREATE INDEX "dead_letters_created_at_idx" ON "dead_letters" USING btree ("created_at");
--> statement-breakpoint
-- Merchant webhook deliveries keep the body sent (order data); finished ones age out with their attempts.
CREATE INDEX "webhook_deliveries_finished_idx" ON "webhook_deliveries" USING btree ("created_at")
	WHERE "status" IN ('succeeded', 'failed');
