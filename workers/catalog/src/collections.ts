import type {
	Collection,
	CollectionInput,
	CollectionList,
	RequestContext,
	StoreAccess,
	UpdateCollectionInput,
} from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, isVeto, newId, pgErrorCode, schema, unlessChanged } from "@oja/db";
import { appendEvent } from "@oja/events";
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { eventIdsOf, slugify } from "./products.ts";

// Manual collections: the merchant chooses which products and in what order. Membership is
// replaced as a whole list (the order is the list), inside the same transaction as the event.

type CollectionRow = typeof schema.collections.$inferSelect;

function toCollection(row: CollectionRow, productIds: string[]): Collection {
	return {
		id: row.id,
		handle: row.handle,
		title: row.title,
		description: row.description,
		productIds,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
	};
}

function handleTaken(error: unknown): never {
	// The collection was deleted while this write was on its way.
	if (pgErrorCode(error) === "23503") throw new ProblemError(problem("not-found", "No such collection."));
	if (isUniqueViolation(error, "collections_store_handle_key")) {
		throw new ProblemError(
			problem("conflict", "Another collection in this store has that handle.", {
				errors: [{ path: "handle", message: "Already used", code: "taken" }],
			}),
		);
	}
	throw error;
}

/**
 * Every id must be a product of this store: checked against the database so one store's
 * collection can never list another store's product.
 */
async function assertOwnProducts(db: Database, storeId: string, productIds: string[]): Promise<void> {
	if (productIds.length === 0) return;
	const found = await db
		.select({ id: schema.products.id })
		.from(schema.products)
		.where(and(eq(schema.products.storeId, storeId), inArray(schema.products.id, productIds)));
	const known = new Set(found.map((p) => p.id));
	const errors = productIds.flatMap((id, i) =>
		known.has(id) ? [] : [{ path: `productIds.${i}`, message: "No such product in this store", code: "unknown" }],
	);
	if (errors.length > 0)
		throw new ProblemError(problem("validation-failed", "Some products do not exist in this store.", { errors }));
}

/**
 * Replaces membership. The insert re-checks store ownership in SQL (INSERT … SELECT from
 * this store's products) so a product deleted or foreign at write time is simply skipped.
 */
function setMembers(db: Database, storeId: string, collectionId: string, productIds: string[]) {
	const clear = db.delete(schema.collectionProducts).where(eq(schema.collectionProducts.collectionId, collectionId));
	if (productIds.length === 0) return [clear] as const;
	const insert = db.execute(sql`
		INSERT INTO collection_products (collection_id, product_id, store_id, position)
		SELECT ${collectionId}, p.id, p.store_id, wanted.position
		FROM unnest(${sql.param(productIds)}::text[]) WITH ORDINALITY AS wanted(id, position)
		JOIN products p ON p.id = wanted.id AND p.store_id = ${storeId}`);
	return [clear, insert] as const;
}

async function membersOf(db: Database, storeId: string, ids: string[]): Promise<Map<string, string[]>> {
	const members = new Map<string, string[]>(ids.map((id) => [id, []]));
	if (ids.length === 0) return members;
	const rows = await db
		.select({ collectionId: schema.collectionProducts.collectionId, productId: schema.collectionProducts.productId })
		.from(schema.collectionProducts)
		.where(and(eq(schema.collectionProducts.storeId, storeId), inArray(schema.collectionProducts.collectionId, ids)))
		.orderBy(asc(schema.collectionProducts.collectionId), asc(schema.collectionProducts.position));
	for (const r of rows) members.get(r.collectionId)?.push(r.productId);
	return members;
}

export async function getCollection(db: Database, storeId: string, collectionId: string): Promise<Collection> {
	const [row] = await db
		.select()
		.from(schema.collections)
		.where(and(eq(schema.collections.id, collectionId), eq(schema.collections.storeId, storeId)));
	if (!row) throw new ProblemError(problem("not-found", "No such collection."));
	const members = await membersOf(db, storeId, [row.id]);
	return toCollection(row, members.get(row.id) ?? []);
}

