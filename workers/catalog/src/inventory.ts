import type { InventoryLevel, RequestContext, StoreAccess } from "@oja/contracts";
import { MAX_STOCK, ProblemError, problem } from "@oja/contracts";
import { type Database, newId, pgErrorCode, schema } from "@oja/db";
import { appendEvent } from "@oja/events";
import { and, eq, sql } from "drizzle-orm";

interface Change {
	/** Set on_hand to this value… */
	set?: number;
	/** …or move it by this much. */
	delta?: number;
	reason: string;
}

/**
 * One conditional statement changes stock, records the adjustment and refuses (via
 * oja_assert, aborting the whole batch and its event) anything that would take on_hand
 * below what is reserved. Concurrent adjustments serialise on the inventory row.
 */
export async function changeInventory(
	db: Database,
	access: StoreAccess,
	variantId: string,
	change: Change,
	ctx: RequestContext,
): Promise<{ level: InventoryLevel; eventIds: string[] }> {
	const target = change.set !== undefined ? sql`${change.set}::int` : sql`inventory.on_hand + ${change.delta ?? 0}::int`;
	const statement = db.execute<{ on_hand: number | string; reserved: number | string; delta: number | string }>(sql`
		WITH before AS (
			SELECT on_hand FROM inventory WHERE variant_id = ${variantId} AND store_id = ${access.storeId}
		), upd AS (
			UPDATE inventory SET on_hand = ${target}, updated_at = now()
			WHERE variant_id = ${variantId} AND store_id = ${access.storeId} AND ${target} >= inventory.reserved
				AND ${target} <= ${MAX_STOCK}::int
			RETURNING on_hand, reserved
		), adj AS (
			INSERT INTO inventory_adjustments (id, store_id, variant_id, delta, reason, on_hand_after, actor, request_id)
			SELECT ${newId("adjustment")}, ${access.storeId}, ${variantId}, upd.on_hand - before.on_hand, ${change.reason}, upd.on_hand,
				${access.userId ?? access.apiKeyId}, ${ctx.requestId}
			FROM upd, before
			RETURNING delta
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM upd), 'inventory-unchanged') AS ok,
			(SELECT on_hand FROM upd) AS on_hand, (SELECT reserved FROM upd) AS reserved, (SELECT delta FROM adj) AS delta`);
	const event = appendEvent(
		db,
		{
			type: "inventory.adjusted",
			storeId: access.storeId,
			aggregateId: variantId,
			payload: {
				storeId: access.storeId,
				variantId,
				delta: change.delta ?? null,
				setTo: change.set ?? null,
				reason: change.reason,
			},
		},
		ctx.requestId,
	);
	// The batch is one transaction. Locking the row in its first statement means the next
	// statement (a fresh READ COMMITTED snapshot) reads the latest on_hand as "before" and no
	// concurrent adjustment can slip in between; a FOR UPDATE inside the CTE itself would not
	// see the row once the same statement's UPDATE has touched it.
	const lock = db.execute(
		sql`SELECT 1 FROM inventory WHERE variant_id = ${variantId} AND store_id = ${access.storeId} FOR UPDATE`,
	);
	try {
		const [, result, eventResult] = await db.batch([lock, statement, event]);
		const row = result.rows[0];
		const onHand = Number(row?.on_hand);
		const reserved = Number(row?.reserved);
		return {
			level: { variantId, onHand, reserved, available: Math.max(0, onHand - reserved) },
			eventIds: eventResult.rows.map((r) => String((r as { id: unknown }).id)),
		};
	} catch (error) {
		if (pgErrorCode(error) !== "P0001") throw error;
		const [exists] = await db
			.select({ onHand: schema.inventory.onHand, reserved: schema.inventory.reserved })
			.from(schema.inventory)
			.where(and(eq(schema.inventory.variantId, variantId), eq(schema.inventory.storeId, access.storeId)));
		if (!exists) throw new ProblemError(problem("not-found", "No such variant."));
		const path = change.set !== undefined ? "onHand" : "delta";
		if ((change.set ?? exists.onHand + (change.delta ?? 0)) > MAX_STOCK) {
			throw new ProblemError(
				problem("validation-failed", `Stock cannot exceed ${MAX_STOCK} units (on hand: ${exists.onHand}).`, {
					errors: [{ path, message: `Would take on hand above ${MAX_STOCK}`, code: "too_big" }],
				}),
			);
		}
		throw new ProblemError(
			problem(
				"conflict",
				`Stock cannot go below the ${exists.reserved} unit(s) reserved by open orders (on hand: ${exists.onHand}).`,
				{
					errors: [
						{
							path,
							message: "Would leave less than reserved",
							code: "insufficient",
						},
					],
				},
			),
		);
	}
}
