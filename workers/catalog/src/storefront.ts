import type { PublicStore, StorefrontListQuery, StorefrontProduct, StorefrontSort } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";

/** At or below this many available units a variant shows as "low". */
const LOW_STOCK = 5;

// Every storefront read is ONE SQL statement (one Neon round trip on a cache miss): the store
// is found by slug, the page of active products, their variants and stock are selected in
// CTEs, and Postgres returns the whole answer as one JSON value. Shoppers see active products
// only, availability as a label (or a count if the store opts in), nothing merchant-only.

export interface StoreRow {
	id: string;
	slug: string;
	name: string;
	currency: PublicStore["currency"];
	contact: PublicStore["contact"];
	showStockCounts: boolean;
}
interface ProductJson {
	id: string;
	handle: string;
	title: string;
	description: string;
	tags: string[];
	images: { url: string; alt: string }[];
	options: { name: string; values: string[] }[];
	key: string | number | null;
}
interface VariantJson {
	id: string;
	productId: string;
	sku: string | null;
	title: string;
	optionValues: string[];
	priceMinor: number;
	compareAtMinor: number | null;
	currency: StorefrontProduct["variants"][number]["currency"];
	weightGrams: number | null;
	available: number;
}
interface CollectionJson {
	handle: string;
	title: string;
	description: string;
}
interface PageJson {
	store: StoreRow | null;
	collection: CollectionJson | null;
	collections: { handle: string; title: string }[] | null;
	products: ProductJson[];
	variants: VariantJson[];
}

export type Order = "manual" | StorefrontSort | "relevance";

/** Sort key and direction per order; the product id breaks ties so keyset pages never overlap. */
const ORDERS: Record<Order, { key: SQL; dir: "asc" | "desc" }> = {
	newest: { key: sql`null::text`, dir: "desc" },
	title: { key: sql`lower(p.title)`, dir: "asc" },
	"price-asc": { key: sql`(SELECT min(v.price_minor) FROM variants v WHERE v.product_id = p.id)`, dir: "asc" },
	"price-desc": { key: sql`(SELECT min(v.price_minor) FROM variants v WHERE v.product_id = p.id)`, dir: "desc" },
	manual: { key: sql`cp.position`, dir: "asc" },
	relevance: { key: sql`null::text`, dir: "desc" },
};

const ProductIdField = z.string().regex(/^prd_[0-9A-HJKMNP-TV-Z]{26}$/);
/** What each order's sort key must look like in a cursor (SQL compares it to that column). */
const CURSOR_KEY: Record<Order, z.ZodType<string | number | null>> = {
	newest: z.null(),
	relevance: z.null(),
	title: z.string().max(1000),
	"price-asc": z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
	"price-desc": z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
	manual: z.number().int().max(2_147_483_647),
};

