-- The messaging cron looks for work a dead consumer left behind: webhook deliveries whose
-- attempt's message never came (a consumer that dead-lettered on database errors, or a lapsed
-- claim). Only unfinished rows are indexed, so the sweep costs nothing as the log grows.
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at")
	WHERE "status" IN ('pending', 'sending');
--> statement-breakpoint
-- The same for WhatsApp sends (queued or claimed, not yet sent).
CREATE INDEX "conversation_messages_unsent_idx" ON "conversation_messages" USING btree ("created_at")
	WHERE "direction" = 'out' AND "status" IN ('queued', 'sending');
