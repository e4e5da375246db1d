-- Issue 8: only secret live keys (sk_live_) remain. Test-mode keys never had test data to act
-- on and publishable keys authenticated nothing, so both kinds go: every key of those kinds
-- still active is revoked here, and the CHECK keeps new ones from appearing.
UPDATE "api_keys" SET "revoked_at" = now()
	WHERE "revoked_at" IS NULL AND ("kind" <> 'secret' OR "mode" <> 'live');
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_live_secret_only"
	CHECK ("revoked_at" IS NOT NULL OR ("kind" = 'secret' AND "mode" = 'live'));
--> statement-breakpoint
-- Every change to a store's team or API keys, with who made it and from which session or key.
-- Append-only like the operators' audit_log; no foreign key, so the record outlives what it names.
CREATE TABLE "store_audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"actor_user_id" text,
	"actor_session_id" text,
	"actor_api_key_id" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"details" jsonb,
	"request_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_audit_log_actor_check" CHECK ("actor_user_id" IS NOT NULL OR "actor_api_key_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX "store_audit_log_store_at_idx" ON "store_audit_log" USING btree ("store_id", "at");
--> statement-breakpoint
CREATE OR REPLACE FUNCTION store_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'store_audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER store_audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON store_audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION store_audit_log_append_only();
