-- Custom domains are served only after a DNS TXT record proves the store controls them.
DROP INDEX "stores_custom_domain_key";--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "custom_domain_status" text;--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "custom_domain_token" text;--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "custom_domain_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "stores" ADD COLUMN "custom_domain_checked_at" timestamp with time zone;--> statement-breakpoint
-- Domains claimed before verification existed prove nothing: they start pending with a fresh
-- token, and their old host mappings (KV keys v1:host:…) are no longer read by the gateway.
UPDATE "stores" SET "custom_domain_status" = 'pending', "custom_domain_token" = replace(gen_random_uuid()::text, '-', '') WHERE "custom_domain" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "stores_verified_custom_domain_key" ON "stores" USING btree ("custom_domain") WHERE "stores"."custom_domain_status" = 'verified';--> statement-breakpoint
CREATE INDEX "stores_custom_domain_idx" ON "stores" USING btree ("custom_domain");--> statement-breakpoint
CREATE INDEX "stores_custom_domain_recheck_idx" ON "stores" USING btree ("custom_domain_checked_at") WHERE "stores"."custom_domain_status" = 'verified';--> statement-breakpoint
ALTER TABLE "stores" ADD CONSTRAINT "stores_custom_domain_state" CHECK (("stores"."custom_domain" IS NULL AND "stores"."custom_domain_status" IS NULL AND "stores"."custom_domain_token" IS NULL) OR ("stores"."custom_domain" IS NOT NULL AND "stores"."custom_domain_status" IN ('pending', 'verified', 'failed') AND "stores"."custom_domain_token" IS NOT NULL));