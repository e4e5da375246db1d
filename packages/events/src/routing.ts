import { WEBHOOK_EVENT_TYPES } from "@oja/contracts";

// Cloudflare Queues have exactly one consumer Worker per queue, so fan-out happens at
// publish time: the relay sends each event to every queue whose subscription matches.

/** What a subscription may look at: the type, and the payload for content-based routing. */
export interface RoutedEvent {
	type: string;
	payload: unknown;
}

/**
 * A stock movement that changed no availability label a shopper sees (`crossed` empty): the
 * storefront cache has nothing to invalidate, so it is not sent there at all. During a sale
 * that is almost every reservation; each one would otherwise be a queue message and a consumer
 * invocation that ends in "nothing to do".
 */
function movesALabel(payload: unknown): boolean {
	const crossed = (payload as { crossed?: unknown } | null)?.crossed;
	// Anything not shaped as expected goes to the consumer, which validates and decides.
	return !Array.isArray(crossed) || crossed.length > 0;
}

export const EVENT_SUBSCRIPTIONS = {
	/** oja-events → ops Worker: the platform event log. Takes everything. */
	EVENTS: (_event: RoutedEvent) => true,
	/** oja-storefront-cache → catalog Worker: new storefront cache versions for what changed. */
	STOREFRONT_CACHE: ({ type, payload }: RoutedEvent) =>
		type.startsWith("catalog.") ||
		type === "inventory.adjusted" ||
		((type === "inventory.reserved" || type === "inventory.released") && movesALabel(payload)) ||
		type === "identity.store.updated",
	/** oja-order-events → commerce Worker: live order pages, the store feed, courier booking. */
	ORDER_EVENTS: ({ type }: RoutedEvent) => type.startsWith("order."),
	/**
	 * oja-messaging-events → messaging Worker: order notices and cart reminders to customers who
	 * chat on WhatsApp, order emails, and payout notices to the merchant.
	 */
	MESSAGING_EVENTS: ({ type, payload }: RoutedEvent) =>
		type === "order.paid" ||
		type === "payout.completed" ||
		type === "payout.failed" ||
		(type === "order.created" && (payload as { paymentMethod?: unknown } | null)?.paymentMethod === "pay_on_delivery") ||
		(type === "order.status_changed" && (payload as { field?: unknown } | null)?.field === "fulfilmentStatus") ||
		(type === "cart.abandoned" && typeof (payload as { phone?: unknown } | null)?.phone === "string"),
	/** oja-webhook-events → messaging Worker: fan-out into deliveries to merchants' webhook endpoints. */
	WEBHOOK_EVENTS: ({ type }: RoutedEvent) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type),
} as const satisfies Record<string, (event: RoutedEvent) => boolean>;

export type EventQueueBinding = keyof typeof EVENT_SUBSCRIPTIONS;
export type EventQueues = Partial<Record<EventQueueBinding, Queue>>;
