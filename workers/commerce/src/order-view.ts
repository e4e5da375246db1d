import { Order, ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import { sameDigest, tokenHash } from "./order-token.ts";

// Orders are read in the one shape `order_json` (migration 0016) builds, scoped by store here.

export async function loadOrder(
	db: Database,
	storeId: string,
	orderId: string,
	options: { timeline?: boolean } = {},
): Promise<Order | null> {
	const result = await db.execute<{ order: unknown }>(
		sql`SELECT order_json(id, ${options.timeline ?? false}) AS order FROM orders WHERE id = ${orderId} AND store_id = ${storeId}`,
	);
	const row = result.rows[0];
	return row ? Order.parse(row.order) : null;
}

export async function requireOrder(db: Database, storeId: string, orderId: string, timeline = true): Promise<Order> {
	const order = await loadOrder(db, storeId, orderId, { timeline });
	if (!order) throw new ProblemError(problem("not-found", "No such order."));
	return order;
}

/** Whether `token` is this order's capability (constant-time on the stored hash). */
export async function verifyOrderToken(db: Database, storeId: string, orderId: string, token: string): Promise<boolean> {
	if (!isOrderToken(token)) return false;
	const result = await db.execute<{ token_hash: string }>(
		sql`SELECT token_hash FROM orders WHERE id = ${orderId} AND store_id = ${storeId}`,
	);
	return tokenMatches(result.rows[0]?.token_hash, token);
}

/** The shape of an order token (`otk_` + 43 base64url characters): anything else is refused before any query. */
export function isOrderToken(token: unknown): token is string {
	return typeof token === "string" && /^otk_[A-Za-z0-9_-]{43}$/.test(token);
}

/** Whether `token` hashes to the stored `token_hash` (constant time); a malformed token never does. */
export async function tokenMatches(stored: string | undefined, token: string): Promise<boolean> {
	if (!stored || !isOrderToken(token)) return false;
	return sameDigest(stored, await tokenHash(token));
}

/**
 * An order with its stored token hash and its store's slug, in one round trip: a shopper's order
 * page checks the token against the hash, and every order notice (one or two per order placed)
 * builds the shopper's link from them.
 */
export async function loadOrderWithToken(
	db: Database,
	storeId: string,
	orderId: string,
	options: { timeline?: boolean } = {},
): Promise<{ order: Order; slug: string; tokenHash: string } | null> {
	const result = await db.execute<{ order: unknown; slug: string; token_hash: string }>(
		sql`SELECT order_json(o.id, ${options.timeline ?? false}) AS order, s.slug, o.token_hash
			FROM orders o JOIN stores s ON s.id = o.store_id
			WHERE o.id = ${orderId} AND o.store_id = ${storeId}`,
	);
	const row = result.rows[0];
	return row ? { order: Order.parse(row.order), slug: row.slug, tokenHash: row.token_hash } : null;
}

/**
 * loadOrderWithToken for many orders, of any stores, in one round trip: a queue batch of order
 * notices reads its orders together. Each order is matched on its store as well as its id.
 */
export async function loadOrdersWithToken(
	db: Database,
	wanted: { storeId: string; orderId: string }[],
): Promise<Map<string, { storeId: string; order: Order; slug: string; tokenHash: string }>> {
	if (wanted.length === 0) return new Map();
	const result = await db.execute<{ id: string; store_id: string; order: unknown; slug: string; token_hash: string }>(
		sql`SELECT o.id, o.store_id, order_json(o.id, false) AS order, s.slug, o.token_hash
			FROM unnest(${sql.param(wanted.map((w) => w.storeId))}::text[], ${sql.param(wanted.map((w) => w.orderId))}::text[])
				AS want(store_id, order_id)
			JOIN orders o ON o.id = want.order_id AND o.store_id = want.store_id
			JOIN stores s ON s.id = o.store_id`,
	);
	return new Map(
		result.rows.map((r) => [r.id, { storeId: r.store_id, order: Order.parse(r.order), slug: r.slug, tokenHash: r.token_hash }]),
	);
}

/** The stored token hash and store slug of each of a store's orders (for links in a chat's order list). */
export async function orderTokenHashes(
	db: Database,
	storeId: string,
	orderIds: string[],
): Promise<Map<string, { id: string; slug: string; tokenHash: string }>> {
	if (orderIds.length === 0) return new Map();
	const result = await db.execute<{ id: string; slug: string; token_hash: string }>(
		sql`SELECT o.id, s.slug, o.token_hash FROM orders o JOIN stores s ON s.id = o.store_id
			WHERE o.store_id = ${storeId} AND o.id = ANY(${sql.param(orderIds)}::text[])`,
	);
	return new Map(result.rows.map((r) => [r.id, { id: r.id, slug: r.slug, tokenHash: r.token_hash }]));
}
