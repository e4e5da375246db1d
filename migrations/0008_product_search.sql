-- Full-text search over products. The 'simple' configuration (no stemming, no stop words)
-- because product names in Nigerian shops mix English, Yoruba, Igbo, Hausa and brand names,
-- which an English stemmer would mangle. Title weighs most, then tags, then description.
CREATE OR REPLACE FUNCTION oja_product_search(title text, tags text[], description text) RETURNS tsvector
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT setweight(to_tsvector('simple', coalesce(title, '')), 'A')
		|| setweight(to_tsvector('simple', coalesce(array_to_string(tags, ' '), '')), 'B')
		|| setweight(to_tsvector('simple', coalesce(description, '')), 'C')
$$;
--> statement-breakpoint
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (oja_product_search(title, tags, description)) STORED;
--> statement-breakpoint
CREATE INDEX products_search_idx ON products USING gin (search);
