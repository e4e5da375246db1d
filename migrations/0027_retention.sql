-- oja:no-transaction
-- Retention: these tables only ever grew. The ops Worker's cron deletes what has outlived its
-- purpose, a bounded chunk per table per run (workers/ops/src/retention.ts); these indexes let each
-- chunk find its rows without scanning the table. Built CONCURRENTLY (outside a transaction), so
-- checkouts and consumers keep writing to these tables while they build. (idempotency_keys already
-- has its created_at index, from 0016; dead_letters' (queue, created_at) does not serve a scan by age.)

-- Published events: the relay is done with them and ops' event_log keeps the record.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "outbox_published_idx" ON "outbox" USING btree ("published_at") WHERE "published_at" IS NOT NULL;
--> statement-breakpoint
-- Consumers' idempotency markers: needed only while a message can still be redelivered.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "processed_messages_created_at_idx" ON "processed_messages" USING btree ("created_at");
--> statement-breakpoint
-- Dead letters keep the failed message's body, which can carry customers' messages and contacts.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "dead_letters_created_at_idx" ON "dead_letters" USING btree ("created_at");
--> statement-breakpoint
-- Merchant webhook deliveries keep the body sent (order data); finished ones age out with their attempts.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "webhook_deliveries_finished_idx" ON "webhook_deliveries" USING btree ("created_at")
	WHERE "status" IN ('succeeded', 'failed');
