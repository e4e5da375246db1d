// @oja/delivery: booking couriers for fulfilments, behind one interface.
//
// `DeliveryProvider` is what commerce calls: quote (fee + ETA, nothing booked), createTask
// (book a rider), getTask, cancelTask. `KwikLikeClient` implements it over a Kwik-style JSON
// API (base URL + API key from configuration, `Authorization: Bearer`); tests and `npm start`
// point it at @oja/delivery-sandbox, which serves the same API on the loopback:
//   POST /v1/quotes             {pickup, dropoff, parcel}                  → Quote
//   POST /v1/tasks              {reference, pickup, dropoff, recipient, parcel, callbackUrl}
//                                                       → 201 DeliveryTask (200 on a replay)
//   GET  /v1/tasks/{taskId}                                                → DeliveryTask
//   POST /v1/tasks/{taskId}/cancel                                         → DeliveryTask
//   errors: {"error": {"code": "…", "message": "…"}}
//
// Why the reference is an idempotency key: booking happens over a network that can fail after
// the provider acted (a timeout on a request that did create the task, a Worker killed before
// it stored the task id, a queue message delivered twice). With our fulfilment id as the
// reference, "ask again" is always safe: the provider returns the task it already made instead
// of sending a second rider. It also makes recovery simple: a fulfilment with no stored task id
// just calls createTask again. A new attempt after a cancellation needs a new reference.
//
// Retry policy: every call (all of them are safe to repeat, see above) is retried on 5xx, 429,
// 408, timeouts and network errors, at most `maxAttempts` (3) tries, waiting exponentially
// longer with jitter (250 ms, 500 ms, … capped at 5 s; a Retry-After is honoured up to the cap).
// 4xx answers are never retried: the same request would be refused the same way. Each attempt
// has its own timeout (AbortSignal.timeout, 10 s default), so a call's worst case is about
// maxAttempts × timeoutMs plus the waits: callers inside a request should pass a smaller budget.
// Errors say which kind they are (`DeliveryError.retryable`): DeliveryUnavailableError (try
// later, e.g. let the queue redeliver), DeliveryRejectedError (4xx: a bug or bad input) and
// DeliveryResponseError (a 2xx whose body broke the contract; every response is parsed with zod).
//
// Status callbacks: the provider POSTs a DeliveryWebhookEvent to the task's callbackUrl, signed
// with `x-kwik-signature: hex(HMAC-SHA256(rawBody, webhookSecret))`. Verify with
// verifyDeliveryWebhook (constant-time, WebCrypto) or readDeliveryWebhook (verify + parse)
// before trusting anything in it; dedupe on eventId.
//
// Workers-compatible: fetch and WebCrypto only, no Node imports.
export { type DeliveryProvider, KwikLikeClient, type KwikLikeClientOptions } from "./client.ts";
export { DeliveryError, DeliveryRejectedError, DeliveryResponseError, DeliveryUnavailableError } from "./errors.ts";
export {
	CreateTaskRequest,
	DeliveryAddress,
	DeliveryTask,
	DeliveryWebhookEvent,
	ErrorEnvelope,
	Parcel,
	Quote,
	QuoteRequest,
	Recipient,
	Rider,
	TASK_STATUSES,
	TaskStatus,
	WEBHOOK_EVENTS,
} from "./schemas.ts";
export {
	readDeliveryWebhook,
	signDeliveryWebhook,
	verifyDeliveryWebhook,
	WEBHOOK_SIGNATURE_HEADER,
	type WebhookReading,
} from "./webhook.ts";
