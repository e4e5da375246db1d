import { z } from "zod";

// Every domain event is `<domain>.<action>` with a zod contract for its payload. Adding an
// event means adding it here; producers and consumers both parse against these.

const StockMovement = z.object({
	storeId: z.string(),
	orderId: z.string(),
	reason: z.string(),
	lines: z.array(z.object({ variantId: z.string(), quantity: z.number().int() })),
	crossed: z.array(z.object({ variantId: z.string(), handle: z.string() })).default([]),
});

const DeliveryProgress = z.object({
	storeId: z.string(),
	orderId: z.string(),
	fulfilmentId: z.string(),
	taskId: z.string(),
	/** When the provider says it happened (callbacks can arrive late and out of order). */
	occurredAt: z.string(),
});

const PayoutOutcome = z.object({
	storeId: z.string(),
	payoutId: z.string(),
	payoutAccountId: z.string(),
	amountMinor: z.number().int().positive(),
	currency: z.string().length(3),
	bankName: z.string().max(200).nullable(),
	accountLast4: z.string().regex(/^[0-9]{4}$/),
});

export const EVENT_PAYLOADS = {
	"identity.store.created": z.object({
		storeId: z.string(),
		slug: z.string(),
		name: z.string(),
		currency: z.string().length(3),
		ownerUserId: z.string(),
	}),
	"identity.store.updated": z.object({
		storeId: z.string(),
		changed: z.array(z.string()),
		// Set when the custom domain changed, so its host mapping can move.
		customDomain: z.string().nullable().optional(),
		previousCustomDomain: z.string().nullable().optional(),
		// Set when the domain's ownership check changed it (verified → mapped, failed → unmapped).
		domainStatus: z.enum(["verified", "failed"]).optional(),
	}),
	"identity.member.added": z.object({
		storeId: z.string(),
		userId: z.string(),
		role: z.enum(["owner", "admin", "staff"]),
		by: z.string().nullable(),
	}),
	"identity.member.removed": z.object({ storeId: z.string(), userId: z.string(), by: z.string().nullable() }),
	"catalog.product.created": z.object({ storeId: z.string(), productId: z.string(), handle: z.string() }),
	// previousHandle is set when the handle changed, so the old product URL can be purged too.
	"catalog.product.updated": z.object({
		storeId: z.string(),
		productId: z.string(),
		handle: z.string(),
		previousHandle: z.string().optional(),
	}),
	"catalog.product.deleted": z.object({ storeId: z.string(), productId: z.string(), handle: z.string() }),
	"catalog.collection.created": z.object({ storeId: z.string(), collectionId: z.string(), handle: z.string() }),
	"catalog.collection.updated": z.object({
		storeId: z.string(),
		collectionId: z.string(),
		handle: z.string(),
		previousHandle: z.string().optional(),
	}),
	"catalog.collection.deleted": z.object({ storeId: z.string(), collectionId: z.string(), handle: z.string() }),
	// Either a relative change (delta) or an absolute count (setTo); the resulting level is in
	// inventory_adjustments, and consumers re-read stock rather than trust an event for it.
	"inventory.adjusted": z.object({
		storeId: z.string(),
		variantId: z.string(),
		delta: z.number().int().nullable(),
		setTo: z.number().int().nullable(),
		reason: z.string(),
	}),
	// Commerce. Payloads carry ids and what changed; consumers re-read the order for the rest.
	"order.created": z.object({
		storeId: z.string(),
		orderId: z.string(),
		cartId: z.string(),
		paymentMethod: z.enum(["online", "pay_on_delivery"]),
		/** Whether its delivery option books a courier (absent from events older than the field). */
		booksCourier: z.boolean().optional(),
	}),
	"order.status_changed": z.object({
		storeId: z.string(),
		orderId: z.string(),
		field: z.enum(["status", "paymentStatus", "fulfilmentStatus"]),
		from: z.string(),
		to: z.string(),
		actor: z.string(),
		reason: z.string().nullable(),
	}),
	"order.fulfilment_created": z.object({ storeId: z.string(), orderId: z.string(), fulfilmentId: z.string() }),
	// An online payment was confirmed by the provider and applied (payments → commerce, with
	// its ledger entry in the same transaction). Amounts in minor units.
	"order.paid": z.object({
		storeId: z.string(),
		orderId: z.string(),
		paymentId: z.string(),
		provider: z.literal("paystack"),
		reference: z.string(),
		amountMinor: z.number().int().positive(),
		currency: z.string().length(3),
	}),
	// The courier's progress on a booked fulfilment (commerce, from the provider's callbacks).
	// The order's own status changes are separate order.status_changed events.
	"delivery.assigned": DeliveryProgress.extend({
		rider: z.object({ name: z.string(), phone: z.string() }).nullable(),
	}),
	"delivery.picked_up": DeliveryProgress,
	"delivery.completed": DeliveryProgress,
	// Stock held for, released from or taken out by an order. `crossed` lists the variants whose
	// storefront availability label (in stock / low / sold out) changed, so caches are
	// invalidated only when a shopper would see a difference.
	"inventory.reserved": StockMovement,
	"inventory.released": StockMovement,
	"cart.abandoned": z.object({
		storeId: z.string(),
		cartId: z.string(),
		email: z.string().nullable(),
		phone: z.string().nullable(),
		itemCount: z.number().int(),
		subtotalMinor: z.number().int(),
		currency: z.string().length(3),
	}),
	// Payments: a payout's final outcome, appended in the same batch as the status change (and its
	// ledger entry) that makes it, so a change that did not happen emits nothing. What the bank
	// account shows is only its bank's name and last four digits. Amounts in minor units.
	"payout.completed": PayoutOutcome,
	// Refused or failed by Paystack (pending|processing → failed), or reversed, before or after it
	// was paid: either way the money is back in the store's available balance.
	"payout.failed": PayoutOutcome.extend({
		outcome: z.enum(["failed", "reversed"]),
		reason: z.string().max(200).nullable(),
	}),
	"identity.user.created": z.object({
		userId: z.string(),
		email: z.string(),
	}),
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_PAYLOADS)[T]>;

