import { z } from "zod";
import { currency, isoDateTime, prefixedId } from "./fields.ts";
import { StoreIdParam } from "./stores.ts";

// Payouts (the payments Worker): a merchant's bank accounts, resolved and registered with
// Paystack, and withdrawals of `available` money to them by transfer. The full account number
// is accepted once and never returned or stored: only its last 4 digits.

/** A Nigerian bank (NUBAN) account to pay out to. */
export const PayoutAccountInput = z
	.object({
		bankCode: z.string().regex(/^\d{3,6}$/, { message: "A bank code is 3 to 6 digits (GET it from Paystack's bank list)" }),
		accountNumber: z.string().regex(/^\d{10}$/, { message: "A NUBAN account number is 10 digits" }),
	})
	.strict();
export type PayoutAccountInput = z.infer<typeof PayoutAccountInput>;

export const PayoutAccount = z.object({
	id: z.string(),
	bankCode: z.string(),
	bankName: z.string().nullable(),
	accountName: z.string().describe("The name the bank holds for the account (resolved by Paystack)"),
	accountNumberLast4: z.string().describe("Only the last 4 digits are kept"),
	currency,
	createdAt: isoDateTime,
});
export type PayoutAccount = z.infer<typeof PayoutAccount>;

export const PayoutAccountList = z.object({ items: z.array(PayoutAccount) });
export type PayoutAccountList = z.infer<typeof PayoutAccountList>;

/** Paystack's own floor for a transfer is ₦100 (10,000 kobo); amounts are minor units. */
export const MIN_PAYOUT_MINOR = 10_000;

export const PayoutInput = z
	.object({
		amountMinor: z
			.number()
			.int()
			.min(MIN_PAYOUT_MINOR, { message: `At least ${MIN_PAYOUT_MINOR} minor units` })
			.max(Number.MAX_SAFE_INTEGER),
		payoutAccountId: prefixedId("pac"),
	})
	.strict();
export type PayoutInput = z.infer<typeof PayoutInput>;

export const PAYOUT_STATUSES = ["pending", "processing", "paid", "failed", "reversed"] as const;
export const PayoutStatus = z.enum(PAYOUT_STATUSES);
export type PayoutStatus = z.infer<typeof PayoutStatus>;

export const Payout = z.object({
	id: z.string(),
	payoutAccountId: z.string(),
	amountMinor: z.number().int(),
	currency,
	status: PayoutStatus.describe(
		"pending: accepted, transfer not yet started (retried); processing: transfer under way; paid; failed or reversed: the money is available again",
	),
	reference: z.string().describe("The transfer reference at Paystack"),
	transferCode: z.string().nullable(),
	failureReason: z.string().nullable(),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
	completedAt: isoDateTime.nullable(),
});
export type Payout = z.infer<typeof Payout>;

export const PayoutListQuery = z.object({
	cursor: prefixedId("po").optional(),
	limit: z.coerce.number().int().min(1).max(100).default(50),
	status: PayoutStatus.optional(),
});
export type PayoutListQuery = z.infer<typeof PayoutListQuery>;

export const PayoutList = z.object({ items: z.array(Payout), nextCursor: z.string().nullable() });
export type PayoutList = z.infer<typeof PayoutList>;

export const PayoutParams = StoreIdParam.extend({ payoutId: prefixedId("po") });

/** What requestPayout answers: the payout, and whether it was an Idempotency-Key replay. */
export interface PayoutRequested {
	payout: Payout;
	replayed: boolean;
}
