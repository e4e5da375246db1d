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
	if (!/^otk_[A-Za-z0-9_-]{43}$/.test(token)) return false;
	const result = await db.execute<{ token_hash: string }>(
		sql`SELECT token_hash FROM orders WHERE id = ${orderId} AND store_id = ${storeId}`,
	);
	const stored = result.rows[0]?.token_hash;
	if (!stored) return false;
	return sameDigest(stored, await tokenHash(token));
}
