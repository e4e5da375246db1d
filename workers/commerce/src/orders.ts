import {
	type FulfilmentInput,
	type Order,
	type OrderList,
	type OrderListQuery,
	ProblemError,
	problem,
	type RequestContext,
	type StoreAccess,
} from "@oja/contracts";
import { type Database, newId, vetoReason } from "@oja/db";
import { appendEvent, type NewEvent } from "@oja/events";
import { type Command, decide, type LineQuantity, type OrderState, type StatusChange } from "@oja/orders";
import { type SQL, sql } from "drizzle-orm";
import { loadOrder, requireOrder } from "./order-view.ts";
import { stockMovementEvent } from "./stock-events.ts";

// Every order transition: read the order, ask the pure state machine (@oja/orders) what the
// command does, then write it as ONE batch whose first statement is a conditional UPDATE on
// exactly the statuses the decision was made from. If anything changed in between (a
// concurrent fulfilment, the expiry sweep, a payment), that update matches nothing, oja_assert
// vetoes the batch and nothing — stock, lines, timeline, events — is written. Each status
// change is a timeline row and an `order.status_changed` event in the same transaction.

export interface LineRow extends Record<string, unknown> {
	id: string;
	variant_id: string;
	quantity: number;
	fulfilled_quantity: number;
	delivered_quantity: number;
	reserved_quantity: number;
}

export interface Loaded {
	state: OrderState;
	lines: LineRow[];
	storeId: string;
	orderId: string;
}

export async function loadState(db: Database, storeId: string, orderId: string): Promise<Loaded> {
	const [orders, lines] = await db.batch([
		db.execute<{
			status: OrderState["status"];
			payment_status: OrderState["paymentStatus"];
			fulfilment_status: OrderState["fulfilmentStatus"];
			books_courier: boolean;
			total_minor: string | number;
			paid_minor: string | number;
			refunded_minor: string | number;
		}>(sql`SELECT status, payment_status, fulfilment_status, books_courier, total_minor, paid_minor, refunded_minor
			FROM orders WHERE id = ${orderId} AND store_id = ${storeId}`),
		db.execute<LineRow>(sql`SELECT id, variant_id, quantity, fulfilled_quantity, delivered_quantity, reserved_quantity
			FROM order_lines WHERE order_id = ${orderId} AND store_id = ${storeId} ORDER BY position`),
	]);
	const o = orders.rows[0];
	if (!o) throw new ProblemError(problem("not-found", "No such order."));
	return {
		storeId,
		orderId,
		lines: lines.rows,
		state: {
			status: o.status,
			paymentStatus: o.payment_status,
			fulfilmentStatus: o.fulfilment_status,
			courierBooked: o.books_courier,
			totalMinor: Number(o.total_minor),
			paidMinor: Number(o.paid_minor),
			refundedMinor: Number(o.refunded_minor),
			lines: lines.rows.map((l) => ({
				id: l.id,
				quantity: l.quantity,
				fulfilled: l.fulfilled_quantity,
				delivered: l.delivered_quantity,
			})),
		},
	};
}

function refused(decision: Exclude<ReturnType<typeof decide>, { ok: true }>): ProblemError {
	switch (decision.code) {
		case "illegal-transition":
			return new ProblemError(
				problem(
					"conflict",
					`An order that is ${decision.from.status} (payment ${decision.from.paymentStatus}, ${decision.from.fulfilmentStatus}) cannot ${decision.command === "collectPayment" ? "record a payment collected" : decision.command}.`,
					{ extensions: { code: "illegal-transition", from: decision.from, command: decision.command } },
				),
			);
		case "unknown-line":
			return new ProblemError(
				problem("validation-failed", "No such line on this order.", {
					errors: [{ path: "lines", message: `${decision.lineId} is not a line of this order`, code: "unknown_line" }],
				}),
			);
		case "over-fulfilment":
			return new ProblemError(
				problem("conflict", `Only ${decision.remaining} unit(s) of that line remain to fulfil.`, {
					extensions: { code: "over-fulfilment", lineId: decision.lineId, remaining: decision.remaining },
				}),
			);
		default:
			return new ProblemError(
				problem("conflict", "That change does not apply to this order.", { extensions: { code: decision.code } }),
			);
	}
}

export interface Transition {
	loaded: Loaded;
	command: Command;
	actor: string;
	reason: string | null;
	ctx: RequestContext;
	/** Extra columns for the order row (beyond the three statuses), as SQL assignments. */
	set?: SQL[];
	/** Extra conditions on the order row's UPDATE (counts the statuses do not capture, e.g. refunded_minor). */
	where?: SQL[];
	/** Statements that must run BEFORE the order update (row locks taken in a fixed order, e.g. the ledger's). */
	before?: SQL[];
	/** Extra statements that belong to the same transaction (e.g. a fulfilment record). */
	extra?: (decision: { changes: readonly StatusChange[] }) => SQL[];
	extraEvents?: NewEvent[];
}

