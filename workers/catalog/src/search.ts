import type { StorefrontProduct } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { inArray, sql } from "drizzle-orm";
import { loadProducts, toProduct } from "./products.ts";
import { toStorefront } from "./storefront.ts";

/**
 * Turns what a shopper typed into a prefix-matching tsquery: every word must match the
 * start of a word in the product ("ank dre" finds "Ankara Dress"). Only letters and digits
 * (any script, accents kept, as in the index) survive, so no input can inject tsquery syntax.
 */
export function toPrefixQuery(text: string): string | null {
	const terms = text
		.toLowerCase()
		.split(/[^\p{L}\p{M}\p{N}]+/u)
		.filter((t) => t.length > 0)
		.slice(0, 8);
	return terms.length === 0 ? null : terms.map((t) => `${t}:*`).join(" & ");
}

/** Active products ranked by relevance (title > tags > description), best first. */
export async function searchProducts(db: Database, storeId: string, text: string, limit: number): Promise<StorefrontProduct[]> {
	const query = toPrefixQuery(text);
	if (!query) return [];
	const hits = await db.execute<{ id: string }>(sql`
		SELECT id FROM products
		WHERE store_id = ${storeId} AND status = 'active' AND search @@ to_tsquery('simple', ${query})
		ORDER BY ts_rank_cd(search, to_tsquery('simple', ${query})) DESC, id DESC
		LIMIT ${limit}`);
	const ids = hits.rows.map((h) => h.id);
	if (ids.length === 0) return [];
	const { products, variants, stock } = await loadProducts(db, storeId, inArray(schema.products.id, ids), ids.length);
	const byId = new Map(products.map((p) => [p.id, p]));
	return ids.flatMap((id) => {
		const product = byId.get(id);
		return product ? [toStorefront(toProduct(product, variants, stock))] : [];
	});
}
