import { z } from "zod";

// Paystack's wire format (snake_case, `{status, message, data}` envelopes) and the
// provider-neutral shapes PaymentProvider returns (camelCase, money as integer minor units).
// The client parses every response with the wire schemas and maps it to the neutral shape;
// the sandbox parses every request with the request schemas here.

/** Paystack's ceiling is far below this; the point is that every amount stays an exact integer. */
const MAX_AMOUNT_MINOR = Number.MAX_SAFE_INTEGER;

/**
 * An amount in minor units (kobo, pesewas, cents). Paystack sends integers, but some payloads
 * (refund events, for one) carry them as digit strings: both are read, floats and signs never.
 */
export const amountMinor = z.union([
	z.number().int().nonnegative().max(MAX_AMOUNT_MINOR),
	z
		.string()
		.regex(/^\d{1,15}$/, { message: "Expected an integer amount in minor units" })
		.transform(Number),
]);

export const currencyCode = z.string().regex(/^[A-Z]{3}$/, { message: "Expected an ISO 4217 currency code" });

/**
 * A transaction reference: Paystack allows letters, digits and `-`, `.`, `=`, `_`, so Oja's
 * ids (`ord_01HX…`) can be used as they are.
 */
export const transactionReference = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[A-Za-z0-9._=-]+$/, { message: "Use letters, digits, -, ., = and _ only" });

/**
 * A transfer reference: Paystack asks for lowercase letters, digits, `-` and `_` (lowercase
 * an Oja id first; ULIDs are case-insensitive, so it stays unique).
 */
export const transferReference = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[a-z0-9_-]+$/, { message: "Use lowercase letters, digits, - and _ only" });

/** Paystack sends `metadata` as an object, or as "", 0 or null when there is none. */
const looseMetadata = z
	.unknown()
	.transform((value): Record<string, unknown> | null =>
		value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null,
	);

const timestamp = z.string().min(1).max(40);
/** Numeric ids on the wire (transactions, transfers, refunds); strings in the neutral shapes. */
const numericId = z.number().int().nonnegative();

// ── Envelopes ────────────────────────────────────────────────────────────────

/** Every 2xx answer: `{status: true, message, data}`. */
export const envelope = <T extends z.ZodType>(data: T) =>
	z.object({ status: z.literal(true), message: z.string().max(2000), data });

/** Page numbers on lists (`GET /transaction`, `GET /transfer`). */
export const PageMeta = z.object({
	total: z.number().int().nonnegative(),
	skipped: z.number().int().nonnegative().optional(),
	perPage: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
	page: z.number().int().positive(),
	pageCount: z.number().int().nonnegative(),
});
export type PageMeta = z.infer<typeof PageMeta>;

export const listEnvelope = <T extends z.ZodType>(item: T) =>
	z.object({ status: z.literal(true), message: z.string().max(2000), data: z.array(item), meta: PageMeta });