export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];

/**
 * The envelope on the queue. `id` lets consumers drop duplicates (Queues deliver at least
 * once); `sequence` is per aggregate and gap-free, so consumers can tell when an earlier
 * event for the same aggregate has not arrived yet (Queues do not preserve order).
 */
export const EventEnvelope = z.object({
	id: z.string().min(1),
	type: z.string().regex(/^[a-z]+(\.[a-z_]+)+$/),
	storeId: z.string().nullable(),
	aggregateId: z.string().min(1),
	sequence: z.number().int().positive(),
	occurredAt: z.string(),
	requestId: z.string().nullable(),
	payload: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export type TypedEnvelope<T extends EventType> = Omit<EventEnvelope, "type" | "payload"> & {
	type: T;
	payload: EventPayload<T>;
};

export type AnyTypedEnvelope = { [T in EventType]: TypedEnvelope<T> }[EventType];

function summarize(error: z.ZodError): string {
	return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Parse an envelope and its payload against the contract for its type. */
export function parseEnvelope(body: unknown): { ok: true; event: AnyTypedEnvelope } | { ok: false; reason: string } {
	const envelope = EventEnvelope.safeParse(body);
	if (!envelope.success) return { ok: false, reason: `invalid envelope: ${summarize(envelope.error)}` };
	const schema = EVENT_PAYLOADS[envelope.data.type as EventType];
	if (!schema) return { ok: false, reason: `unknown event type ${envelope.data.type}` };
	const payload = schema.safeParse(envelope.data.payload);
	if (!payload.success) return { ok: false, reason: `invalid ${envelope.data.type} payload: ${summarize(payload.error)}` };
	return { ok: true, event: { ...envelope.data, payload: payload.data } as AnyTypedEnvelope };
}

/** A new event as a producer describes it; id, sequence and time are assigned by the outbox. */
export type NewEvent = {
	[T in EventType]: { type: T; storeId: string | null; aggregateId: string; payload: EventPayload<T> };
}[EventType];