/**
 * Writes a decided transition: conditional order update (veto if the order moved), line and
 * stock updates for what was released or consumed, timeline rows and events. Exported for the
 * courier consumer (delivery-events.ts), whose actor is the courier rather than a StoreAccess.
 */
export async function transition(db: Database, t: Transition): Promise<{ order: Order; eventIds: string[] }> {
	const { loaded, ctx } = t;
	const { storeId, orderId, state } = loaded;
	const decision = decide(state, t.command);
	if (!decision.ok) throw refused(decision);
	const next = decision.next;
	const guard = db.execute(sql`
		WITH changed AS (
			UPDATE orders SET status = ${next.status}, payment_status = ${next.paymentStatus},
				fulfilment_status = ${next.fulfilmentStatus}, updated_at = now()
				${t.set && t.set.length > 0 ? sql`, ${sql.join(t.set, sql`, `)}` : sql``}
			WHERE id = ${orderId} AND store_id = ${storeId} AND status = ${state.status}
				AND payment_status = ${state.paymentStatus} AND fulfilment_status = ${state.fulfilmentStatus}
				${t.where && t.where.length > 0 ? sql`AND ${sql.join(t.where, sql` AND `)}` : sql``}
			RETURNING id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM changed), 'order-changed')`);
	const variantOf = new Map(loaded.lines.map((l) => [l.id, l.variant_id]));
	const statements: SQL[] = [];
	const released = aggregate(decision.released, variantOf);
	const consumed = aggregate(decision.consumed, variantOf);
	if (decision.released.length > 0) {
		const json = JSON.stringify(decision.released.map((r) => ({ line_id: r.lineId, quantity: r.quantity })));
		statements.push(sql`
			WITH r AS (SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(line_id text, quantity int)),
			upd AS (
				UPDATE order_lines ol SET reserved_quantity = ol.reserved_quantity - r.quantity FROM r
				WHERE ol.id = r.line_id AND ol.order_id = ${orderId} AND ol.reserved_quantity >= r.quantity RETURNING ol.id
			)
			SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'order-changed')`);
		statements.push(stockChange(storeId, released, "release"));
	}
	if (decision.consumed.length > 0) {
		const json = JSON.stringify(decision.consumed.map((r) => ({ line_id: r.lineId, quantity: r.quantity })));
		statements.push(sql`
			WITH r AS (SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(line_id text, quantity int)),
			upd AS (
				UPDATE order_lines ol SET reserved_quantity = ol.reserved_quantity - r.quantity,
					fulfilled_quantity = ol.fulfilled_quantity + r.quantity FROM r
				WHERE ol.id = r.line_id AND ol.order_id = ${orderId} AND ol.reserved_quantity >= r.quantity
					AND ol.fulfilled_quantity + r.quantity <= ol.quantity
				RETURNING ol.id
			)
			SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'order-changed')`);
		statements.push(stockChange(storeId, consumed, "consume"));
		// Two partial fulfilments of different lines both pass the status guard (partially →
		// partially) and the per-line limits, so each can decide "partially" while together they
		// fulfil everything. The statuses were decided from every line's count: after the
		// updates (a fresh snapshot, once the order row's lock is ours) the lines must be exactly
		// what the decision expected.
		const expected = JSON.stringify(next.lines.map((l) => ({ line_id: l.id, fulfilled: l.fulfilled })));
		statements.push(sql`
			SELECT oja_assert(NOT EXISTS (SELECT 1 FROM order_lines ol
				JOIN jsonb_to_recordset(${expected}::jsonb) AS e(line_id text, fulfilled int) ON e.line_id = ol.id
				WHERE ol.order_id = ${orderId} AND ol.fulfilled_quantity <> e.fulfilled), 'order-changed')`);
	}
	if (t.command.type === "markDelivered") {
		const delivered = next.lines.map((l) => ({ line_id: l.id, delivered: l.delivered }));
		statements.push(sql`
			UPDATE order_lines ol SET delivered_quantity = d.delivered
			FROM jsonb_to_recordset(${JSON.stringify(delivered)}::jsonb) AS d(line_id text, delivered int)
			WHERE ol.id = d.line_id AND ol.order_id = ${orderId}`);
	}
	for (const change of decision.changes) {
		statements.push(sql`
			INSERT INTO order_timeline (id, store_id, order_id, kind, field, from_value, to_value, actor, reason, request_id)
			VALUES (${newId("timeline")}, ${storeId}, ${orderId}, 'status_changed', ${change.field}, ${change.from}, ${change.to},
				${t.actor}, ${t.reason}, ${ctx.requestId})`);
	}
	statements.push(...(t.extra?.(decision) ?? []));
	const events = [
		...decision.changes.map((change) =>
			appendEvent(
				db,
				{
					type: "order.status_changed",
					storeId,
					aggregateId: orderId,
					payload: { storeId, orderId, field: change.field, from: change.from, to: change.to, actor: t.actor, reason: t.reason },
				},
				ctx.requestId,
			),
		),
		...(t.extraEvents ?? []).map((e) => appendEvent(db, e, ctx.requestId)),
	];
	if (released.length > 0) {
		events.push(
			stockMovementEvent(
				db,
				{
					type: "inventory.released",
					storeId,
					orderId,
					reason: t.command.type === "expire" ? "expired" : "cancelled",
					lines: released,
				},
				ctx.requestId,
			),
		);
	}
	try {
		const before = (t.before ?? []).map((s) => db.execute(s));
		const [first, ...rest] = [...before, guard, ...statements.map((s) => db.execute(s)), ...events];
		const results = await db.batch([first as typeof guard, ...rest]);
		const eventIds = results
			.slice(before.length + 1 + statements.length)
			.flatMap((r) => r.rows.map((row) => String((row as { id: unknown }).id)));
		return { order: await requireOrder(db, storeId, orderId), eventIds };
	} catch (error) {
		if (vetoReason(error) === "order-changed") {
			throw new ProblemError(
				problem("conflict", "The order changed while this was being applied; reload it and try again.", {
					extensions: { code: "order-changed" },
				}),
			);
		}
		throw error;
	}
}

