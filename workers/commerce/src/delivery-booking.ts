import { errorSummary, type RequestContext } from "@oja/contracts";
import { type Database, newId } from "@oja/db";
import { type DeliveryAddress, type DeliveryProvider, KwikLikeClient, type Parcel } from "@oja/delivery";
import { type AnyTypedEnvelope, backoffSeconds, parseEnvelope, type RetryPolicy } from "@oja/events";
import { sql } from "drizzle-orm";

// Courier booking: the oja-order-events consumer's second job (live.ts is the first).
//
// Cancelling: an order cancelled after booking (only possible before pick-up) gets its task
// cancelled at the provider and its fulfilment marked `cancelled` (cancelCourier); a booking
// that finds the order no longer open when it comes to write the row cancels its own task.
//
// When: an order that `books_courier` becomes `open` — at placement for pay on delivery
// (`order.created` with paymentMethod pay_on_delivery) or when an online payment lands
// (`order.status_changed` status → open). Every other event is not ours. The event is only a
// trigger: the order is re-read, and nothing is booked unless it is still open, unfulfilled
// and books a courier (a cancelled order, or one the merchant already handed to someone else,
// gets no rider).
//
// Idempotency without consumeBatch: the effect is a call to the provider plus one row, and the
// provider call cannot join a Postgres transaction, so a processed_messages row would not make
// it exactly-once anyway. Instead the courier fulfilment's id is derived from the order id
// (`ful_<the order's ULID>`): it is the provider reference, which the provider treats as an
// idempotency key (same reference → the same task, never a second rider), and the row is
// inserted with ON CONFLICT DO NOTHING, so any number of deliveries of any number of triggering
// events book once and write one fulfilment and one timeline row. A crash between the provider
// call and the insert is repaired by the next delivery, which gets the same task back.
//
// The booking: pickup is the store (there is no store address yet, so the store's name and
// contact phone with the drop-off's city, for the rider to call; a real address replaces this
// when stores have one), drop-off the order's shipping address, recipient the order's name and
// phone, parcel value the order total. The row is a `fulfilments` row with status `pending`,
// carrier = the provider's name, the task id and tracking URL; the lines it will carry are the
// ones unfulfilled at booking. Stock is not touched here: it leaves when the rider picks up
// (delivery-events.ts).
//
// Failures: the client retries transient errors itself (3 tries, short backoff); when it still
// fails, the message is retried by the queue with exponential backoff (backoffSeconds) and,
// after max_retries, goes to oja-order-events-dlq, which ops records. A 4xx (bad address, …) is
// not transient but is retried the same way: it lands in the DLQ where an operator sees it,
// rather than being dropped silently.

export const COURIER_CARRIER = "kwik";

const ORDER_ULID = /^ord_([0-9A-HJKMNP-TV-Z]{26})$/;

/** The courier fulfilment of an order: one per order, and the provider's idempotency key. */
export function courierFulfilmentId(orderId: string): string {
	const match = ORDER_ULID.exec(orderId);
	if (!match) throw new Error("not an order id");
	// The fulfilment prefix (ID_PREFIXES.fulfilment in @oja/db) with the order's own ULID.
	return `ful_${match[1]}`;
}

/** The provider commerce books through, from configuration. */
export function deliveryProvider(env: CommerceEnv): DeliveryProvider {
	if (!env.DELIVERY_API_URL || !env.DELIVERY_API_KEY) throw new Error("DELIVERY_API_URL and DELIVERY_API_KEY must be set");
	// Short per-attempt timeout: the queue's own retry covers longer outages.
	return new KwikLikeClient({ baseUrl: env.DELIVERY_API_URL, apiKey: env.DELIVERY_API_KEY, timeoutMs: 8_000 });
}

// Shipping addresses carry no country; the store's currency says which market it sells in.
const COUNTRY_OF_CURRENCY: Record<string, string> = { NGN: "NG", GHS: "GH", KES: "KE", ZAR: "ZA", USD: "US", GBP: "GB" };

interface BookingRow extends Record<string, unknown> {
	status: string;
	fulfilment_status: string;
	books_courier: boolean;
	number: number;
	name: string;
	phone: string;
	shipping_address: { address: string; city: string; state: string } | null;
	total_minor: string | number;
	currency: Parcel["currency"];
	store_name: string;
	store_phone: string | null;
	booked: boolean;
	lines: { lineId: string; quantity: number }[] | null;
}

export type BookingOutcome = "booked" | "already-booked" | "not-applicable";

