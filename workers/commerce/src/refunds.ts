import {
	type CreateRefundInput,
	ProblemError,
	problem,
	type Refund,
	type RefundList,
	type RefundOutcome,
	type RefundOutcomeApplied,
	type RequestContext,
	type StoreAccess,
} from "@oja/contracts";
import { type Database, isUniqueViolation, newId, pgConstraint, vetoReason } from "@oja/db";
import { type RefundSource, refundCompletedEntry, refundEntry, refundReturnedEntry } from "@oja/ledger";
import { postEntrySql } from "@oja/ledger/sql";
import { type SQL, sql } from "drizzle-orm";
import { actorOf, loadState, transition } from "./orders.ts";
import { stockMovementEvent } from "./stock-events.ts";

// Refunds. Commerce owns the order and its money, so ONE batch here takes a refund: it locks the
// store's pending ledger balance (the settlement cron locks it first too, so a settlement and a
// refund cannot both count the same unsettled money), moves the order's refunded amount under
// `refunded_minor + a <= paid_minor` (and the exact amount read, so two concurrent refunds
// cannot both pass), writes the refunds row (pending) and the ledger's refund entry, and puts
// fulfilled units back on hand if asked. Paystack is asked only AFTER that commit (the payments
// Worker), so a refund Oja could not pay for is never sent. Its outcome (refund.processed /
// refund.failed, verified by the payments Worker) is applied here too, once.

interface RefundRow extends Record<string, unknown> {
	id: string;
	store_id: string;
	order_id: string;
	payment_id: string;
	reference: string;
	amount_minor: string | number;
	currency: string;
	status: Refund["status"];
	kind: Refund["kind"];
	reason: string;
	restock: boolean;
	restocked: Refund["restocked"];
	source: RefundSource;
	provider_refund_id: string | null;
	request_hash: string | null;
	created: string;
	completed: string | null;
}

const ROW = sql`id, store_id, order_id, payment_id, reference, amount_minor, currency, status, kind, reason, restock, restocked,
	source, provider_refund_id, request_hash,
	to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
	to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS completed`;

export function refundOf(r: RefundRow): Refund {
	return {
		id: r.id,
		orderId: r.order_id,
		amountMinor: Number(r.amount_minor),
		currency: r.currency as Refund["currency"],
		status: r.status,
		kind: r.kind,
		reason: r.reason,
		restock: r.restock,
		restocked: r.restocked,
		source: r.source,
		providerRefundId: r.provider_refund_id,
		createdAt: r.created,
		completedAt: r.completed,
	};
}

async function refundRow(db: Database, where: SQL): Promise<RefundRow | undefined> {
	return (await db.execute<RefundRow>(sql`SELECT ${ROW} FROM refunds WHERE ${where}`)).rows[0];
}

