import type { StoredCart } from "@oja/cart";
import { type CheckoutInput, type CheckoutResult, Order, ProblemError, problem, type RequestContext } from "@oja/contracts";
import { type Database, isUniqueViolation, newId, vetoReason } from "@oja/db";
import type { ClaimForRelay, OutboxRow } from "@oja/events";
import { sql } from "drizzle-orm";
import { orderToken, tokenHash } from "./order-token.ts";
import { LOW_STOCK } from "./stock-events.ts";

// Checkout is ONE statement (one HTTP round trip to Neon, one transaction): oja_checkout
// (migration 0029) claims the idempotency key, checks every line is for sale and the delivery
// option, counts the discount, locks and reserves stock with conditional updates, prices
// everything from Postgres (never from a cache), finds or adds the guest customer, numbers and
// inserts the order, its lines and timeline, appends its events to the outbox, and stores the
// response for replays. A PL/pgSQL function because its plans are kept per connection: the same
// statements sent as a batch were planned afresh on every checkout. Any step that finds the
// world not as required raises through oja_assert with a fixed reason and the whole transaction
// rolls back: nothing is reserved, counted or written. Only the refusals read again, to explain.

export interface CheckoutRequest {
	storeId: string;
	cart: StoredCart;
	input: CheckoutInput;
	idempotencyKey: string;
	requestHash: string;
	ctx: RequestContext;
	reservationTtlSeconds: number;
	tokenSecret: string;
}

export interface CheckoutOutcome {
	result: CheckoutResult;
	eventIds: string[];
	/** This checkout's events, appended already claimed for the relay after the response. */
	claimed?: OutboxRow[];
	replayed: boolean;
}

/** Long enough for the relay after the response; a relay that died leaves them to the sweep after it. */
const RELAY_CLAIM: ClaimForRelay = { claimSeconds: 30 };

export async function checkout(db: Database, req: CheckoutRequest): Promise<CheckoutOutcome> {
	const { storeId, cart, input, ctx } = req;
	const orderId = newId("order");
	// Lines locked in one global order (by variant id) so two checkouts of overlapping carts
	// cannot deadlock.
	const positions = new Map(cart.lines.map((l, i) => [l.variantId, i]));
	const lines = [...cart.lines]
		.sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0))
		.map((l) => ({
			line_id: newId("orderLine"),
			variant_id: l.variantId,
			quantity: l.quantity,
			position: positions.get(l.variantId) ?? 0,
		}));
	const token = await orderToken(req.tokenSecret, orderId);
	const email = input.email ?? null;
	// A discount's use counts against the email and the phone (always given): keyed by the email
	// alone, a once-per-customer code was reusable by typing another email, or none.
	const customerKeys = [...new Set([email, input.phone].filter((k): k is string => k !== null))];
	const request: CheckoutFunctionRequest = {
		storeId,
		cartId: cart.id,
		idempotencyKey: req.idempotencyKey,
		requestHash: req.requestHash,
		attempt: crypto.randomUUID(),
		orderId,
		customerId: newId("customer"),
		timelineId: newId("timeline"),
		createdEventId: newId("event"),
		reservedEventId: newId("event"),
		lines,
		email,
		phone: input.phone,
		name: input.name,
		shippingAddress: input.shippingAddress ?? null,
		deliveryOptionId: input.deliveryOptionId,
		paymentMethod: input.paymentMethod,
		note: input.note ?? null,
		discountCode: cart.discount?.code ?? null,
		customerKeys,
		tokenHash: await tokenHash(token),
		reservationTtlSeconds: req.reservationTtlSeconds,
		requestId: ctx.requestId,
		claimSeconds: RELAY_CLAIM.claimSeconds,
		lowStock: LOW_STOCK,
	};

	try {
		const result = await db.execute<{ r: { response: { order: unknown }; events: OutboxRow[] } }>(
			sql`SELECT oja_checkout(${JSON.stringify(request)}::jsonb) AS r`,
		);
		const placed = result.rows[0]?.r;
		if (!placed) throw new Error("oja_checkout returned no row");
		// The events come back whole and already claimed: published after the response without a claim round trip.
		return {
			result: { order: Order.parse(placed.response.order), orderToken: token },
			eventIds: [],
			claimed: placed.events,
			replayed: false,
		};
	} catch (error) {
		const reason = vetoReason(error);
		if (reason === "idempotency-replay") return replay(db, req);
		if (isUniqueViolation(error, "orders_store_cart_key")) {
			throw new ProblemError(
				problem("conflict", "This cart has already been checked out.", { extensions: { code: "cart-checked-out" } }),
			);
		}
		if (reason) throw await refusal(db, req, reason);
		throw error;
	}
}

