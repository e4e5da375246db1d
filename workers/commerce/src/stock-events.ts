import type { Database } from "@oja/db";
import { appendEventFromSql, type ClaimForRelay } from "@oja/events";
import { type SQL, sql } from "drizzle-orm";

/** At or below this many available units a variant shows as "low" (catalog's storefront label; oja_checkout is told it). */
export const LOW_STOCK = 5;

const label = (available: SQL) =>
	sql`(CASE WHEN ${available} <= 0 THEN 'sold_out' WHEN ${available} <= ${LOW_STOCK} THEN 'low' ELSE 'in_stock' END)`;

/**
 * `inventory.reserved` or `inventory.released` for an order's lines, to be batched AFTER the
 * statement that moved `reserved`. The labels a shopper sees are in stock / low / sold out (or
 * the exact count where the store shows counts); the payload's `crossed` lists only the variants
 * whose label this movement changed, computed in SQL in the same transaction, so cached pages
 * are invalidated only when a shopper would see a difference.
 */
export function stockMovementEvent(
	db: Database,
	movement: {
		type: "inventory.reserved" | "inventory.released";
		storeId: string;
		orderId: string;
		reason: string;
		lines: { variant_id: string; quantity: number }[];
	},
	requestId: string | null,
	claim?: ClaimForRelay,
) {
	const { storeId, orderId } = movement;
	const json = JSON.stringify(movement.lines);
	// Available before this movement: a reservation took units away, a release gave them back.
	const before =
		movement.type === "inventory.reserved"
			? sql`(i.on_hand - i.reserved + l.quantity)`
			: sql`(i.on_hand - i.reserved - l.quantity)`;
	const after = sql`(i.on_hand - i.reserved)`;
	return appendEventFromSql(
		db,
		{ type: movement.type, storeId, aggregateId: orderId },
		sql`jsonb_build_object('storeId', ${storeId}::text, 'orderId', ${orderId}::text, 'reason', ${movement.reason}::text,
			'lines', (SELECT jsonb_agg(jsonb_build_object('variantId', variant_id, 'quantity', quantity))
				FROM jsonb_to_recordset(${json}::jsonb) AS x(variant_id text, quantity int)),
			'crossed', coalesce((SELECT jsonb_agg(jsonb_build_object('variantId', i.variant_id, 'handle', p.handle))
				FROM jsonb_to_recordset(${json}::jsonb) AS l(variant_id text, quantity int)
				JOIN inventory i ON i.variant_id = l.variant_id AND i.store_id = ${storeId}
				JOIN variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id
				JOIN stores s ON s.id = ${storeId}
				WHERE s.show_stock_counts OR ${label(before)} <> ${label(after)}), '[]'::jsonb))`,
		requestId,
		claim,
	);
}
