import { z } from "zod";
import { FulfilmentStatus, Order, OrderStatus, PaymentStatus } from "./commerce.ts";
import { prefixedId } from "./fields.ts";
import { Conversation } from "./messaging.ts";

// Live order feeds (WebSockets). Every message is JSON text. `sequence` is the order's event
// sequence the state reflects at least: a client that sees a lower one than it already has
// for that order can ignore the message (the server never sends one, but reconnects race).

/** A WebSocket subprotocol carrying the order token, since browsers cannot set headers on one. */
export const ORDER_TOKEN_PROTOCOL = "oja-order-token";

/** Query of the storefront live route; the token may instead come as a subprotocol. */
export const OrderLiveQuery = z.object({
	token: z
		.string()
		.max(200)
		.regex(/^[\x21-\x7e]+$/, { message: "Printable ASCII only" })
		.optional()
		.describe(`The order token; or send it as the second of the subprotocols \`${ORDER_TOKEN_PROTOCOL}, <token>\``),
});

/** What the merchant feed shows of an order: enough for a list row, nothing about lines. */
export const OrderSummary = z.object({
	id: prefixedId("ord"),
	number: z.number().int(),
	status: OrderStatus,
	paymentStatus: PaymentStatus,
	fulfilmentStatus: FulfilmentStatus,
	paymentMethod: z.enum(["online", "pay_on_delivery"]),
	currency: z.string(),
	totalMinor: z.number().int(),
	customerName: z.string(),
	itemCount: z.number().int(),
	createdAt: z.string(),
	updatedAt: z.string(),
});
export type OrderSummary = z.infer<typeof OrderSummary>;

/** Shopper's live order page: the current state on connect, then each newer one. */
export const OrderLiveMessage = z.object({
	type: z.literal("order"),
	sequence: z.number().int().nonnegative(),
	order: Order,
});
export type OrderLiveMessage = z.infer<typeof OrderLiveMessage>;

/** Merchant feed: `ready` once subscribed, then an `order` for each new or changed order. */
export const StoreFeedMessage = z.discriminatedUnion("type", [
	z.object({ type: z.literal("ready"), storeId: z.string() }),
	z.object({ type: z.literal("order"), sequence: z.number().int().positive(), order: OrderSummary }),
	// A WhatsApp conversation changed (a message in or out, a handoff, an assignment): the inbox row.
	z.object({ type: z.literal("conversation"), conversation: Conversation }),
]);
export type StoreFeedMessage = z.infer<typeof StoreFeedMessage>;

/** An order changed (from its outbox events): what the live Durable Objects are told. */
export interface OrderChange {
	storeId: string;
	orderId: string;
	sequence: number;
}

export function orderSummary(order: Order): OrderSummary {
	return {
		id: order.id,
		number: order.number,
		status: order.status,
		paymentStatus: order.paymentStatus,
		fulfilmentStatus: order.fulfilmentStatus,
		paymentMethod: order.paymentMethod,
		currency: order.currency,
		totalMinor: order.totalMinor,
		customerName: order.customer.name,
		itemCount: order.lines.reduce((n, l) => n + l.quantity, 0),
		createdAt: order.createdAt,
		updatedAt: order.updatedAt,
	};
}