export async function listCollections(
	db: Database,
	storeId: string,
	query: { cursor?: string; limit: number },
): Promise<CollectionList> {
	const rows = await db
		.select()
		.from(schema.collections)
		.where(and(eq(schema.collections.storeId, storeId), query.cursor ? lt(schema.collections.id, query.cursor) : undefined))
		.orderBy(desc(schema.collections.id))
		.limit(query.limit + 1);
	const page = rows.slice(0, query.limit);
	const members = await membersOf(
		db,
		storeId,
		page.map((r) => r.id),
	);
	return {
		items: page.map((r) => toCollection(r, members.get(r.id) ?? [])),
		nextCursor: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
	};
}

export async function createCollection(db: Database, access: StoreAccess, input: CollectionInput, ctx: RequestContext) {
	await assertOwnProducts(db, access.storeId, input.productIds);
	const id = newId("collection");
	const handle = input.handle ?? slugify(input.title);
	try {
		const results = await db.batch([
			db.insert(schema.collections).values({
				id,
				storeId: access.storeId,
				handle,
				title: input.title,
				description: input.description,
			}),
			...setMembers(db, access.storeId, id, input.productIds),
			appendEvent(
				db,
				{
					type: "catalog.collection.created",
					storeId: access.storeId,
					aggregateId: id,
					payload: { storeId: access.storeId, collectionId: id, handle },
				},
				ctx.requestId,
			),
		]);
		const event = results[results.length - 1] as { rows: unknown[] };
		return { collection: await getCollection(db, access.storeId, id), eventIds: eventIdsOf(event) };
	} catch (error) {
		handleTaken(error);
	}
}

export async function updateCollection(
	db: Database,
	access: StoreAccess,
	collectionId: string,
	input: UpdateCollectionInput,
	ctx: RequestContext,
) {
	const existing = await getCollection(db, access.storeId, collectionId);
	if (input.productIds) await assertOwnProducts(db, access.storeId, input.productIds);
	const { productIds, ...fields } = input;
	const handle = input.handle ?? existing.handle;
	try {
		const results = await db.batch([
			// A collection deleted since the read above vetoes the membership change and the event.
			db.execute(
				unlessChanged(
					db
						.update(schema.collections)
						.set({ ...fields, updatedAt: new Date() })
						.where(and(eq(schema.collections.id, collectionId), eq(schema.collections.storeId, access.storeId)))
						.returning({ id: schema.collections.id }),
					"collection-not-updated",
				),
			),
			...(productIds ? setMembers(db, access.storeId, collectionId, productIds) : []),
			appendEvent(
				db,
				{
					type: "catalog.collection.updated",
					storeId: access.storeId,
					aggregateId: collectionId,
					payload: {
						storeId: access.storeId,
						collectionId,
						handle,
						...(handle !== existing.handle ? { previousHandle: existing.handle } : {}),
					},
				},
				ctx.requestId,
			),
		]);
		const event = results[results.length - 1] as { rows: unknown[] };
		return { collection: await getCollection(db, access.storeId, collectionId), eventIds: eventIdsOf(event) };
	} catch (error) {
		if (isVeto(error)) {
			await getCollection(db, access.storeId, collectionId);
			throw new ProblemError(problem("conflict", "The collection changed while this request was on its way; try again."));
		}
		handleTaken(error);
	}
}

export async function deleteCollection(db: Database, access: StoreAccess, collectionId: string, ctx: RequestContext) {
	const existing = await getCollection(db, access.storeId, collectionId);
	const remove = db.execute(sql`
		WITH gone AS (
			DELETE FROM collections WHERE id = ${collectionId} AND store_id = ${access.storeId} RETURNING id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM gone), 'collection-not-deleted')`);
	try {
		const [, event] = await db.batch([
			remove,
			appendEvent(
				db,
				{
					type: "catalog.collection.deleted",
					storeId: access.storeId,
					aggregateId: collectionId,
					payload: { storeId: access.storeId, collectionId, handle: existing.handle },
				},
				ctx.requestId,
			),
		]);
		return { eventIds: eventIdsOf(event) };
	} catch (error) {
		if (pgErrorCode(error) === "P0001") throw new ProblemError(problem("not-found", "No such collection."));
		throw error;
	}
}
