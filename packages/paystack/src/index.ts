// @oja/paystack: taking payments, refunding them and paying sellers out, behind one interface.
//
// `PaymentProvider` is what commerce calls; `PaystackClient` implements it over Paystack's
// REST API (base URL + secret key from configuration; tests and `npm start` point it at
// @oja/paystack-sandbox, which serves the same endpoints on the loopback):
//   POST /transaction/initialize   {email, amount, currency, reference, callback_url, metadata}
//                                  → {authorization_url, access_code, reference}
//   GET  /transaction/verify/{reference}            → the transaction
//   GET  /transaction?from&to&page&perPage&status   → transactions + meta {total, page, perPage, pageCount}
//   POST /refund                   {transaction, amount?, merchant_note?} → the refund (pending)
//   GET  /refund?transaction&…     → refunds + meta
//   GET  /bank?country=nigeria     → banks {name, code, slug, …}
//   GET  /bank/resolve?account_number&bank_code     → {account_number, account_name}
//   POST /transferrecipient        {type: "nuban", name, account_number, bank_code, currency} → {recipient_code, …}
//   POST /transfer                 {source: "balance", amount, recipient, reference, reason} → the transfer
//   GET  /transfer/{id_or_code}    GET /transfer/verify/{reference}    GET /transfer?from&to&page&perPage
//   Every answer: {status: true, message, data[, meta]}; errors {status: false, message} with a 4xx.
//
// Money: amounts go out and come back as integers in minor units (kobo), parsed as safe
// integers (a float or a negative amount is a malformed response, never rounded).
//
// Retries: reads, writes that carry our reference (initialize, transfer) and recipient
// creation (an address-book entry: a repeat moves no money) retry 5xx, 429, 408, timeouts and network
// errors, at most `maxAttempts` (3) tries, with jittered exponential backoff (250 ms, 500 ms,
// … capped at 5 s; Retry-After honoured up to the cap). A refund carries no key of ours, so
// it is retried only on 429: see PaystackClient.refund and PaymentUnavailableError.outcomeUnknown.
// 4xx answers are never retried. Each attempt has its own timeout (10 s default).
// Errors: PaymentUnavailableError (retryable), PaymentRejectedError (4xx, with Paystack's
// message; code `duplicate_reference` for a reused reference), PaymentResponseError (a 2xx
// that broke the contract). Messages never hold the key, emails or account numbers.
//
// Webhooks: verify `x-paystack-signature` (hex HMAC-SHA512 of the raw body under the secret
// key) with verifyPaystackSignature or readPaystackWebhook before trusting anything; events
// arrive more than once and out of order, so handlers dedupe and re-verify the transaction.
//
// Workers-compatible: fetch and WebCrypto only, no Node imports.
export { PAYSTACK_API_URL, type PaymentProvider, PaystackClient, type PaystackClientOptions } from "./client.ts";
export { PaymentError, PaymentRejectedError, PaymentResponseError, PaymentUnavailableError } from "./errors.ts";
export {
	amountMinor,
	type Bank,
	BankListEnvelope,
	BankWire,
	CustomerWire,
	currencyCode,
	ErrorEnvelope,
	envelope,
	InitializeData,
	type InitializedTransaction,
	InitializeRequestWire,
	InitializeTransactionInput,
	InitiateTransferInput,
	ListQuery,
	listEnvelope,
	type Page,
	PageMeta,
	REFUND_STATUSES,
	RecipientRequestWire,
	RecipientWire,
	type Refund,
	RefundInput,
	RefundRequestWire,
	RefundStatus,
	RefundWire,
	type ResolvedAccount,
	ResolvedAccountWire,
	TRANSACTION_STATUSES,
	TRANSFER_STATUSES,
	type Transaction,
	TransactionStatus,
	TransactionWire,
	type Transfer,
	type TransferRecipient,
	TransferRecipientInput,
	TransferRequestWire,
	TransferStatus,
	TransferWire,
	transactionReference,
	transferReference,
} from "./schemas.ts";
export {
	AnyPaystackEvent,
	ChargeSuccessEvent,
	PAYSTACK_EVENTS,
	PAYSTACK_SIGNATURE_HEADER,
	type PaystackEventReading,
	type PaystackEventType,
	type PaystackWebhookEvent,
	type PaystackWebhookReading,
	parsePaystackEvent,
	type RawBody,
	REFUND_EVENTS,
	RefundEvent,
	readPaystackWebhook,
	signPaystackBody,
	TRANSFER_EVENTS,
	TransferEvent,
	verifyPaystackSignature,
} from "./webhook.ts";
