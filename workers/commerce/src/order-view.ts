import type { Currency, Order } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { and, asc, eq } from "drizzle-orm";

const { orders, orderLines, orderTimeline } = schema;

type OrderRow = typeof orders.$inferSelect;
type LineRow = typeof orderLines.$inferSelect;
type TimelineRow = typeof orderTimeline.$inferSelect;

function toOrder(row: OrderRow, lines: LineRow[], timeline: TimelineRow[] | undefined): Order {
	const address = row.shippingAddress;
	return {
		id: row.id,
		number: row.number,
		status: row.status,
		paymentStatus: row.paymentStatus,
		fulfilmentStatus: row.fulfilmentStatus,
		paymentMethod: row.paymentMethod,
		// Written only from a store's currency, which is one of CURRENCIES.
		currency: row.currency as Currency,
		lines: lines.map((l) => ({
			id: l.id,
			variantId: l.variantId,
			productId: l.productId,
			title: l.title,
			variantTitle: l.variantTitle,
			sku: l.sku,
			unitPriceMinor: l.unitPriceMinor,
			quantity: l.quantity,
			lineTotalMinor: l.lineTotalMinor,
			fulfilledQuantity: l.fulfilledQuantity,
		})),
		subtotalMinor: row.subtotalMinor,
		discountMinor: row.discountMinor,
		discountCode: row.discountCode,
		deliveryMinor: row.deliveryMinor,
		totalMinor: row.totalMinor,
		delivery: {
			optionId: row.delivery.optionId,
			kind: row.delivery.kind,
			name: row.delivery.name,
			feeMinor: row.delivery.feeMinor,
			booksCourier: row.delivery.booksCourier,
		},
		customer: { name: row.name, email: row.email, phone: row.phone },
		shippingAddress: address ? { address: address.address ?? "", city: address.city ?? "", state: address.state ?? "" } : null,
		note: row.note,
		expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
		...(timeline
			? {
					timeline: timeline.map((t) => ({
						at: t.at.toISOString(),
						kind: t.kind,
						field: t.field,
						from: t.fromValue,
						to: t.toValue,
						actor: t.actor,
						reason: t.reason,
					})),
				}
			: {}),
	};
}

/**
 * One order of one store as the API shows it, or null (missing, or another store's: callers
 * answer both with the same 404). The order, its lines and (optionally) its timeline are one
 * batch, so one round trip and one snapshot.
 */
export async function loadOrder(
	db: Database,
	storeId: string,
	orderId: string,
	options: { timeline?: boolean } = {},
): Promise<Order | null> {
	const orderQuery = db
		.select()
		.from(orders)
		.where(and(eq(orders.id, orderId), eq(orders.storeId, storeId)));
	const linesQuery = db
		.select()
		.from(orderLines)
		.where(and(eq(orderLines.orderId, orderId), eq(orderLines.storeId, storeId)))
		.orderBy(asc(orderLines.position));
	if (options.timeline) {
		const timelineQuery = db
			.select()
			.from(orderTimeline)
			.where(and(eq(orderTimeline.orderId, orderId), eq(orderTimeline.storeId, storeId)))
			.orderBy(asc(orderTimeline.at), asc(orderTimeline.id));
		const [[row], lines, timeline] = await db.batch([orderQuery, linesQuery, timelineQuery]);
		return row ? toOrder(row, lines, timeline) : null;
	}
	const [[row], lines] = await db.batch([orderQuery, linesQuery]);
	return row ? toOrder(row, lines, undefined) : null;
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether `token` is this order's shopper token (orders.token_hash is its hex SHA-256). A
 * missing order, another store's order and a wrong token are all just false.
 */
export async function verifyOrderToken(db: Database, storeId: string, orderId: string, token: string): Promise<boolean> {
	if (token.length === 0 || token.length > 512) return false;
	const [row] = await db
		.select({ tokenHash: orders.tokenHash })
		.from(orders)
		.where(and(eq(orders.id, orderId), eq(orders.storeId, storeId)));
	const presented = new TextEncoder().encode(await sha256Hex(token));
	const stored = new TextEncoder().encode(row?.tokenHash.toLowerCase() ?? "");
	// Constant time, so the comparison does not reveal how much of a guessed hash matched.
	return stored.byteLength === presented.byteLength && crypto.subtle.timingSafeEqual(stored, presented);
}
