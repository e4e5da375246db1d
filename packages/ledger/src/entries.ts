import { type Account, isStoreAccount, type StoreAccount } from "./accounts.ts";
import { minMinor } from "./fees.ts";

// Journal entries for each way money moves, as drafts: the database writes them (one entry,
// its postings, in the caller's transaction) and refuses any that does not balance. Each
// entry has an external reference unique across the ledger, so processing the same webhook,
// settlement or payout twice cannot post twice. Zero amounts are left out (a posting of 0
// says nothing and the database refuses it).

export const ENTRY_KINDS = [
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
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface Posting {
	account: Account;
	/** Set for a store's accounts, null for the platform's. */
	storeId: string | null;
	currency: string;
	/** Signed minor units: debit positive, credit negative. */
	amountMinor: bigint;
}

export interface EntryDraft {
	kind: EntryKind;
	externalRef: string;
	storeId: string;
	orderId: string | null;
	/** A payout's or refund's id, when the entry belongs to one. */
	subjectId: string | null;
	description: string;
	postings: Posting[];
}

interface Money {
	storeId: string;
	currency: string;
}

function positive(amount: bigint, what: string): bigint {
	if (amount <= 0n) throw new RangeError(`${what} must be positive`);
	return amount;
}

function nonNegative(amount: bigint, what: string): bigint {
	if (amount < 0n) throw new RangeError(`${what} must not be negative`);
	return amount;
}

/** Builds postings, dropping zeros; `store` accounts get the store id, platform ones null. */
function postings(m: Money, lines: [Account, bigint][]): Posting[] {
	return lines
		.filter(([, amount]) => amount !== 0n)
		.map(([account, amountMinor]) => ({
			account,
			storeId: isStoreAccount(account) ? m.storeId : null,
			currency: m.currency,
			amountMinor,
		}));
}

/**
 * An online payment Paystack confirmed: the money (less Paystack's fee) is at Paystack, the
 * merchant is owed the total less Oja's fee (pending until settlement), Oja earns its fee and
 * bears Paystack's.
 */
export function saleEntry(
	m: Money & { orderId: string; reference: string; amountMinor: bigint; feeMinor: bigint; providerFeeMinor: bigint },
): EntryDraft {
	const amount = positive(m.amountMinor, "sale amount");
	const fee = nonNegative(m.feeMinor, "platform fee");
	const providerFee = nonNegative(m.providerFeeMinor, "provider fee");
	if (fee > amount) throw new RangeError("platform fee exceeds the sale");
	if (providerFee > amount) throw new RangeError("provider fee exceeds the sale");
	return {
		kind: "sale",
		externalRef: `paystack:charge:${m.reference}`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: null,
		description: `Payment for order ${m.orderId}`,
		postings: postings(m, [
			["paystack_clearing", amount - providerFee],
			["provider_fees", providerFee],
			["pending", -(amount - fee)],
			["fee_revenue", -fee],
		]),
	};
}

/** A pay-on-delivery order's cash was collected by the merchant, who now owes Oja its fee. */
export function podFeeEntry(m: Money & { orderId: string; feeMinor: bigint }): EntryDraft | null {
	const fee = nonNegative(m.feeMinor, "platform fee");
	if (fee === 0n) return null;
	return {
		kind: "pod_fee",
		externalRef: `pod-fee:${m.orderId}`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: null,
		description: `Platform fee on pay-on-delivery order ${m.orderId}`,
		postings: postings(m, [
			["fees_receivable", fee],
			["fee_revenue", -fee],
		]),
	};
}

/**
 * An order's pending money becomes available, less whatever the merchant owes in fees
 * (`receivableMinor`, netted here up to the amount settled).
 */
export function settlementEntry(m: Money & { orderId: string; amountMinor: bigint; receivableMinor: bigint }): EntryDraft {
	const amount = positive(m.amountMinor, "settlement amount");
	const netted = minMinor(nonNegative(m.receivableMinor, "receivable"), amount);
	return {
		kind: "settlement",
		externalRef: `settlement:${m.orderId}`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: null,
		description: `Settlement of order ${m.orderId}`,
		postings: postings(m, [
			["pending", amount],
			["available", -(amount - netted)],
			["fees_receivable", -netted],
		]),
	};
}

export function payoutEntry(m: Money & { payoutId: string; amountMinor: bigint }): EntryDraft {
	const amount = positive(m.amountMinor, "payout amount");
	return {
		kind: "payout",
		externalRef: `payout:${m.payoutId}`,
		storeId: m.storeId,
		orderId: null,
		subjectId: m.payoutId,
		description: `Payout ${m.payoutId} requested`,
		postings: postings(m, [
			["available", amount],
			["payouts_in_transit", -amount],
		]),
	};
}

/** The transfer reached the bank: the money has left Oja's Paystack balance. */
export function payoutCompletedEntry(m: Money & { payoutId: string; amountMinor: bigint }): EntryDraft {
	const amount = positive(m.amountMinor, "payout amount");
	return {
		kind: "payout_completed",
		externalRef: `payout:${m.payoutId}:completed`,
		storeId: m.storeId,
		orderId: null,
		subjectId: m.payoutId,
		description: `Payout ${m.payoutId} paid`,
		postings: postings(m, [
			["payouts_in_transit", amount],
			["paystack_clearing", -amount],
		]),
	};
}

/** The transfer failed or was reversed: the money is the merchant's to withdraw again. */
export function payoutReturnedEntry(m: Money & { payoutId: string; amountMinor: bigint }): EntryDraft {
	const amount = positive(m.amountMinor, "payout amount");
	return {
		kind: "payout_returned",
		externalRef: `payout:${m.payoutId}:returned`,
		storeId: m.storeId,
		orderId: null,
		subjectId: m.payoutId,
		description: `Payout ${m.payoutId} returned`,
		postings: postings(m, [
			["payouts_in_transit", amount],
			["available", -amount],
		]),
	};
}

/** The merchant bears a refund, from the order's unsettled money or else from available. */
export type RefundSource = Extract<StoreAccount, "pending" | "available">;

export function refundEntry(
	m: Money & { orderId: string; refundId: string; amountMinor: bigint; from: RefundSource },
): EntryDraft {
	const amount = positive(m.amountMinor, "refund amount");
	return {
		kind: "refund",
		externalRef: `refund:${m.refundId}`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: m.refundId,
		description: `Refund ${m.refundId} on order ${m.orderId}`,
		postings: postings(m, [
			[m.from, amount],
			["refunds_clearing", -amount],
		]),
	};
}

export function refundCompletedEntry(m: Money & { orderId: string; refundId: string; amountMinor: bigint }): EntryDraft {
	const amount = positive(m.amountMinor, "refund amount");
	return {
		kind: "refund_completed",
		externalRef: `refund:${m.refundId}:completed`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: m.refundId,
		description: `Refund ${m.refundId} processed`,
		postings: postings(m, [
			["refunds_clearing", amount],
			["paystack_clearing", -amount],
		]),
	};
}

/** Paystack could not refund: the money goes back where it came from. */
export function refundReturnedEntry(
	m: Money & { orderId: string; refundId: string; amountMinor: bigint; to: RefundSource },
): EntryDraft {
	const amount = positive(m.amountMinor, "refund amount");
	return {
		kind: "refund_returned",
		externalRef: `refund:${m.refundId}:returned`,
		storeId: m.storeId,
		orderId: m.orderId,
		subjectId: m.refundId,
		description: `Refund ${m.refundId} failed; returned`,
		postings: postings(m, [
			["refunds_clearing", amount],
			[m.to, -amount],
		]),
	};
}

/** Currencies whose postings do not sum to zero (empty when the entry balances). */
export function unbalancedCurrencies(entry: Pick<EntryDraft, "postings">): string[] {
	const sums = new Map<string, bigint>();
	for (const p of entry.postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amountMinor);
	return [...sums].filter(([, sum]) => sum !== 0n).map(([currency]) => currency);
}
