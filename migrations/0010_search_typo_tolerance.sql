-- Typo-tolerant search: trigram word similarity on product titles ("ankra" finds "Ankara").
-- pg_trgm is a trusted extension on Neon and PostgreSQL 13+, so the migration role may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "products_title_trgm_idx" ON "products" USING gin ("title" gin_trgm_ops);
