import { z } from "zod";
import { currency, isoDateTime } from "./fields.ts";

// The merchant's view of the ledger (docs/ledger.md): balances read on each account's normal
// side, entries with the store's own postings (signed: debit positive, credit negative).
// Amounts are integers in minor units; sums are computed as bigint and checked to be exact
// JSON numbers before they leave the ledger Worker.

const minorAmount = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const StoreBalance = z.object({
	currency,
	pendingMinor: minorAmount.describe("Paid online, not yet settled"),
	availableMinor: minorAmount.describe("Settled: can be paid out"),
	inTransitMinor: minorAmount.describe("Payouts asked for, not yet confirmed"),
	feesOwedMinor: minorAmount.describe("Platform fees on pay-on-delivery orders, netted from the next settlements"),
});
export type StoreBalance = z.infer<typeof StoreBalance>;

export const LEDGER_ENTRY_KINDS = [
	"sale",
	"pod_fee",
	"settlement",
	"payout",
	"payout_completed",
	"payout_returned",
	"refund",
	"refund_completed",
	"refund_returned",
] as const;

export const LedgerPosting = z.object({
	account: z.enum(["pending", "available", "payouts_in_transit", "fees_receivable"]),
	currency,
	amountMinor: minorAmount.describe("Signed: a debit is positive, a credit negative"),
});

export const LedgerEntry = z.object({
	id: z.string(),
	kind: z.enum(LEDGER_ENTRY_KINDS),
	orderId: z.string().nullable(),
	subjectId: z.string().nullable().describe("The payout or refund the entry belongs to"),
	description: z.string(),
	postedAt: isoDateTime,
	postings: z.array(LedgerPosting),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const LedgerQuery = z.object({
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(50),
	kind: z.enum(LEDGER_ENTRY_KINDS).optional(),
	orderId: z
		.string()
		.regex(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/)
		.optional(),
	from: isoDateTime.optional(),
	to: isoDateTime.optional(),
});
export type LedgerQuery = z.infer<typeof LedgerQuery>;

export const LedgerPage = z.object({ items: z.array(LedgerEntry), nextCursor: z.string().nullable() });
export type LedgerPage = z.infer<typeof LedgerPage>;