/** What `oja_checkout` (migration 0029) reads: everything the Worker decides before the transaction. */
interface CheckoutFunctionRequest {
	storeId: string;
	cartId: string;
	idempotencyKey: string;
	requestHash: string;
	/** Tells this request's claim of the key from an earlier one's. */
	attempt: string;
	orderId: string;
	/** Used only when the shopper is new to the store. */
	customerId: string;
	timelineId: string;
	createdEventId: string;
	reservedEventId: string;
	/** Sorted by variant id: the order the inventory rows are locked in. */
	lines: { line_id: string; variant_id: string; quantity: number; position: number }[];
	email: string | null;
	phone: string;
	name: string;
	shippingAddress: CheckoutInput["shippingAddress"] | null;
	deliveryOptionId: string;
	paymentMethod: CheckoutInput["paymentMethod"];
	note: string | null;
	discountCode: string | null;
	customerKeys: string[];
	tokenHash: string;
	reservationTtlSeconds: number;
	requestId: string;
	claimSeconds: number;
	lowStock: number;
}

/** The same key again: the first response (same order, same token), or 422 for a different request. */
export async function replay(db: Database, req: CheckoutRequest): Promise<CheckoutOutcome> {
	const result = await db.execute<{ request_hash: string; order_id: string | null; response: { order: unknown } | null }>(sql`
		SELECT request_hash, order_id, response FROM idempotency_keys
		WHERE store_id = ${req.storeId} AND cart_id = ${req.cart.id} AND key = ${req.idempotencyKey}`);
	const row = result.rows[0];
	if (!row) throw new Error("idempotency key vanished between claim and replay");
	if (row.request_hash !== req.requestHash) {
		throw new ProblemError(
			problem("validation-failed", "This Idempotency-Key was used for a different request.", {
				errors: [{ path: "Idempotency-Key", message: "Reused with a different body", code: "idempotency_key_reused" }],
			}),
		);
	}
	if (!row.response || !row.order_id) {
		throw new ProblemError(
			problem("conflict", "A checkout with this key is still in progress; retry shortly.", {
				extensions: { code: "in-progress" },
			}),
		);
	}
	return {
		result: { order: Order.parse(row.response.order), orderToken: await orderToken(req.tokenSecret, row.order_id) },
		eventIds: [],
		replayed: true,
	};
}

/** Explains a vetoed checkout. These reads happen only when a checkout was refused. */
async function refusal(db: Database, req: CheckoutRequest, reason: string): Promise<ProblemError> {
	const { storeId, cart } = req;
	const variantIds = cart.lines.map((l) => l.variantId);
	switch (reason) {
		case "insufficient-stock": {
			const result = await db.execute<{ variant_id: string; available: string | number }>(sql`
				SELECT variant_id, greatest(on_hand - reserved, 0) AS available FROM inventory
				WHERE store_id = ${storeId} AND variant_id = ANY(${sql.param(variantIds)}::text[])`);
			const available = new Map(result.rows.map((r) => [r.variant_id, Number(r.available)]));
			const short = cart.lines
				.map((l) => ({
					variantId: l.variantId,
					title: l.title,
					requested: l.quantity,
					available: available.get(l.variantId) ?? 0,
				}))
				.filter((l) => l.available < l.requested);
			return new ProblemError(
				problem("conflict", "Some items are no longer available in the quantity you asked for.", {
					extensions: { code: "insufficient-stock", short },
					errors: short.map((s) => ({
						path: `lines.${s.variantId}`,
						message: `${s.available} available, ${s.requested} requested`,
						code: "insufficient_stock",
					})),
				}),
			);
		}
		case "line-unavailable": {
			const result = await db.execute<{ id: string }>(sql`
				SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id AND p.store_id = v.store_id
				WHERE v.store_id = ${storeId} AND v.id = ANY(${sql.param(variantIds)}::text[]) AND p.status = 'active'`);
			const ok = new Set(result.rows.map((r) => r.id));
			return new ProblemError(
				problem("validation-failed", "Some items in this cart are no longer sold.", {
					errors: variantIds
						.filter((id) => !ok.has(id))
						.map((id) => ({ path: `lines.${id}`, message: `${id} is not for sale`, code: "not_for_sale" })),
				}),
			);
		}
		case "delivery-option-unavailable":
			return fieldProblem("deliveryOptionId", "No such delivery option at this store.", "unknown_delivery_option");
		case "address-required":
			return fieldProblem("shippingAddress", "Delivery needs a shipping address.", "required");
		case "outside-zone":
			return fieldProblem("shippingAddress", "This delivery option does not deliver to that address.", "outside_zone");
		case "pay-on-delivery-unavailable":
			return fieldProblem(
				"paymentMethod",
				"Pay on delivery is not offered for this delivery option or order total.",
				"pay_on_delivery_unavailable",
			);
		case "discount-unavailable":
			return new ProblemError(
				problem("conflict", "This discount code can no longer be used (expired, used up or below its minimum).", {
					extensions: { code: "discount-unavailable" },
					errors: [{ path: "discount", message: "Code no longer applies", code: "discount_unavailable" }],
				}),
			);
		case "discount-customer-limit":
			return new ProblemError(
				problem("conflict", "You have already used this discount code as many times as it allows.", {
					extensions: { code: "discount-customer-limit" },
					errors: [{ path: "discount", message: "Per-customer limit reached", code: "discount_customer_limit" }],
				}),
			);
		default:
			return new ProblemError(problem("conflict", "The checkout could not be completed."));
	}
}

function fieldProblem(path: string, message: string, code: string): ProblemError {
	return new ProblemError(problem("validation-failed", message, { errors: [{ path, message, code }] }));
}
