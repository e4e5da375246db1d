import type { StoredCart } from "@oja/cart";
import { type CheckoutInput, type CheckoutResult, Order, ProblemError, problem, type RequestContext } from "@oja/contracts";
import { type Database, isUniqueViolation, newId, vetoReason } from "@oja/db";
import { appendEventFromSql, type ClaimForRelay, type OutboxRow } from "@oja/events";
import { sql } from "drizzle-orm";
import { orderToken, tokenHash } from "./order-token.ts";
import { stockMovementEvent } from "./stock-events.ts";

// Checkout is ONE batch (one HTTP round trip to Neon, one transaction): claim the idempotency
// key, check every line is for sale, write the outbox events, count the discount, lock and
// reserve stock with conditional updates, price everything from Postgres (never from a
// cache), upsert the guest customer, number and insert the order, its lines and timeline, and
// store the response for replays. Any statement that finds the world not as required raises
// through oja_assert with a fixed reason and the whole transaction rolls back: nothing is
// reserved, counted or written. Only the failure paths read again, to explain the refusal.

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
	const attempt = crypto.randomUUID();
	// Lines locked in one global order (by variant id) so two checkouts of overlapping carts
	// cannot deadlock.
	const lines = [...cart.lines]
		.sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0))
		.map((l) => ({ line_id: newId("orderLine"), variant_id: l.variantId, quantity: l.quantity }));
	const positions = new Map(cart.lines.map((l, i) => [l.variantId, i]));
	const linesJson = JSON.stringify(lines.map((l) => ({ ...l, position: positions.get(l.variant_id) ?? 0 })));
	const variantIds = lines.map((l) => l.variant_id);
	const n = lines.length;
	const email = input.email ?? null;
	const online = input.paymentMethod === "online";
	const token = await orderToken(req.tokenSecret, orderId);
	const address = input.shippingAddress ? JSON.stringify(input.shippingAddress) : null;
	const code = cart.discount?.code ?? null;
	const idem = sql`store_id = ${storeId} AND cart_id = ${cart.id} AND key = ${req.idempotencyKey}`;

	const claim = db.execute(sql`
		INSERT INTO idempotency_keys (store_id, cart_id, key, request_hash, attempt)
		VALUES (${storeId}, ${cart.id}, ${req.idempotencyKey}, ${req.requestHash}, ${attempt})
		ON CONFLICT DO NOTHING`);
	const fresh = db.execute(
		sql`SELECT oja_assert(EXISTS (SELECT 1 FROM idempotency_keys WHERE ${idem} AND attempt = ${attempt}), 'idempotency-replay')`,
	);
	const forSale = db.execute(sql`
		SELECT oja_assert((SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id AND p.store_id = v.store_id
			JOIN stores s ON s.id = v.store_id
			WHERE v.store_id = ${storeId} AND v.id = ANY(${sql.param(variantIds)}::text[]) AND p.status = 'active'
				AND v.currency = s.currency) = ${n}, 'line-unavailable')`);
	const lock = db.execute(sql`
		SELECT variant_id FROM inventory WHERE store_id = ${storeId} AND variant_id = ANY(${sql.param(variantIds)}::text[])
		ORDER BY variant_id FOR UPDATE`);
	const reserve = db.execute(sql`
		WITH l AS (SELECT * FROM jsonb_to_recordset(${linesJson}::jsonb) AS l(variant_id text, quantity int)),
		upd AS (
			UPDATE inventory i SET reserved = i.reserved + l.quantity, updated_at = now()
			FROM l WHERE i.variant_id = l.variant_id AND i.store_id = ${storeId} AND i.on_hand - i.reserved >= l.quantity
			RETURNING i.variant_id
		)
		SELECT oja_assert((SELECT count(*) FROM upd) = ${n}, 'insufficient-stock')`);

	const delivery = db.execute(sql`
		WITH dlv AS (
			SELECT kind, states, cities FROM delivery_options
			WHERE id = ${input.deliveryOptionId} AND store_id = ${storeId} AND archived_at IS NULL
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM dlv), 'delivery-option-unavailable') AS a,
			oja_assert((SELECT kind FROM dlv) = 'pickup' OR ${address}::jsonb IS NOT NULL, 'address-required') AS b,
			oja_assert((SELECT kind FROM dlv) = 'pickup' OR (
				(cardinality((SELECT states FROM dlv)) = 0
					OR lower(${input.shippingAddress?.state ?? null}::text) IN (SELECT lower(x) FROM dlv, unnest(dlv.states) x))
				AND (cardinality((SELECT cities FROM dlv)) = 0
					OR lower(${input.shippingAddress?.city ?? null}::text) IN (SELECT lower(x) FROM dlv, unnest(dlv.cities) x))),
				'outside-zone') AS c`);
	const subtotal = sql`(SELECT coalesce(sum(v.price_minor * l.quantity), 0)::bigint
		FROM jsonb_to_recordset(${linesJson}::jsonb) AS l(variant_id text, quantity int)
		JOIN variants v ON v.id = l.variant_id AND v.store_id = ${storeId})`;
	// The usage limits are conditional updates on the discount row and the customer's count: two
	// shoppers racing for the last use serialise on the row lock, and the second finds no use left.
	// A use counts against the email and the phone (always given): keyed by the email alone, a
	// once-per-customer code was reusable by typing another email, or none.
	const customerKeys = [...new Set([email, input.phone].filter((k): k is string => k !== null))];
	const discount = code
		? db.execute(sql`
			WITH disc AS (
				UPDATE discounts d SET used_count = d.used_count + 1, updated_at = now()
				WHERE d.store_id = ${storeId} AND d.code = ${code} AND d.deleted_at IS NULL AND d.active
					AND (d.starts_at IS NULL OR d.starts_at <= now()) AND (d.ends_at IS NULL OR d.ends_at > now())
					AND (d.usage_limit IS NULL OR d.used_count < d.usage_limit)
					AND (d.min_subtotal_minor IS NULL OR ${subtotal} >= d.min_subtotal_minor)
				RETURNING d.id, d.per_customer_limit
			), per_customer AS (
				INSERT INTO discount_customer_uses (discount_id, store_id, customer_key, uses)
				SELECT id, ${storeId}, k, 1 FROM disc, unnest(${sql.param(customerKeys)}::text[]) AS k
				ON CONFLICT (discount_id, customer_key) DO UPDATE SET uses = discount_customer_uses.uses + 1
				WHERE discount_customer_uses.uses < coalesce((SELECT per_customer_limit FROM disc), 2147483647)
				RETURNING uses
			)
			SELECT oja_assert(EXISTS (SELECT 1 FROM disc), 'discount-unavailable') AS a,
				oja_assert((SELECT count(*) FROM per_customer) = ${customerKeys.length} OR NOT EXISTS (SELECT 1 FROM disc),
					'discount-customer-limit') AS b`)
		: db.execute(sql`SELECT 1`);
	// A returning customer is found by a plain read and written only to fill a phone or name a
	// guest record lacks: an upsert would lock their row until COMMIT on every order, so one shopper's
	// concurrent checkouts (or a bench's) would queue behind each other. Only a customer new to
	// this snapshot is inserted; if another checkout inserted them meanwhile, the conflict clause
	// waits for it and returns that row.
	const customerKey = email ? sql`email = ${email}` : sql`phone = ${input.phone} AND email IS NULL`;
	const customerConflict = email
		? sql`ON CONFLICT (store_id, email) DO UPDATE SET phone = coalesce(customers.phone, EXCLUDED.phone),
				name = coalesce(customers.name, EXCLUDED.name), updated_at = now()`
		: sql`ON CONFLICT (store_id, phone) WHERE email IS NULL DO UPDATE SET name = coalesce(customers.name, EXCLUDED.name),
				updated_at = now()`;
	// Every condition was asserted by an earlier statement; this one only prices and writes.
	const order = db.execute(sql`
		WITH l AS (
			SELECT * FROM jsonb_to_recordset(${linesJson}::jsonb) AS l(line_id text, variant_id text, quantity int, position int)
		), priced AS (
			SELECT l.line_id, l.variant_id, l.quantity, l.position, v.product_id, v.sku, v.title AS variant_title,
				p.title, v.price_minor
			FROM l JOIN variants v ON v.id = l.variant_id AND v.store_id = ${storeId}
			JOIN products p ON p.id = v.product_id AND p.store_id = ${storeId}
		), st AS (
			SELECT id, currency FROM stores WHERE id = ${storeId}
		), sub AS (
			SELECT coalesce(sum(price_minor * quantity), 0)::bigint AS subtotal FROM priced
		), dlv AS (
			SELECT id, kind, name, fee_minor, books_courier FROM delivery_options
			WHERE id = ${input.deliveryOptionId} AND store_id = ${storeId} AND archived_at IS NULL
		), disc AS (
			SELECT d.id, d.code, CASE WHEN d.kind = 'percentage' THEN (sub.subtotal * d.percent_off) / 100
				ELSE least(d.amount_off_minor, sub.subtotal) END AS amount
			FROM discounts d, sub
			WHERE ${code}::text IS NOT NULL AND d.store_id = ${storeId} AND d.code = ${code}::text AND d.deleted_at IS NULL
		), totals AS (
			SELECT sub.subtotal, coalesce((SELECT amount FROM disc), 0)::bigint AS discount, dlv.fee_minor AS fee,
				sub.subtotal - coalesce((SELECT amount FROM disc), 0) + dlv.fee_minor AS total
			FROM sub, dlv
		), known AS (
			SELECT id, phone, name FROM customers WHERE store_id = ${storeId} AND ${customerKey}
		), filled AS (
			UPDATE customers c SET phone = coalesce(c.phone, ${input.phone}), name = coalesce(c.name, ${input.name}),
				updated_at = now()
			FROM known WHERE c.id = known.id AND c.store_id = ${storeId} AND (known.phone IS NULL OR known.name IS NULL)
				-- A guest record only: typing someone's email at checkout must not edit their account.
				AND c.password_hash IS NULL
			RETURNING c.id
		), added AS (
			INSERT INTO customers (id, store_id, email, phone, name)
			SELECT ${newId("customer")}, ${storeId}, ${email}, ${input.phone}, ${input.name}
			WHERE NOT EXISTS (SELECT 1 FROM known)
			${customerConflict}
			RETURNING id
		), cust AS (
			SELECT id FROM known UNION ALL SELECT id FROM added
		), num AS (
			SELECT oja_next_order_number(${storeId}) AS last_number
		), ord AS (
			INSERT INTO orders (id, store_id, number, cart_id, status, payment_status, payment_method, currency,
				subtotal_minor, discount_minor, delivery_minor, total_minor, discount_id, discount_code, customer_id,
				email, phone, name, shipping_address, delivery_option_id, delivery, books_courier, note, token_hash, expires_at)
			SELECT ${orderId}, ${storeId}, num.last_number, ${cart.id},
				${online ? "pending_payment" : "open"}, ${online ? "pending" : "due_on_delivery"}, ${input.paymentMethod},
				st.currency, totals.subtotal, totals.discount, totals.fee, totals.total,
				(SELECT id FROM disc), (SELECT code FROM disc), cust.id, ${email}, ${input.phone}, ${input.name},
				${address}::jsonb, dlv.id,
				jsonb_build_object('optionId', dlv.id, 'kind', dlv.kind, 'name', dlv.name, 'feeMinor', dlv.fee_minor,
					'booksCourier', dlv.books_courier),
				dlv.books_courier, ${input.note ?? null}, ${await tokenHash(token)},
				${online ? sql`now() + make_interval(secs => ${req.reservationTtlSeconds})` : sql`NULL::timestamptz`}
			FROM st, totals, dlv, num, cust
			RETURNING id, number
		), lines_in AS (
			INSERT INTO order_lines (id, store_id, order_id, variant_id, product_id, title, variant_title, sku,
				unit_price_minor, quantity, line_total_minor, reserved_quantity, position)
			SELECT priced.line_id, ${storeId}, ord.id, priced.variant_id, priced.product_id, priced.title,
				priced.variant_title, priced.sku, priced.price_minor, priced.quantity, priced.price_minor * priced.quantity,
				priced.quantity, priced.position
			FROM priced, ord
			RETURNING id
		), timeline AS (
			INSERT INTO order_timeline (id, store_id, order_id, kind, field, to_value, actor, reason, request_id)
			SELECT ${newId("timeline")}, ${storeId}, ord.id, 'created', 'status', ${online ? "pending_payment" : "open"},
				'shopper', ${online ? "awaiting online payment" : "pay on delivery"}, ${ctx.requestId}
			FROM ord
			RETURNING id
		)
		SELECT id, number, (SELECT count(*) FROM lines_in) AS lines, (SELECT count(*) FROM timeline) AS t FROM ord`);
	// Written from the order row itself, after it: whether the order books a courier is copied
	// from its delivery option inside this transaction, and the courier consumer needs no read
	// to skip the many orders that book none (pickup, a merchant's own riders). No order, no event.
	const created = appendEventFromSql(
		db,
		{ type: "order.created", storeId, aggregateId: orderId },
		sql`(SELECT jsonb_build_object('storeId', o.store_id, 'orderId', o.id, 'cartId', ${cart.id}::text,
			'paymentMethod', ${input.paymentMethod}::text, 'booksCourier', o.books_courier)
			FROM orders o WHERE o.id = ${orderId} AND o.store_id = ${storeId})`,
		ctx.requestId,
		RELAY_CLAIM,
	);
	const reserved = stockMovementEvent(
		db,
		{
			type: "inventory.reserved",
			storeId,
			orderId,
			reason: "checkout",
			lines: lines.map((l) => ({ variant_id: l.variant_id, quantity: l.quantity })),
		},
		ctx.requestId,
		RELAY_CLAIM,
	);
	// Pay on delivery is checked against the total just computed; the order's existence is
	// checked too, so the stored response (and with it the whole batch) cannot commit without it.
	const respond = db.execute<{ response: unknown }>(sql`
		WITH placed AS (
			SELECT oja_assert(EXISTS (SELECT 1 FROM orders WHERE id = ${orderId}), 'order-not-created') AS a,
				oja_assert(${online} OR EXISTS (SELECT 1 FROM orders o JOIN delivery_options d ON d.id = o.delivery_option_id
					WHERE o.id = ${orderId} AND d.pay_on_delivery
						AND (d.pay_on_delivery_max_total_minor IS NULL OR o.total_minor <= d.pay_on_delivery_max_total_minor)),
					'pay-on-delivery-unavailable') AS b
		)
		UPDATE idempotency_keys SET order_id = ${orderId}, response = jsonb_build_object('order', order_json(${orderId}))
		FROM placed
		WHERE ${idem} AND attempt = ${attempt} AND placed.a AND placed.b
		RETURNING response`);

	try {
		// Statements that lock rows many checkouts contend for come last, so each lock is held for
		// as few statements as possible before COMMIT: the discount row, then the inventory rows.
		// The order number takes no lock at all (a per-store sequence, migration 0028): the counter
		// row it replaced made every checkout of a store wait for the one before it to commit.
		// Everything before them only reads or writes rows of this checkout's own; so does what
		// follows them (the order, its two events, the stored response).
		// The order's two events keep their sequence (the order's aggregate): order.created first.
		const results = await db.batch([claim, fresh, forSale, delivery, discount, lock, reserve, order, created, reserved, respond]);
		const response = results[10].rows[0]?.response as { order: unknown } | undefined;
		// The events come back whole and already claimed: published after the response without a claim round trip.
		const claimed = [results[8], results[9]].flatMap((r) => r.rows as OutboxRow[]);
		return { result: { order: Order.parse(response?.order), orderToken: token }, eventIds: [], claimed, replayed: false };
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
