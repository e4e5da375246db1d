import type { StorefrontVariantSnapshot } from "@oja/cart";
import { ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";

/**
 * One statement: the store by slug and, if this store sells it, the variant with its price and
 * availability. The gateway caches the answer under the store's listing version, so adding to
 * a cart reads no SQL when the cache is warm. A variant of a draft, archived or deleted
 * product, or of another store, is a 422 naming it (the shopper sent an id we will not sell).
 */
export async function storefrontVariant(db: Database, slug: string, variantId: string): Promise<StorefrontVariantSnapshot> {
	const result = await db.execute<{
		store_id: string;
		store_currency: string;
		variant_id: string | null;
		product_id: string | null;
		handle: string | null;
		title: string | null;
		variant_title: string | null;
		image: string | null;
		price_minor: string | number | null;
		currency: string | null;
		available: string | number | null;
	}>(sql`
		SELECT s.id AS store_id, s.currency AS store_currency, v.id AS variant_id, v.product_id, p.handle, p.title,
			v.title AS variant_title, p.images -> 0 ->> 'url' AS image, v.price_minor, v.currency,
			greatest(coalesce(i.on_hand, 0) - coalesce(i.reserved, 0), 0) AS available
		FROM stores s
		LEFT JOIN variants v ON v.id = ${variantId} AND v.store_id = s.id
		LEFT JOIN products p ON p.id = v.product_id AND p.store_id = s.id AND p.status = 'active'
		LEFT JOIN inventory i ON i.variant_id = v.id AND i.store_id = s.id
		WHERE s.slug = ${slug}`);
	const row = result.rows[0];
	if (!row) throw new ProblemError(problem("not-found", "No such store."));
	if (!row.variant_id || !row.handle || row.title === null || row.price_minor === null || row.product_id === null) {
		throw new ProblemError(
			problem("validation-failed", "That item is not for sale here.", {
				errors: [{ path: "variantId", message: `${variantId} is not for sale at this store`, code: "not_for_sale" }],
			}),
		);
	}
	return {
		storeId: row.store_id,
		currency: row.store_currency,
		variant: {
			variantId: row.variant_id,
			productId: row.product_id,
			handle: row.handle,
			title: row.title,
			variantTitle: row.variant_title ?? "",
			image: row.image,
			priceMinor: Number(row.price_minor),
			currency: row.currency ?? row.store_currency,
			available: Number(row.available ?? 0),
		},
	};
}
