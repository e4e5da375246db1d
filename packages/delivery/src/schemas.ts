import { currency, MAX_FEE_MINOR, minorUnits, phoneNumber } from "@oja/contracts";
import { z } from "zod";

// The shapes of the courier API, shared by the client (which parses every response with
// them) and the sandbox (which parses every request with them). The wire format is the
// domain format: camelCase JSON, money as integer minor units plus an ISO currency.

/** Where a rider goes. Coordinates are optional: when both ends have them, the fee is by distance. */
export const DeliveryAddress = z.object({
	line1: z.string().trim().min(1).max(200),
	line2: z.string().trim().max(200).optional(),
	city: z.string().trim().min(1).max(100),
	state: z.string().trim().max(100).optional(),
	/** ISO 3166-1 alpha-2, e.g. "NG". */
	country: z.string().regex(/^[A-Z]{2}$/, { message: "Use an ISO 3166-1 alpha-2 country code, e.g. NG" }),
	latitude: z.number().min(-90).max(90).optional(),
	longitude: z.number().min(-180).max(180).optional(),
});
export type DeliveryAddress = z.infer<typeof DeliveryAddress>;

/** What is carried. The declared value (for the courier's insurance) is money, so it has a currency. */
export const Parcel = z.object({
	description: z.string().trim().min(1).max(500),
	valueMinor: minorUnits,
	currency,
	weightGrams: z.number().int().positive().max(1_000_000).optional(),
});
export type Parcel = z.infer<typeof Parcel>;

export const QuoteRequest = z.object({
	pickup: DeliveryAddress,
	dropoff: DeliveryAddress,
	// A quote can be asked for before the parcel is fully described (e.g. at checkout).
	parcel: Parcel.partial({ description: true }),
});
export type QuoteRequest = z.infer<typeof QuoteRequest>;

export const Quote = z.object({
	feeMinor: z.number().int().nonnegative().max(MAX_FEE_MINOR),
	currency,
	etaMinutes: z.number().int().nonnegative(),
});
export type Quote = z.infer<typeof Quote>;

/** The person a parcel is for; their phone in E.164, which the rider calls or texts. */
export const Recipient = z.object({ name: z.string().trim().min(1).max(200), phone: phoneNumber });
export type Recipient = z.infer<typeof Recipient>;

/** The courier's rider as the provider reports them: read leniently, since we only display it. */
export const Rider = z.object({ name: z.string().min(1).max(200), phone: z.string().min(1).max(40) });
export type Rider = z.infer<typeof Rider>;

export const CreateTaskRequest = z.object({
	/** Our order/fulfilment id: the provider's idempotency key (same reference, same task). */
	reference: z.string().min(1).max(100),
	pickup: DeliveryAddress,
	dropoff: DeliveryAddress,
	recipient: Recipient,
	parcel: Parcel,
	/** Where the provider POSTs signed status events for this task. */
	callbackUrl: z.url({ protocol: /^https?$/ }).max(2000),
});
export type CreateTaskRequest = z.infer<typeof CreateTaskRequest>;

export const TASK_STATUSES = ["pending", "assigned", "picked_up", "delivered", "cancelled", "failed"] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const DeliveryTask = z.object({
	taskId: z.string().min(1).max(100),
	reference: z.string().min(1).max(100),
	status: TaskStatus,
	trackingUrl: z.url(),
	feeMinor: z.number().int().nonnegative().max(MAX_FEE_MINOR),
	currency,
	/** Who carries it, once assigned. */
	rider: Rider.nullable(),
	createdAt: z.iso.datetime({ offset: true }),
	updatedAt: z.iso.datetime({ offset: true }),
});
export type DeliveryTask = z.infer<typeof DeliveryTask>;

/** Every non-2xx answer: `{"error": {"code": "not_found", "message": "…"}}`. */
export const ErrorEnvelope = z.object({
	error: z.object({ code: z.string().max(100), message: z.string().max(2000) }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export const WEBHOOK_EVENTS = ["task.assigned", "task.picked_up", "task.delivered", "task.cancelled", "task.failed"] as const;

/**
 * The JSON body of a status callback (POST to the task's callbackUrl, signed with
 * `x-kwik-signature`). `eventId` is unique per event: callbacks may arrive more than once
 * and out of order, so consumers dedupe on it and compare `occurredAt`, not arrival order.
 */
export const DeliveryWebhookEvent = z.object({
	eventId: z.string().min(1).max(100),
	event: z.enum(WEBHOOK_EVENTS),
	taskId: z.string().min(1).max(100),
	reference: z.string().min(1).max(100),
	/** The task's status after the event ("task.picked_up" → "picked_up"). */
	status: TaskStatus,
	occurredAt: z.iso.datetime({ offset: true }),
	rider: Rider.optional(),
});
export type DeliveryWebhookEvent = z.infer<typeof DeliveryWebhookEvent>;