export async function listRefunds(db: Database, storeId: string, orderId: string): Promise<RefundList> {
	const order = await db.execute(sql`SELECT 1 FROM orders WHERE id = ${orderId} AND store_id = ${storeId}`);
	if (order.rows.length === 0) throw new ProblemError(problem("not-found", "No such order."));
	const rows = await db.execute<RefundRow>(sql`
		SELECT ${ROW} FROM refunds WHERE store_id = ${storeId} AND order_id = ${orderId} ORDER BY created_at, id`);
	return { items: rows.rows.map(refundOf) };
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The order's money still in `pending` (its sale less refunds taken from pending), and whether it was settled. */
function pendingRemainderSql(storeId: string, orderId: string, currency: string): SQL {
	return sql`coalesce((SELECT -sum(p.amount_minor) FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
		WHERE e.store_id = ${storeId} AND e.order_id = ${orderId} AND p.account = 'pending' AND p.currency = ${currency}), 0)`;
}

const lockPending = (storeId: string, currency: string) => sql`
	SELECT 1 FROM ledger_balances WHERE store_id = ${storeId} AND account = 'pending' AND currency = ${currency} FOR UPDATE`;

function insufficientFunds(): ProblemError {
	return new ProblemError(
		problem("conflict", "The store's balance cannot cover this refund.", { extensions: { code: "insufficient-funds" } }),
	);
}

export interface RefundCreated {
	refund: Refund;
	/** False for a replay of the same Idempotency-Key. */
	created: boolean;
	eventIds: string[];
}

/**
 * A merchant's refund. The Idempotency-Key is required: a refund moves money, and a retried POST
 * after a timeout must not refund twice. The same key and body answer the first refund again;
 * the same key with another body is refused.
 */
export async function createRefund(
	db: Database,
	access: StoreAccess,
	orderId: string,
	input: CreateRefundInput,
	idempotencyKey: string,
	ctx: RequestContext,
): Promise<RefundCreated> {
	const hash = await sha256Hex(JSON.stringify([orderId, input.amountMinor ?? null, input.reason, input.restock]));
	const replay = async (): Promise<RefundCreated | undefined> => {
		const row = await refundRow(db, sql`store_id = ${access.storeId} AND idempotency_key = ${idempotencyKey}`);
		if (!row) return undefined;
		if (row.request_hash !== hash) {
			throw new ProblemError(
				problem("validation-failed", "This Idempotency-Key was used for another refund request.", {
					errors: [{ path: "Idempotency-Key", message: "Reused with a different body", code: "idempotency_key_reused" }],
				}),
			);
		}
		return { refund: refundOf(row), created: false, eventIds: [] };
	};
	const earlier = await replay();
	if (earlier) return earlier;

	// The source can change between the read and the write (a settlement); the batch then
	// vetoes and this decides again from fresh numbers.
	for (let attempt = 0; ; attempt++) {
		try {
			return await attemptRefund(db, access, orderId, input, idempotencyKey, hash, ctx);
		} catch (error) {
			if (vetoReason(error) === "refund-source-changed" && attempt < 2) continue;
			if (pgConstraint(error) === "ledger_balances_never_negative") throw insufficientFunds();
			if (isUniqueViolation(error, "refunds_idempotency")) {
				const again = await replay();
				if (again) return again;
			}
			throw error;
		}
	}
}

async function attemptRefund(
	db: Database,
	access: StoreAccess,
	orderId: string,
	input: CreateRefundInput,
	idempotencyKey: string,
	hash: string,
	ctx: RequestContext,
): Promise<RefundCreated> {
	const { storeId } = access;
	const loaded = await loadState(db, storeId, orderId);
	const { state } = loaded;
	const [payment] = (
		await db.execute<{ id: string; reference: string; currency: string }>(sql`
			SELECT id, reference, currency FROM payments WHERE store_id = ${storeId} AND order_id = ${orderId} AND status = 'paid'`)
	).rows;
	if (!payment) {
		throw new ProblemError(
			problem("conflict", "Only an order paid online can be refunded through Oja.", {
				extensions: { code: "not-paid-online" },
			}),
		);
	}
	const amount = input.amountMinor ?? state.paidMinor - state.refundedMinor;
	if (amount <= 0) {
		throw new ProblemError(
			problem("conflict", "Everything paid for this order has been refunded.", { extensions: { code: "nothing-to-refund" } }),
		);
	}
	const [money] = (
		await db.execute<{ remainder: string; settled: boolean }>(sql`
			SELECT ${pendingRemainderSql(storeId, orderId, payment.currency)}::text AS remainder,
				EXISTS (SELECT 1 FROM ledger_entries WHERE external_ref = ${`settlement:${orderId}`}) AS settled`)
	).rows;
	// From the order's unsettled money when it covers the refund, else from what was settled.
	const source: RefundSource = money && !money.settled && BigInt(money.remainder) >= BigInt(amount) ? "pending" : "available";
	const refundId = newId("refund");
	const entry = refundEntry({
		storeId,
		currency: payment.currency,
		orderId,
		refundId,
		amountMinor: BigInt(amount),
		from: source,
	});
	const restock = input.restock ? await restockPlan(db, storeId, orderId) : [];
	const actor = actorOf(access);
	const result = await transition(db, {
		loaded,
		command: { type: "refund", amountMinor: amount },
		actor,
		reason: `refund ${refundId}: ${input.reason}`,
		ctx,
		before: [lockPending(storeId, payment.currency)],
		where: [sql`refunded_minor = ${state.refundedMinor}`, sql`refunded_minor + ${amount} <= paid_minor`],
		set: [sql`refunded_minor = refunded_minor + ${amount}`],
		extra: () => [
			...(source === "pending"
				? [
						sql`SELECT oja_assert(NOT EXISTS (SELECT 1 FROM ledger_entries WHERE external_ref = ${`settlement:${orderId}`})
							AND ${pendingRemainderSql(storeId, orderId, payment.currency)} >= ${amount}, 'refund-source-changed')`,
					]
				: []),
			sql`INSERT INTO refunds (id, store_id, order_id, payment_id, reference, amount_minor, currency, source, kind, reason,
					restock, restocked, idempotency_key, request_hash, created_by)
				VALUES (${refundId}, ${storeId}, ${orderId}, ${payment.id}, ${payment.reference}, ${amount}, ${payment.currency},
					${source}, 'merchant', ${input.reason}, ${input.restock},
					${JSON.stringify(restock.map((r) => ({ lineId: r.line_id, quantity: r.quantity })))}::jsonb,
					${idempotencyKey}, ${hash}, ${actor})`,
			postEntrySql(entry, ctx.requestId),
			sql`INSERT INTO order_timeline (id, store_id, order_id, kind, actor, reason, details, request_id)
				VALUES (${newId("timeline")}, ${storeId}, ${orderId}, 'refund', ${actor}, ${input.reason},
					${JSON.stringify({ refundId, amountMinor: amount, source, restocked: restock.map((r) => ({ lineId: r.line_id, quantity: r.quantity })) })}::jsonb,
					${ctx.requestId})`,
			...restockStatements(storeId, orderId, restock),
		],
		extraEvents: [],
	});
	const row = await refundRow(db, sql`id = ${refundId} AND store_id = ${storeId}`);
	if (!row) throw new Error("refund row missing after commit");
	const eventIds = [...result.eventIds];
	if (restock.length > 0) {
		// The catalog's storefront labels follow on-hand; a separate write is fine: it only says "look again".
		const [event] = await db.batch([
			stockMovementEvent(
				db,
				{ type: "inventory.released", storeId, orderId, reason: "restocked", lines: byVariant(restock) },
				ctx.requestId,
			),
		]);
		eventIds.push(...event.rows.map((r) => String((r as { id: unknown }).id)));
	}
	return { refund: refundOf(row), created: true, eventIds };
}

interface RestockLine {
	line_id: string;
	variant_id: string;
	expected: number;
	quantity: number;
}

/**
 * Restock means the goods came back: every fulfilled unit not restocked before goes back on
 * hand. Unfulfilled units are still reserved for the (open) order and are not touched: they are
 * released when the merchant cancels the order, or shipped.
 */
async function restockPlan(db: Database, storeId: string, orderId: string): Promise<RestockLine[]> {
	const rows = await db.execute<{ id: string; variant_id: string; fulfilled_quantity: number; restocked_quantity: number }>(sql`
		SELECT id, variant_id, fulfilled_quantity, restocked_quantity FROM order_lines
		WHERE order_id = ${orderId} AND store_id = ${storeId} ORDER BY position`);
	return rows.rows
		.map((l) => ({
			line_id: l.id,
			variant_id: l.variant_id,
			expected: l.restocked_quantity,
			quantity: l.fulfilled_quantity - l.restocked_quantity,
		}))
		.filter((l) => l.quantity > 0);
}

function byVariant(lines: RestockLine[]): { variant_id: string; quantity: number }[] {
	const m = new Map<string, number>();
	for (const l of lines) m.set(l.variant_id, (m.get(l.variant_id) ?? 0) + l.quantity);
	return [...m].map(([variant_id, quantity]) => ({ variant_id, quantity }));
}

function restockStatements(storeId: string, orderId: string, lines: RestockLine[]): SQL[] {
	if (lines.length === 0) return [];
	const json = JSON.stringify(lines);
	return [
		// Exactly the counts read: a concurrent restock of the same units vetoes this one.
		sql`
			WITH r AS (SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(line_id text, expected int, quantity int)),
			upd AS (
				UPDATE order_lines ol SET restocked_quantity = ol.restocked_quantity + r.quantity FROM r
				WHERE ol.id = r.line_id AND ol.order_id = ${orderId} AND ol.store_id = ${storeId}
					AND ol.restocked_quantity = r.expected RETURNING ol.id
			)
			SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'order-changed')`,
		sql`
			WITH r AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(byVariant(lines))}::jsonb) AS r(variant_id text, quantity int)),
			upd AS (
				UPDATE inventory i SET on_hand = i.on_hand + r.quantity, updated_at = now() FROM r
				WHERE i.variant_id = r.variant_id AND i.store_id = ${storeId} RETURNING i.variant_id
			)
			SELECT oja_assert((SELECT count(*) FROM upd) = (SELECT count(*) FROM r), 'stock-mismatch')`,
	];
}

/** A refund Oja has to make at Paystack, with what the payments Worker needs to ask for it. */
export interface RefundToSubmit {
	id: string;
	storeId: string;
	reference: string;
	amountMinor: number;
	reason: string;
}

/**
 * Paystack's verified outcome for a refund, applied once: the payment_events row first (a
 * concurrent delivery of the same event makes the batch a unique violation), the refund's
 * status only from pending, and the ledger entry. A failed refund's money goes back where it
 * came from and the order's refunded amount and payment status are restored (returnRefund).
 */
export async function applyRefundOutcome(db: Database, o: RefundOutcome, ctx: RequestContext): Promise<RefundOutcomeApplied> {
	const seen = await db.execute(sql`SELECT 1 FROM payment_events WHERE provider = 'paystack' AND event_key = ${o.eventKey}`);
	if (seen.rows.length > 0) return { outcome: "duplicate", eventIds: [] };
	const row = await refundRow(db, sql`id = ${o.refundId} AND store_id = ${o.storeId}`);
	if (!row) throw new ProblemError(problem("not-found", "No such refund."));
	if (row.status !== "pending") return { outcome: "duplicate", eventIds: [] };
	const amount = Number(row.amount_minor);
	const money = {
		storeId: row.store_id,
		currency: row.currency,
		orderId: row.order_id,
		refundId: row.id,
		amountMinor: BigInt(amount),
	};
	const common = (status: "processed" | "failed", entrySql: SQL): SQL[] => [
		sql`INSERT INTO payment_events (provider, event_key, event, store_id, outcome)
			VALUES ('paystack', ${o.eventKey}, ${`refund.${status}`}, ${row.store_id}, ${status})`,
		sql`
			WITH done AS (
				UPDATE refunds SET status = ${status}, completed_at = now(), updated_at = now()
				WHERE id = ${row.id} AND store_id = ${row.store_id} AND status = 'pending' RETURNING id
			)
			SELECT oja_assert(EXISTS (SELECT 1 FROM done), 'refund-changed')`,
		entrySql,
	];
	try {
		if (o.outcome === "processed") {
			const [event, update, entry] = common("processed", postEntrySql(refundCompletedEntry(money), ctx.requestId)) as [
				SQL,
				SQL,
				SQL,
			];
			await db.batch([db.execute(event), db.execute(update), db.execute(entry)]);
			return { outcome: "applied", eventIds: [] };
		}
		const loaded = await loadState(db, row.store_id, row.order_id);
		// Back where it came from — except that money taken from pending goes to available once
		// the order was settled (settlement runs once per order and would never see it again).
		const settledRef = `settlement:${row.order_id}`;
		const settled = (await db.execute(sql`SELECT 1 FROM ledger_entries WHERE external_ref = ${settledRef}`)).rows.length > 0;
		const to: RefundSource = row.source === "pending" && settled ? "available" : row.source;
		const returned = refundReturnedEntry({ ...money, to });
		const { eventIds } = await transition(db, {
			loaded,
			command: { type: "returnRefund", amountMinor: amount },
			actor: "paystack",
			reason: `refund ${row.id} failed at Paystack; ${amount} returned to the store's ${to} balance`,
			ctx,
			// The pending row first, as a refund and a settlement lock it; then the settled state
			// this was decided from must still hold (else the queue retries with fresh numbers).
			before: [
				lockPending(row.store_id, row.currency),
				sql`SELECT oja_assert(EXISTS (SELECT 1 FROM ledger_entries WHERE external_ref = ${settledRef}) = ${settled},
					'refund-source-changed')`,
			],
			where: [sql`refunded_minor = ${loaded.state.refundedMinor}`, sql`refunded_minor >= ${amount}`],
			set: [sql`refunded_minor = refunded_minor - ${amount}`],
			extra: () => common("failed", postEntrySql(returned, ctx.requestId)),
		});
		return { outcome: "applied", eventIds };
	} catch (error) {
		if (isUniqueViolation(error, "payment_events_pkey")) return { outcome: "duplicate", eventIds: [] };
		throw error;
	}
}
