import { z } from "zod";
import { isoDateTime, plainText, prefixedId } from "./fields.ts";

// Merchant outbound webhooks: endpoints, their one-time secrets and the delivery log.

/**
 * The events a merchant can subscribe to: an order's life, its courier's progress and carts
 * abandoned with contact details (for the merchant's own reminder tools). Payloads are the
 * event's ids and changes ("thin" events); the order itself is one API call away.
 */
export const WEBHOOK_EVENT_TYPES = [
	"order.created",
	"order.paid",
	"order.status_changed",
	"order.fulfilment_created",
	"delivery.assigned",
	"delivery.picked_up",
	"delivery.completed",
	"cart.abandoned",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** At most this many endpoints per store: each event costs one delivery per endpoint. */
export const MAX_WEBHOOK_ENDPOINTS = 10;

export const WebhookEventSelector = z.enum(["*", ...WEBHOOK_EVENT_TYPES]);

export const CreateWebhookEndpointInput = z
	.object({
		url: z.string().trim().min(1).max(2048).describe("https only; never a private, loopback or metadata address"),
		events: z
			.array(WebhookEventSelector)
			.min(1)
			.max(WEBHOOK_EVENT_TYPES.length + 1)
			.describe('Event types, or ["*"] for every one')
			.transform((events) => (events.includes("*") ? ["*"] : [...new Set(events)])),
		description: plainText(200).optional(),
	})
	.strict();
export type CreateWebhookEndpointInput = z.infer<typeof CreateWebhookEndpointInput>;

export const WebhookEndpoint = z.object({
	id: prefixedId("whe"),
	url: z.string(),
	description: z.string().nullable(),
	events: z.array(z.string()),
	status: z.enum(["enabled", "disabled"]),
	disabledAt: isoDateTime.nullable(),
	disabledReason: z.string().nullable(),
	failingSince: isoDateTime.nullable().describe("Set while deliveries keep failing; 24 hours of it disables the endpoint"),
	createdAt: isoDateTime,
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** Creation and rotation answer with the secret, once; nothing returns it again. */
export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
	secret: z.string().describe("whsec_…: shown only in this response; sign-verification key"),
});
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecret>;

export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpoint) });
export type WebhookEndpointList = z.infer<typeof WebhookEndpointList>;

export const WebhookDelivery = z.object({
	id: prefixedId("whd"),
	endpointId: prefixedId("whe"),
	eventId: z.string(),
	eventType: z.string(),
	status: z.enum(["pending", "sending", "succeeded", "failed"]),
	attempts: z.number().int().describe("Attempts made so far"),
	responseStatus: z.number().int().nullable().describe("The last attempt's HTTP status, if it got one"),
	durationMs: z.number().int().nullable(),
	error: z.string().nullable().describe("Why the last attempt failed (timeout, refused-address, http-500…)"),
	redeliveryOf: prefixedId("whd").nullable(),
	createdAt: isoDateTime,
	lastAttemptAt: isoDateTime.nullable(),
	nextAttemptAt: isoDateTime.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryListQuery = z.object({
	status: z.enum(["pending", "sending", "succeeded", "failed"]).optional(),
	cursor: z.string().max(300).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type WebhookDeliveryListQuery = z.infer<typeof WebhookDeliveryListQuery>;
export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery), nextCursor: z.string().nullable() });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

/** Attempts kept per delivery (the newest): the automatic schedule makes at most ten. */
export const MAX_WEBHOOK_ATTEMPTS_KEPT = 25;

export const WebhookDeliveryAttempt = z.object({
	attempt: z.number().int().min(1).describe("1 for the first attempt; the delivery's `attempts` counts them"),
	status: z.enum(["succeeded", "failed"]),
	responseStatus: z.number().int().nullable().describe("The HTTP status the endpoint answered, if it answered"),
	durationMs: z.number().int().describe("From sending the request to its answer (or the failure)"),
	error: z.string().nullable().describe("Why it failed (timeout, refused-address, http-500…); never the response body"),
	attemptedAt: isoDateTime,
});
export type WebhookDeliveryAttempt = z.infer<typeof WebhookDeliveryAttempt>;
export const WebhookDeliveryAttemptList = z.object({
	items: z.array(WebhookDeliveryAttempt).describe(`Oldest first; the newest ${MAX_WEBHOOK_ATTEMPTS_KEPT} are kept`),
});
export type WebhookDeliveryAttemptList = z.infer<typeof WebhookDeliveryAttemptList>;

export const WebhookEndpointParams = z.object({ storeId: prefixedId("st"), endpointId: prefixedId("whe") });
export const WebhookDeliveryParams = WebhookEndpointParams.extend({ deliveryId: prefixedId("whd") });