/** Books the courier for one order if it needs one and has none yet. Safe to call any number of times. */
export async function bookCourier(
	db: Database,
	provider: DeliveryProvider,
	config: { callbackUrl: string },
	storeId: string,
	orderId: string,
	ctx: RequestContext,
): Promise<BookingOutcome> {
	const fulfilmentId = courierFulfilmentId(orderId);
	const result = await db.execute<BookingRow>(sql`
		SELECT o.status, o.fulfilment_status, o.books_courier, o.number, o.name, o.phone, o.shipping_address,
			o.total_minor, o.currency, s.name AS store_name, s.contact_phone AS store_phone,
			EXISTS (SELECT 1 FROM fulfilments f WHERE f.id = ${fulfilmentId}) AS booked,
			(SELECT jsonb_agg(jsonb_build_object('lineId', l.id, 'quantity', l.quantity - l.fulfilled_quantity) ORDER BY l.position)
				FROM order_lines l WHERE l.order_id = o.id AND l.quantity > l.fulfilled_quantity) AS lines
		FROM orders o JOIN stores s ON s.id = o.store_id
		WHERE o.id = ${orderId} AND o.store_id = ${storeId}`);
	const order = result.rows[0];
	if (!order) return "not-applicable";
	if (order.booked) return "already-booked";
	if (!order.books_courier || order.status !== "open" || order.fulfilment_status !== "unfulfilled") return "not-applicable";
	const address = order.shipping_address;
	const lines = order.lines ?? [];
	// Checkout requires an address for delivery options; without one there is nowhere to go.
	if (!address || lines.length === 0) return "not-applicable";

	const country = COUNTRY_OF_CURRENCY[order.currency] ?? "NG";
	const dropoff: DeliveryAddress = { line1: address.address, city: address.city, state: address.state, country };
	const pickup: DeliveryAddress = {
		line1: `${order.store_name}: call ${order.store_phone ?? "the store"} for the pickup address`.slice(0, 200),
		city: address.city,
		state: address.state,
		country,
	};
	const items = lines.reduce((n, l) => n + l.quantity, 0);
	const task = await provider.createTask({
		reference: fulfilmentId,
		pickup,
		dropoff,
		recipient: { name: order.name, phone: order.phone },
		parcel: {
			description: `Order #${order.number} (${items} item${items === 1 ? "" : "s"})`,
			valueMinor: Number(order.total_minor),
			currency: order.currency,
		},
		callbackUrl: config.callbackUrl,
	});

	const details = JSON.stringify({ fulfilmentId, taskId: task.taskId, carrier: COURIER_CARRIER, trackingUrl: task.trackingUrl });
	// One statement: the timeline row exists exactly when this delivery inserted the fulfilment,
	// and it inserts only while the order is still open (a cancellation may have landed while
	// the provider was answering).
	const inserted = await db.execute<{ id: string }>(sql`
		WITH ins AS (
			INSERT INTO fulfilments (id, store_id, order_id, lines, carrier, tracking_number, tracking_url, status, delivery_task_id)
			SELECT ${fulfilmentId}, ${storeId}, ${orderId}, ${JSON.stringify(lines)}::jsonb, ${COURIER_CARRIER}, ${task.taskId},
				${task.trackingUrl}, 'pending', ${task.taskId}
			WHERE EXISTS (SELECT 1 FROM orders WHERE id = ${orderId} AND store_id = ${storeId} AND status = 'open')
			ON CONFLICT (id) DO NOTHING
			RETURNING id
		),
		tl AS (
			INSERT INTO order_timeline (id, store_id, order_id, kind, actor, reason, details, request_id)
			SELECT ${newId("timeline")}, ${storeId}, ${orderId}, 'courier', 'courier', 'courier booked', ${details}::jsonb, ${ctx.requestId}
			FROM ins
		)
		SELECT id FROM ins`);
	if (inserted.rows.length > 0) return "booked";
	const exists = await db.execute(sql`SELECT 1 FROM fulfilments WHERE id = ${fulfilmentId}`);
	if (exists.rows.length > 0) return "already-booked";
	// The order stopped being open while we booked: take the rider back.
	await provider.cancelTask(task.taskId);
	return "not-applicable";
}

/**
 * Takes back the rider of a cancelled order (cancellation is only legal before anything was
 * fulfilled, so before pick-up). Safe to repeat: the provider's cancel is idempotent and the
 * fulfilment moves pending → cancelled once, with one timeline row.
 */
export async function cancelCourier(
	db: Database,
	provider: DeliveryProvider,
	storeId: string,
	orderId: string,
	ctx: RequestContext,
): Promise<"cancelled" | "not-applicable"> {
	const fulfilmentId = courierFulfilmentId(orderId);
	const found = await db.execute<{ delivery_task_id: string | null; status: string; order_status: string }>(sql`
		SELECT f.delivery_task_id, f.status, o.status AS order_status
		FROM fulfilments f JOIN orders o ON o.id = f.order_id
		WHERE f.id = ${fulfilmentId} AND f.store_id = ${storeId}`);
	const row = found.rows[0];
	if (!row?.delivery_task_id || row.status !== "pending" || row.order_status !== "cancelled") return "not-applicable";
	await provider.cancelTask(row.delivery_task_id);
	const details = JSON.stringify({ fulfilmentId, taskId: row.delivery_task_id });
	await db.execute(sql`
		WITH upd AS (
			UPDATE fulfilments SET status = 'cancelled', updated_at = now() WHERE id = ${fulfilmentId} AND status = 'pending'
			RETURNING id
		)
		INSERT INTO order_timeline (id, store_id, order_id, kind, actor, reason, details, request_id)
		SELECT ${newId("timeline")}, ${storeId}, ${orderId}, 'courier', 'courier', 'courier booking cancelled', ${details}::jsonb,
			${ctx.requestId}
		FROM upd`);
	return "cancelled";
}