function toBase64Url(text: string): string {
	let binary = "";
	for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(encoded: string): string {
	const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
	return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
}

/** Opaque to clients: the order it was made for, the last row's sort key and id (UTF-8, base64url). */
function encodeCursor(order: Order, key: string | number | null, id: string): string {
	return toBase64Url(JSON.stringify([order, key, id]));
}

function decodeCursor(cursor: string, order: Order): [string | number | null, string] {
	const invalid = (message: string) =>
		new ProblemError(
			problem("validation-failed", "The cursor is not one this API issued for this listing.", {
				errors: [{ path: "cursor", message, code: "invalid" }],
			}),
		);
	let parsed: unknown;
	try {
		parsed = JSON.parse(fromBase64Url(cursor));
	} catch {
		throw invalid("Invalid cursor");
	}
	const shape = z.tuple([z.string(), z.unknown(), ProductIdField]).safeParse(parsed);
	if (!shape.success) throw invalid("Invalid cursor");
	const [madeFor, key, id] = shape.data;
	// A cursor from another sort order would compare the wrong column (or types).
	if (madeFor !== order) throw invalid(`This cursor belongs to a ${madeFor} listing`);
	const typedKey = CURSOR_KEY[order].safeParse(key);
	if (!typedKey.success) throw invalid("Invalid cursor");
	return [typedKey.data, id];
}

export interface PageSpec {
	slug: string;
	/** Restrict to a collection (by handle); 404 if it does not exist. */
	collection?: string;
	/** Extra condition on `p` (products). */
	where?: SQL;
	order: Order;
	/** Ranking for `relevance` order (higher first). */
	rank?: SQL;
	cursor?: string;
	limit: number;
	/** Also return the store's collections (for navigation on pages). */
	withCollections?: boolean;
	/** pg_trgm's word_similarity_threshold for this read (what `<%` matches at). */
	trigramThreshold?: number;
}

/** How many collections a page's navigation lists. */
const NAV_COLLECTIONS = 50;

export async function readPage(db: Database, spec: PageSpec): Promise<PageJson> {
	const statement = pageStatement(spec);
	let rows: { page: PageJson }[];
	if (spec.trigramThreshold === undefined) rows = (await db.execute<{ page: PageJson }>(statement)).rows;
	else {
		// Still one round trip: a batch is one transaction, so the setting holds for the page only.
		const [, result] = await db.batch([
			db.execute(sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(spec.trigramThreshold)}, true)`),
			db.execute<{ page: PageJson }>(statement),
		]);
		rows = result.rows as { page: PageJson }[];
	}
	const page = rows[0]?.page;
	if (!page?.store) throw new ProblemError(problem("not-found", `No store at /${spec.slug}.`));
	if (spec.collection && !page.collection) throw new ProblemError(problem("not-found", "No such collection."));
	return page;
}

/** The one statement behind readPage (exported so its plan can be examined: bench/search-plan.ts). */
export function pageStatement(spec: PageSpec): SQL {
	const { key, dir } = ORDERS[spec.order];
	const after = spec.cursor ? decodeCursor(spec.cursor, spec.order) : undefined;
	let keyset = sql`true`;
	if (after) {
		const [k, id] = after;
		if (spec.order === "newest") keyset = sql`p.id < ${id}`;
		else if (dir === "asc") keyset = sql`(${key}, p.id) > (${k}, ${id})`;
		else keyset = sql`(${key}, p.id) < (${k}, ${id})`;
	}
	const orderBy =
		spec.order === "relevance"
			? // A bare integer in ORDER BY names an output column; a typed null is a real (constant) key.
				sql`${spec.rank ?? sql`null::real`} DESC, p.id DESC`
			: spec.order === "newest"
				? sql`p.id DESC`
				: dir === "asc"
					? sql`${key} ASC, p.id ASC`
					: sql`${key} DESC, p.id DESC`;
	const collectionJoin = spec.collection
		? sql`JOIN collection_products cp ON cp.product_id = p.id AND cp.store_id = p.store_id
			JOIN col ON col.id = cp.collection_id`
		: sql``;
	return sql`
		WITH s AS (
			SELECT id, slug, name, currency, contact_email, contact_phone, show_stock_counts FROM stores WHERE slug = ${spec.slug}
		), col AS (
			SELECT c.id, c.handle, c.title, c.description FROM collections c, s
			WHERE c.store_id = s.id AND c.handle = ${spec.collection ?? null}
		), page AS (
			SELECT p.id, p.handle, p.title, p.description, p.tags, p.images, p.options, ${key} AS key,
				row_number() OVER (ORDER BY ${orderBy}) AS ord
			FROM products p
			${collectionJoin}
			-- A scalar store id (not a join) lets Postgres walk the index in sort order and stop
			-- after one page instead of sorting the whole store.
			WHERE p.store_id = (SELECT id FROM s) AND p.status = 'active' AND ${spec.where ?? sql`true`} AND ${keyset}
			ORDER BY ${orderBy}
			LIMIT ${spec.limit}
		)
		SELECT json_build_object(
			'store', (SELECT json_build_object('id', id, 'slug', slug, 'name', name, 'currency', currency,
				'contact', json_build_object('email', contact_email, 'phone', contact_phone),
				'showStockCounts', show_stock_counts) FROM s),
			'collections', ${
				spec.withCollections
					? sql`(SELECT json_agg(json_build_object('handle', n.handle, 'title', n.title) ORDER BY n.title)
						FROM (SELECT c.handle, c.title FROM collections c JOIN s ON s.id = c.store_id ORDER BY c.title LIMIT ${NAV_COLLECTIONS}) n)`
					: sql`null::json`
			},
			'collection', (SELECT json_build_object('handle', handle, 'title', title, 'description', description) FROM col),
			'products', coalesce((SELECT json_agg(json_build_object(
				'id', id, 'handle', handle, 'title', title, 'description', description, 'tags', tags,
				'images', images, 'options', options, 'key', key) ORDER BY ord) FROM page), '[]'::json),
			'variants', coalesce((SELECT json_agg(json_build_object(
				'id', v.id, 'productId', v.product_id, 'sku', v.sku, 'title', v.title, 'optionValues', v.option_values,
				'priceMinor', v.price_minor, 'compareAtMinor', v.compare_at_minor, 'currency', v.currency,
				'weightGrams', v.weight_grams,
				'available', greatest(coalesce(i.on_hand, 0) - coalesce(i.reserved, 0), 0)) ORDER BY v.position, v.id)
				FROM variants v JOIN page ON page.id = v.product_id LEFT JOIN inventory i ON i.variant_id = v.id), '[]'::json)
		) AS page`;
}

function availabilityOf(available: number): StorefrontProduct["variants"][number]["availability"] {
	return available <= 0 ? "sold_out" : available <= LOW_STOCK ? "low" : "in_stock";
}

export function toStorefrontProducts(page: PageJson): StorefrontProduct[] {
	const showCounts = page.store?.showStockCounts ?? false;
	const byProduct = new Map<string, VariantJson[]>();
	for (const v of page.variants) {
		const list = byProduct.get(v.productId) ?? [];
		list.push(v);
		byProduct.set(v.productId, list);
	}
	return page.products.map((p) => ({
		id: p.id,
		handle: p.handle,
		title: p.title,
		description: p.description,
		tags: p.tags,
		images: p.images,
		options: p.options,
		variants: (byProduct.get(p.id) ?? []).map(({ productId: _, available, ...v }) => ({
			...v,
			priceMinor: Number(v.priceMinor),
			compareAtMinor: v.compareAtMinor === null ? null : Number(v.compareAtMinor),
			availability: availabilityOf(available),
			...(showCounts ? { available: Math.max(0, available) } : {}),
		})),
	}));
}

export function paged(page: PageJson, limit: number, order: Order) {
	const items = toStorefrontProducts(page);
	const more = items.length > limit;
	const shown = items.slice(0, limit);
	const last = page.products[shown.length - 1];
	return { items: shown, nextCursor: more && last ? encodeCursor(order, last.key, last.id) : null };
}

export async function storefrontList(db: Database, slug: string, query: StorefrontListQuery) {
	const order: Order = query.sort ?? (query.collection ? "manual" : "newest");
	if (order === "manual" && !query.collection) {
		throw new ProblemError(
			problem("validation-failed", "Manual order needs a collection.", {
				errors: [{ path: "sort", message: "Use manual only with collection", code: "invalid" }],
			}),
		);
	}
	const page = await readPage(db, { slug, collection: query.collection, order, cursor: query.cursor, limit: query.limit + 1 });
	return paged(page, query.limit, order);
}

export async function storefrontCollection(db: Database, slug: string, handle: string, query: StorefrontListQuery) {
	const order: Order = query.sort ?? "manual";
	const page = await readPage(db, { slug, collection: handle, order, cursor: query.cursor, limit: query.limit + 1 });
	const collection = page.collection as CollectionJson;
	return { ...collection, ...paged(page, query.limit, order) };
}

export async function storefrontProduct(db: Database, slug: string, handle: string): Promise<StorefrontProduct> {
	const page = await readPage(db, { slug, where: sql`p.handle = ${handle}`, order: "newest", limit: 1 });
	const product = toStorefrontProducts(page)[0];
	if (!product) throw new ProblemError(problem("not-found", "No such product."));
	return product;
}
