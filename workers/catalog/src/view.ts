import type { StorefrontView, StorefrontViewQuery } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import { searchSpec } from "./search.ts";
import { type PageSpec, paged, readPage, type StoreRow, toStorefrontProducts } from "./storefront.ts";

function specFor(view: StorefrontViewQuery): Omit<PageSpec, "slug"> {
	switch (view.kind) {
		case "home":
			return { order: view.sort ?? "newest", cursor: view.cursor, limit: view.limit + 1 };
		case "collection":
			return { collection: view.handle, order: view.sort ?? "manual", cursor: view.cursor, limit: view.limit + 1 };
		case "product":
			return { where: sql`p.handle = ${view.handle}`, order: "newest", limit: 1 };
		case "search":
			return { ...searchSpec(view.q), limit: view.limit };
		case "variants":
			return {
				where: sql`p.id IN (SELECT v.product_id FROM variants v WHERE v.id = ANY(${sql.param(view.ids)}::text[]))`,
				order: "newest",
				limit: view.ids.length,
			};
	}
}

/**
 * Everything one storefront page shows, in one statement (one round trip on a cache miss):
 * the store's profile, its collections for navigation, and the page's products.
 */
export async function storefrontView(db: Database, slug: string, view: StorefrontViewQuery): Promise<StorefrontView> {
	const spec = specFor(view);
	const page = await readPage(db, { slug, withCollections: true, ...spec });
	const store = page.store as StoreRow;
	let items = toStorefrontProducts(page);
	let nextCursor: string | null = null;
	if (view.kind === "home" || view.kind === "collection") ({ items, nextCursor } = paged(page, view.limit, spec.order));
	if (view.kind === "product" && items.length === 0) throw new ProblemError(problem("not-found", "No such product."));
	return { store, collections: page.collections ?? [], collection: page.collection, items, nextCursor };
}