function aggregate(lines: readonly LineQuantity[], variantOf: Map<string, string>): { variant_id: string; quantity: number }[] {
	const byVariant = new Map<string, number>();
	for (const l of lines) {
		const v = variantOf.get(l.lineId);
		if (v && l.quantity > 0) byVariant.set(v, (byVariant.get(v) ?? 0) + l.quantity);
	}
	return [...byVariant].map(([variant_id, quantity]) => ({ variant_id, quantity }));
}

/**
 * Release returns reserved units to available; consume takes them out of on hand and reserved
 * together (fulfilment), which leaves what shoppers can buy unchanged.
 */
function stockChange(storeId: string, lines: { variant_id: string; quantity: number }[], kind: "release" | "consume"): SQL {
	const json = JSON.stringify(lines);
	const set =
		kind === "release"
			? sql`reserved = i.reserved - r.quantity`
			: sql`reserved = i.reserved - r.quantity, on_hand = i.on_hand - r.quantity`;
	return sql`
		WITH r AS (SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(variant_id text, quantity int)),
		upd AS (
			UPDATE inventory i SET ${set}, updated_at = now() FROM r
			WHERE i.variant_id = r.variant_id AND i.store_id = ${storeId} AND i.reserved >= r.quantity
				${kind === "consume" ? sql`AND i.on_hand >= r.quantity` : sql``}
			RETURNING i.variant_id
		)
		SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'stock-mismatch')`;
}

export const actorOf = (access: StoreAccess) => access.userId ?? access.apiKeyId ?? "merchant";

export async function fulfilOrder(
	db: Database,
	access: StoreAccess,
	orderId: string,
	input: FulfilmentInput,
	ctx: RequestContext,
): Promise<{ order: Order; eventIds: string[] }> {
	const loaded = await loadState(db, access.storeId, orderId);
	const lines: LineQuantity[] =
		input.lines ??
		loaded.lines.map((l) => ({ lineId: l.id, quantity: l.quantity - l.fulfilled_quantity })).filter((l) => l.quantity > 0);
	if (lines.length === 0) {
		throw new ProblemError(
			problem("conflict", "Everything on this order is already fulfilled.", { extensions: { code: "nothing-to-fulfil" } }),
		);
	}
	const fulfilmentId = newId("fulfilment");
	return transition(db, {
		loaded,
		command: { type: "fulfil", lines },
		actor: actorOf(access),
		reason: null,
		ctx,
		extra: () => [
			sql`INSERT INTO fulfilments (id, store_id, order_id, lines, carrier, tracking_number, tracking_url)
				VALUES (${fulfilmentId}, ${access.storeId}, ${orderId}, ${JSON.stringify(lines)}::jsonb, ${input.carrier ?? null},
					${input.trackingNumber ?? null}, ${input.trackingUrl ?? null})`,
			sql`INSERT INTO order_timeline (id, store_id, order_id, kind, actor, details, request_id)
				VALUES (${newId("timeline")}, ${access.storeId}, ${orderId}, 'fulfilment', ${actorOf(access)},
					${JSON.stringify({ fulfilmentId, lines, carrier: input.carrier ?? null, trackingNumber: input.trackingNumber ?? null })}::jsonb,
					${ctx.requestId})`,
		],
		extraEvents: [
			{
				type: "order.fulfilment_created",
				storeId: access.storeId,
				aggregateId: orderId,
				payload: { storeId: access.storeId, orderId, fulfilmentId },
			},
		],
	});
}