/** Every error: `{status: false, message}` (newer answers add `type`, `code`, `meta.nextStep`). */
export const ErrorEnvelope = z.object({
	status: z.literal(false),
	message: z.string().max(2000),
	type: z.string().max(100).optional(),
	code: z.string().max(100).optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

// ── Transactions ─────────────────────────────────────────────────────────────

export const TRANSACTION_STATUSES = [
	"success",
	"failed",
	"abandoned",
	"ongoing",
	"pending",
	"processing",
	"queued",
	"reversed",
] as const;
export const TransactionStatus = z.enum(TRANSACTION_STATUSES);
export type TransactionStatus = z.infer<typeof TransactionStatus>;

export const InitializeRequestWire = z.object({
	email: z.email().max(320),
	// Paystack takes a string or a number; we always send the integer.
	amount: amountMinor.pipe(z.number().int().positive()),
	currency: currencyCode.optional(),
	reference: transactionReference.optional(),
	callback_url: z
		.url({ protocol: /^https?$/ })
		.max(2000)
		.optional(),
	metadata: z.record(z.string(), z.unknown()).optional(),
	channels: z.array(z.string().max(40)).max(10).optional(),
});
export type InitializeRequestWire = z.infer<typeof InitializeRequestWire>;

export const InitializeData = z.object({
	authorization_url: z.url(),
	access_code: z.string().min(1).max(200),
	reference: z.string().min(1).max(200),
});

export const CustomerWire = z.object({
	id: numericId.optional(),
	email: z.string().max(320),
	first_name: z.string().max(200).nullish(),
	last_name: z.string().max(200).nullish(),
	customer_code: z.string().max(100).optional(),
	phone: z.string().max(40).nullish(),
});

export const TransactionWire = z.object({
	id: numericId,
	domain: z.string().max(10).optional(),
	status: TransactionStatus,
	reference: z.string().min(1).max(200),
	amount: amountMinor,
	currency: currencyCode,
	paid_at: timestamp.nullish(),
	created_at: timestamp.nullish(),
	channel: z.string().max(40).nullish(),
	gateway_response: z.string().max(500).nullish(),
	fees: amountMinor.nullish(),
	metadata: looseMetadata.optional(),
	customer: CustomerWire.partial({ email: true }).nullish(),
});
export type TransactionWire = z.infer<typeof TransactionWire>;

// ── Refunds ──────────────────────────────────────────────────────────────────

export const REFUND_STATUSES = ["pending", "processing", "processed", "failed", "needs-attention"] as const;
export const RefundStatus = z.enum(REFUND_STATUSES);
export type RefundStatus = z.infer<typeof RefundStatus>;

export const RefundRequestWire = z.object({
	/** The transaction's reference, or its numeric id as a string. */
	transaction: z.union([z.string().min(1).max(200), numericId.transform(String)]),
	amount: amountMinor.pipe(z.number().int().positive()).optional(),
	currency: currencyCode.optional(),
	customer_note: z.string().max(500).optional(),
	merchant_note: z.string().max(500).optional(),
});
export type RefundRequestWire = z.infer<typeof RefundRequestWire>;

export const RefundWire = z.object({
	id: numericId,
	transaction: z.union([
		z.object({ id: numericId, reference: z.string().max(200) }),
		// Some answers give the transaction's id alone.
		numericId.transform((id) => ({ id, reference: null })),
	]),
	amount: amountMinor,
	currency: currencyCode,
	status: RefundStatus,
	deducted_amount: amountMinor.nullish(),
	customer_note: z.string().max(500).nullish(),
	merchant_note: z.string().max(500).nullish(),
	createdAt: timestamp.nullish(),
	expected_at: timestamp.nullish(),
});
export type RefundWire = z.infer<typeof RefundWire>;

// ── Banks, recipients, transfers ─────────────────────────────────────────────

export const BankWire = z.object({
	id: numericId,
	name: z.string().min(1).max(200),
	slug: z.string().max(200),
	code: z.string().min(1).max(20),
	longcode: z.string().max(40).nullish(),
	country: z.string().max(40),
	currency: currencyCode,
	type: z.string().max(40).nullish(),
	active: z.boolean(),
	is_deleted: z.boolean().nullish(),
});

/** `GET /bank` pages by cursor, not by number. */
export const BankListEnvelope = z.object({
	status: z.literal(true),
	message: z.string().max(2000),
	data: z.array(BankWire),
	meta: z.object({ next: z.string().nullable(), previous: z.string().nullable(), perPage: z.number().int() }).optional(),
});

export const ResolvedAccountWire = z.object({
	account_number: z.string().regex(/^\d{10}$/),
	account_name: z.string().min(1).max(200),
	bank_id: numericId.optional(),
});

export const RecipientRequestWire = z.object({
	type: z.literal("nuban"),
	name: z.string().trim().min(1).max(200),
	account_number: z.string().regex(/^\d{10}$/, { message: "A NUBAN is 10 digits" }),
	bank_code: z.string().regex(/^\d{3,6}$/),
	currency: currencyCode.optional(),
	description: z.string().max(500).optional(),
	metadata: z.record(z.string(), z.unknown()).optional(),
});
export type RecipientRequestWire = z.infer<typeof RecipientRequestWire>;

export const RecipientWire = z.object({
	id: numericId,
	recipient_code: z.string().min(1).max(100),
	type: z.string().max(40),
	name: z.string().max(200),
	currency: currencyCode,
	active: z.boolean().optional(),
	details: z.object({
		account_number: z.string().max(20).nullish(),
		account_name: z.string().max(200).nullish(),
		bank_code: z.string().max(20).nullish(),
		bank_name: z.string().max(200).nullish(),
	}),
});

export const TRANSFER_STATUSES = [
	"pending",
	"success",
	"failed",
	"reversed",
	"otp",
	"abandoned",
	"blocked",
	"rejected",
	"received",
] as const;
export const TransferStatus = z.enum(TRANSFER_STATUSES);
export type TransferStatus = z.infer<typeof TransferStatus>;

export const TransferRequestWire = z.object({
	source: z.literal("balance"),
	amount: amountMinor.pipe(z.number().int().positive()),
	recipient: z.string().min(1).max(100),
	reference: transferReference,
	reason: z.string().max(500).optional(),
	currency: currencyCode.optional(),
});
export type TransferRequestWire = z.infer<typeof TransferRequestWire>;

export const TransferWire = z.object({
	id: numericId,
	transfer_code: z.string().min(1).max(100),
	reference: z.string().min(1).max(200),
	status: TransferStatus,
	amount: amountMinor,
	currency: currencyCode,
	reason: z.string().max(500).nullish(),
	// The initiate answer gives the recipient's numeric id; lists give the recipient object.
	recipient: z.union([numericId, RecipientWire.pick({ id: true, recipient_code: true })]).nullish(),
	transferred_at: timestamp.nullish(),
	createdAt: timestamp.nullish(),
	created_at: timestamp.nullish(),
});
export type TransferWire = z.infer<typeof TransferWire>;

// ── Provider-neutral shapes ──────────────────────────────────────────────────

export interface InitializeTransactionInput {
	/** In minor units of `currency` (kobo for NGN). */
	amountMinor: number;
	currency: string;
	email: string;
	/** Ours, unique per payment attempt: Paystack refuses a reference it has seen. */
	reference: string;
	callbackUrl: string;
	/** Kept with the transaction and echoed in webhooks: store and order ids, the store's name. */
	metadata?: Record<string, unknown>;
}
export const InitializeTransactionInput = z.object({
	amountMinor: z.number().int().positive().max(MAX_AMOUNT_MINOR),
	currency: currencyCode,
	email: z.email().max(320),
	reference: transactionReference,
	callbackUrl: z.url({ protocol: /^https?$/ }).max(2000),
	metadata: z.record(z.string(), z.unknown()).optional(),
});

export interface InitializedTransaction {
	/** Where to send the customer to pay. */
	authorizationUrl: string;
	accessCode: string;
	reference: string;
}

export interface Transaction {
	/** The provider's id (Paystack's numeric id, as a string). */
	id: string;
	reference: string;
	status: TransactionStatus;
	amountMinor: number;
	currency: string;
	paidAt: string | null;
	channel: string | null;
	/** The provider's fee in minor units; null when it has not said. */
	feesMinor: number | null;
	metadata: Record<string, unknown> | null;
	customerEmail: string | null;
}

export interface Page<T> {
	items: T[];
	page: number;
	perPage: number;
	total: number;
	pageCount: number;
}

export interface ListQuery {
	/** ISO timestamps or dates, inclusive. */
	from?: string;
	to?: string;
	/** 1-based. Default 1. */
	page?: number;
	/** Default 50, at most 100. */
	perPage?: number;
}
export const ListQuery = z.object({
	from: z.string().min(1).max(40).optional(),
	to: z.string().min(1).max(40).optional(),
	page: z.number().int().positive().optional(),
	perPage: z.number().int().positive().max(100).optional(),
});

export interface RefundInput {
	/** The transaction's reference or id. */
	transaction: string;
	/** Omit for the whole (remaining) amount. */
	amountMinor?: number;
	reason?: string;
}
export const RefundInput = z.object({
	transaction: z.string().min(1).max(200),
	amountMinor: z.number().int().positive().max(MAX_AMOUNT_MINOR).optional(),
	reason: z.string().max(500).optional(),
});

export interface Refund {
	id: string;
	transactionId: string;
	transactionReference: string | null;
	amountMinor: number;
	currency: string;
	status: RefundStatus;
	createdAt: string | null;
}

export interface Bank {
	name: string;
	code: string;
	slug: string;
	currency: string;
	active: boolean;
}

export interface ResolvedAccount {
	accountNumber: string;
	accountName: string;
}

export interface TransferRecipientInput {
	name: string;
	accountNumber: string;
	bankCode: string;
	currency: string;
}
export const TransferRecipientInput = z.object({
	name: z.string().trim().min(1).max(200),
	accountNumber: z.string().regex(/^\d{10}$/, { message: "A NUBAN is 10 digits" }),
	bankCode: z.string().regex(/^\d{3,6}$/),
	currency: currencyCode,
});

export interface TransferRecipient {
	recipientCode: string;
	name: string;
	accountNumber: string | null;
	bankCode: string | null;
	bankName: string | null;
}

export interface InitiateTransferInput {
	amountMinor: number;
	recipientCode: string;
	/** Ours, unique per payout: the idempotency key (the same reference never pays twice). */
	reference: string;
	reason: string;
	currency?: string;
}
export const InitiateTransferInput = z.object({
	amountMinor: z.number().int().positive().max(MAX_AMOUNT_MINOR),
	recipientCode: z.string().min(1).max(100),
	reference: transferReference,
	reason: z.string().max(500),
	currency: currencyCode.optional(),
});

export interface Transfer {
	id: string;
	transferCode: string;
	reference: string;
	status: TransferStatus;
	amountMinor: number;
	currency: string;
	reason: string | null;
	recipientCode: string | null;
	transferredAt: string | null;
	createdAt: string | null;
}