/** What an order event asks of the courier: book (the order may have become open), cancel, or nothing. */
export function courierAction(event: AnyTypedEnvelope): "book" | "cancel" | null {
	// An order whose option books no courier is skipped without reading it; an event from before
	// the field existed is looked up as before.
	if (event.type === "order.created") {
		return event.payload.paymentMethod === "pay_on_delivery" && event.payload.booksCourier !== false ? "book" : null;
	}
	if (event.type === "order.status_changed" && event.payload.field === "status") {
		if (event.payload.to === "open") return "book";
		if (event.payload.to === "cancelled") return "cancel";
	}
	return null;
}

/** A message's fate as decided by one handler; the queue handler combines two (live + booking). */
export type Verdict = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/**
 * The booking pass over an oja-order-events batch. Returns a verdict per message id instead of
 * acking, because the same messages also feed the live pass and a message is acked only when
 * both are done with it.
 */
export async function bookCouriers(
	messages: readonly Message<unknown>[],
	deps: {
		db: Database;
		provider: () => DeliveryProvider;
		callbackUrl: string;
		retry: RetryPolicy;
		log?: (line: Record<string, unknown>) => void;
	},
): Promise<Map<string, Verdict>> {
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const verdicts = new Map<string, Verdict>();
	// Sequential: a batch rarely holds more than a few triggers, and two for one order would race.
	for (const message of messages) {
		const parsed = parseEnvelope(message.body);
		// Not ours to judge: the live pass retries invalid envelopes.
		const action = parsed.ok ? courierAction(parsed.event) : null;
		if (!parsed.ok || action === null) {
			verdicts.set(message.id, { kind: "ack" });
			continue;
		}
		const { storeId, orderId } = parsed.event.payload as { storeId: string; orderId: string };
		const ctx = { requestId: parsed.event.requestId ?? `queue-${message.id}` };
		try {
			const outcome =
				action === "book"
					? await bookCourier(deps.db, deps.provider(), { callbackUrl: deps.callbackUrl }, storeId, orderId, ctx)
					: await cancelCourier(deps.db, deps.provider(), storeId, orderId, ctx);
			if (outcome === "booked" || outcome === "cancelled") log({ level: "info", msg: `courier.${outcome}`, storeId, orderId });
			verdicts.set(message.id, { kind: "ack" });
		} catch (error) {
			const delaySeconds = backoffSeconds(message.attempts, deps.retry);
			log({
				level: "warn",
				msg: "courier.booking_retry",
				messageId: message.id,
				orderId,
				attempt: message.attempts,
				delaySeconds,
				reason: errorSummary(error),
			});
			verdicts.set(message.id, { kind: "retry", delaySeconds });
		}
	}
	return verdicts;
}

/**
 * The batch as a handler sees it, with ack/retry recorded instead of applied, so two handlers
 * (live pushes, booking) can each decide and `settle` applies the combination once.
 */
export function recordingBatch(batch: MessageBatch<unknown>): { batch: MessageBatch<unknown>; verdicts: Map<string, Verdict> } {
	const verdicts = new Map<string, Verdict>();
	const messages = batch.messages.map(
		(m) =>
			({
				id: m.id,
				timestamp: m.timestamp,
				body: m.body,
				attempts: m.attempts,
				ack: () => verdicts.set(m.id, { kind: "ack" }),
				retry: (options?: QueueRetryOptions) => verdicts.set(m.id, { kind: "retry", delaySeconds: options?.delaySeconds ?? 0 }),
			}) as Message<unknown>,
	);
	const recorded = {
		queue: batch.queue,
		metadata: batch.metadata,
		messages,
		ackAll: () => {
			for (const m of messages) m.ack();
		},
		retryAll: (options?: QueueRetryOptions) => {
			for (const m of messages) m.retry(options);
		},
	} as MessageBatch<unknown>;
	return { batch: recorded, verdicts };
}

/** Acks a message only when every handler acked it; otherwise retries it after the longest delay asked. */
export function settle(batch: MessageBatch<unknown>, ...passes: Map<string, Verdict>[]): void {
	for (const message of batch.messages) {
		let delay: number | null = null;
		for (const verdicts of passes) {
			const v = verdicts.get(message.id);
			// A handler that said nothing about a message has not finished it: retry.
			if (!v || v.kind === "retry") delay = Math.max(delay ?? 0, v?.kind === "retry" ? v.delaySeconds : 0);
		}
		if (delay === null) message.ack();
		else message.retry({ delaySeconds: delay });
	}
}
