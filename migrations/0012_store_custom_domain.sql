ALTER TABLE "stores" ADD COLUMN "custom_domain" text;--> statement-breakpoint
CREATE UNIQUE INDEX "stores_custom_domain_key" ON "stores" USING btree ("custom_domain");