export async function cancelOrder(db: Database, access: StoreAccess, orderId: string, reason: string, ctx: RequestContext) {
	const loaded = await loadState(db, access.storeId, orderId);
	return transition(db, { loaded, command: { type: "cancel", reason }, actor: actorOf(access), reason, ctx });
}

export async function markDelivered(db: Database, access: StoreAccess, orderId: string, ctx: RequestContext) {
	const loaded = await loadState(db, access.storeId, orderId);
	return transition(db, { loaded, command: { type: "markDelivered" }, actor: actorOf(access), reason: null, ctx });
}

/**
 * Releases one unpaid order whose hold ran out. The transition is conditional on the order
 * still being pending_payment/pending and past its deadline, so a second run, or a payment
 * that landed meanwhile, makes it match nothing: released exactly once, or not at all.
 */
export async function expireOrder(db: Database, storeId: string, orderId: string, ctx: RequestContext) {
	const loaded = await loadState(db, storeId, orderId);
	return transition(db, {
		loaded,
		command: { type: "expire" },
		actor: "system",
		reason: "unpaid before the reservation expired",
		ctx,
		extra: () => [
			sql`SELECT oja_assert(EXISTS (SELECT 1 FROM orders WHERE id = ${orderId} AND expires_at <= now()), 'order-changed')`,
		],
	});
}

/** The cron's sweep: unpaid online orders past their deadline, oldest first, a bounded batch. */
export async function expireDueOrders(
	db: Database,
	ctx: RequestContext,
	limit = 100,
): Promise<{ expired: number; skipped: number; eventIds: string[] }> {
	const due = await db.execute<{ id: string; store_id: string }>(sql`
		SELECT id, store_id FROM orders WHERE status = 'pending_payment' AND expires_at <= now()
		ORDER BY expires_at LIMIT ${limit}`);
	let expired = 0;
	let skipped = 0;
	const eventIds: string[] = [];
	for (const row of due.rows) {
		try {
			const result = await expireOrder(db, row.store_id, row.id, ctx);
			expired++;
			eventIds.push(...result.eventIds);
		} catch (error) {
			// Paid or expired by someone else in between: exactly the race the condition is for.
			if (error instanceof ProblemError && error.problem.status === 409) skipped++;
			else throw error;
		}
	}
	return { expired, skipped, eventIds };
}

function encodeCursor(createdAt: string, id: string): string {
	return btoa(`${createdAt}|${id}`).replace(/=+$/, "");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
	try {
		const [createdAt, id] = atob(cursor).split("|");
		if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^ord_[0-9A-Z]{26}$/.test(id)) throw new Error("bad");
		return { createdAt, id };
	} catch {
		throw new ProblemError(
			problem("validation-failed", "That cursor is not one this list gave out.", {
				errors: [{ path: "cursor", message: "Invalid cursor", code: "invalid_cursor" }],
			}),
		);
	}
}

export async function listOrders(db: Database, storeId: string, query: OrderListQuery, customerId?: string): Promise<OrderList> {
	const where: SQL[] = [sql`store_id = ${storeId}`];
	if (customerId) where.push(sql`customer_id = ${customerId}`);
	if (query.status) where.push(sql`status = ${query.status}`);
	if (query.createdFrom) where.push(sql`created_at >= ${query.createdFrom}::timestamptz`);
	if (query.createdTo) where.push(sql`created_at < ${query.createdTo}::timestamptz`);
	if (query.email) where.push(sql`email = ${query.email}`);
	if (query.phone) where.push(sql`phone = ${query.phone}`);
	if (query.number) where.push(sql`number = ${query.number}`);
	if (query.cursor) {
		const c = decodeCursor(query.cursor);
		where.push(sql`(created_at, id) < (${c.createdAt}::timestamptz, ${c.id})`);
	}
	const result = await db.execute<{ order: unknown; created: string }>(sql`
		SELECT order_json(id) AS order, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created
		FROM orders WHERE ${sql.join(where, sql` AND `)}
		ORDER BY created_at DESC, id DESC LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const items = rows.map((r) => r.order as Order);
	const last = rows.at(-1);
	return {
		items,
		nextCursor: result.rows.length > query.limit && last ? encodeCursor(last.created, (last.order as Order).id) : null,
	};
}

export { loadOrder };
