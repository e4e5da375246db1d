import type { Product, StorefrontProduct } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { and, eq } from "drizzle-orm";
import { getProduct, listProducts } from "./products.ts";

/** Below this many available units a variant shows as "low". */
const LOW_STOCK = 5;

// Shoppers see active products only, availability as a label, and nothing merchant-only.
export function toStorefront(p: Product): StorefrontProduct {
	return {
		id: p.id,
		handle: p.handle,
		title: p.title,
		description: p.description,
		tags: p.tags,
		images: p.images,
		options: p.options,
		variants: p.variants.map(({ inventory, ...v }) => ({
			...v,
			availability: inventory.available <= 0 ? "sold_out" : inventory.available <= LOW_STOCK ? "low" : "in_stock",
		})),
	};
}

export async function storeIdForSlug(db: Database, slug: string): Promise<string> {
	const [store] = await db.select({ id: schema.stores.id }).from(schema.stores).where(eq(schema.stores.slug, slug));
	if (!store) throw new ProblemError(problem("not-found", `No store at /${slug}.`));
	return store.id;
}

export async function storefrontList(db: Database, storeId: string, cursor: string | undefined, limit: number) {
	const page = await listProducts(db, storeId, { status: "active", cursor, limit });
	return { items: page.items.map(toStorefront), nextCursor: page.nextCursor };
}

export async function storefrontProduct(db: Database, storeId: string, handle: string): Promise<StorefrontProduct> {
	const [row] = await db
		.select({ id: schema.products.id })
		.from(schema.products)
		.where(and(eq(schema.products.storeId, storeId), eq(schema.products.handle, handle), eq(schema.products.status, "active")));
	if (!row) throw new ProblemError(problem("not-found", "No such product."));
	return toStorefront(await getProduct(db, storeId, row.id));
}
