// Cloudflare Queues have exactly one consumer Worker per queue, so fan-out happens at
// publish time: the relay sends each event to every queue whose subscription matches.

export const EVENT_SUBSCRIPTIONS = {
	/** oja-events → ops Worker: the platform event log. Takes everything. */
	EVENTS: (_type: string) => true,
	/** oja-storefront-cache → catalog Worker: new storefront cache versions for what changed. */
	STOREFRONT_CACHE: (type: string) =>
		type.startsWith("catalog.") || type.startsWith("inventory.") || type === "identity.store.updated",
	/** oja-order-events → commerce Worker: live order pages, the store feed, courier booking. */
	ORDER_EVENTS: (type: string) => type.startsWith("order."),
} as const satisfies Record<string, (type: string) => boolean>;

export type EventQueueBinding = keyof typeof EVENT_SUBSCRIPTIONS;
export type EventQueues = Partial<Record<EventQueueBinding, Queue>>;
