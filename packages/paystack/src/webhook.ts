import { bytesOf, hexToBytes, hmacKey, type RawBody, toHex } from "@oja/hmac";
import { z } from "zod";
import { amountMinor, currencyCode, TransactionWire, TransferWire } from "./schemas.ts";

// Paystack POSTs events to the URL set on the dashboard, signed with
// `x-paystack-signature: hex(HMAC-SHA512(raw body, secret key))`. Nothing in an event is
// believed until that checks out, and it covers the exact bytes received: verify before
// parsing, and never verify a re-serialised body (JSON.stringify(JSON.parse(raw)) differs).

export const PAYSTACK_SIGNATURE_HEADER = "x-paystack-signature";

export type { RawBody };

/** 64 bytes of SHA-512 MAC, as hex. */
const HEX_SHA512 = /^[0-9a-f]{128}$/;

function secretKeyFor(secretKey: string, usage: "sign" | "verify") {
	if (secretKey.length === 0) throw new Error("Paystack secret key is empty: refusing to sign or verify with it");
	return hmacKey(secretKey, "SHA-512", usage);
}

/** The `x-paystack-signature` for a body, as Paystack computes it (the sandbox and tests sign with it). */
export async function signPaystackBody(rawBody: RawBody, secretKey: string): Promise<string> {
	return toHex(await crypto.subtle.sign("HMAC", await secretKeyFor(secretKey, "sign"), bytesOf(rawBody)));
}

/**
 * True when `signatureHeader` is the HMAC-SHA512 of `rawBody` under `secretKey`. The MAC is
 * checked with crypto.subtle.verify, which compares in constant time, so answer timing says
 * nothing about the expected value. A header of the wrong length or alphabet is refused
 * before any comparison (its length is public anyway). Throws on an empty key: a
 * misconfigured Worker must fail loudly, not accept everything.
 */
export async function verifyPaystackSignature(
	rawBody: RawBody,
	signatureHeader: string | null,
	secretKey: string,
): Promise<boolean> {
	const key = await secretKeyFor(secretKey, "verify");
	const given = signatureHeader?.trim().toLowerCase() ?? "";
	if (!HEX_SHA512.test(given)) return false;
	return crypto.subtle.verify("HMAC", key, hexToBytes(given), bytesOf(rawBody));
}

// ── Events Oja handles ───────────────────────────────────────────────────────

/** A payment went through: the data is the transaction (as from verify). */
export const ChargeSuccessEvent = z.object({
	event: z.literal("charge.success"),
	data: TransactionWire.extend({ status: z.literal("success") }),
});
export type ChargeSuccessEvent = z.infer<typeof ChargeSuccessEvent>;

export const TRANSFER_EVENTS = ["transfer.success", "transfer.failed", "transfer.reversed"] as const;
/** A payout settled, failed, or came back: the data is the transfer, recipient included. */
export const TransferEvent = z.object({
	event: z.enum(TRANSFER_EVENTS),
	data: TransferWire,
});
export type TransferEvent = z.infer<typeof TransferEvent>;

export const REFUND_EVENTS = ["refund.processed", "refund.failed"] as const;
/** A refund reached the customer or failed. Paystack sends the amount as a number or a digit string. */
export const RefundEvent = z.object({
	event: z.enum(REFUND_EVENTS),
	data: z.object({
		status: z.string().max(40),
		transaction_reference: z.string().min(1).max(200),
		refund_reference: z.string().max(200).nullish(),
		amount: amountMinor,
		currency: currencyCode,
		processor: z.string().max(100).nullish(),
		customer: z
			.object({ email: z.string().max(320).nullish() })
			.partial()
			.nullish(),
		domain: z.string().max(10).optional(),
		id: z.union([z.number().int(), z.string()]).optional(),
	}),
});
export type RefundEvent = z.infer<typeof RefundEvent>;

export const PAYSTACK_EVENTS = ["charge.success", ...TRANSFER_EVENTS, ...REFUND_EVENTS] as const;
export type PaystackEventType = (typeof PAYSTACK_EVENTS)[number];
export type PaystackWebhookEvent = ChargeSuccessEvent | TransferEvent | RefundEvent;

/** Any event, read loosely: Paystack sends many kinds Oja does not handle (subscription.*, invoice.*, …). */
export const AnyPaystackEvent = z.object({ event: z.string().min(1).max(100), data: z.unknown() });

const KNOWN: Record<PaystackEventType, z.ZodType<PaystackWebhookEvent>> = {
	"charge.success": ChargeSuccessEvent,
	"transfer.success": TransferEvent,
	"transfer.failed": TransferEvent,
	"transfer.reversed": TransferEvent,
	"refund.processed": RefundEvent,
	"refund.failed": RefundEvent,
};

const isKnown = (event: string): event is PaystackEventType => Object.hasOwn(KNOWN, event);

export type PaystackEventReading =
	| { ok: true; known: true; event: PaystackWebhookEvent }
	/** Signed and well-formed, but an event Oja does not handle: acknowledge (2xx) and drop. */
	| { ok: true; known: false; type: string }
	| { ok: false; reason: "malformed" };

/** Parses a verified event: strictly for the kinds Oja handles, loosely (name only) for the rest. */
export function parsePaystackEvent(json: unknown): PaystackEventReading {
	const loose = AnyPaystackEvent.safeParse(json);
	if (!loose.success) return { ok: false, reason: "malformed" };
	const type = loose.data.event;
	if (!isKnown(type)) return { ok: true, known: false, type };
	const strict = KNOWN[type].safeParse(json);
	return strict.success ? { ok: true, known: true, event: strict.data } : { ok: false, reason: "malformed" };
}

export type PaystackWebhookReading = PaystackEventReading | { ok: false; reason: "signature" };

/**
 * Verifies, then parses, a webhook. `signature` → answer 401; `malformed` (signed, but not
 * what Paystack documents) → 400 and log it; `known: false` → 200 and ignore.
 */
export async function readPaystackWebhook(
	rawBody: RawBody,
	signatureHeader: string | null,
	secretKey: string,
): Promise<PaystackWebhookReading> {
	if (!(await verifyPaystackSignature(rawBody, signatureHeader, secretKey))) return { ok: false, reason: "signature" };
	let json: unknown;
	try {
		json = JSON.parse(typeof rawBody === "string" ? rawBody : new TextDecoder().decode(rawBody));
	} catch {
		return { ok: false, reason: "malformed" };
	}
	return parsePaystackEvent(json);
}
