// Oja's chart of accounts (docs/ledger.md). Amounts on postings are signed: a debit is
// positive, a credit negative, so every entry's postings sum to zero per currency. An
// account's *balance* is the sum of its postings; what a merchant or operator reads is that
// sum turned to the account's normal side (a liability's credit balance reads as positive).

/** Accounts each store has, one per currency. */
export const STORE_ACCOUNTS = {
	/** Sales paid online, owed to the merchant, not yet settled (liability). */
	pending: "credit",
	/** Settled and payable to the merchant (liability). Never below zero. */
	available: "credit",
	/** Payouts asked for and not yet confirmed by the bank transfer (liability). */
	payouts_in_transit: "credit",
	/**
	 * Platform fees on pay-on-delivery orders: the cash went to the merchant, so the merchant
	 * owes the fee (asset). Netted from later settlements; never below zero.
	 */
	fees_receivable: "debit",
} as const;

/** Accounts of the platform itself, one per currency. */
export const PLATFORM_ACCOUNTS = {
	/** Money held for Oja at Paystack: charges in, transfers and refunds out (asset). */
	paystack_clearing: "debit",
	/** Oja's platform fees (income). */
	fee_revenue: "credit",
	/** What Paystack charged Oja for processing (expense). */
	provider_fees: "debit",
	/** Refunds sent to Paystack and not yet confirmed processed (liability). */
	refunds_clearing: "credit",
} as const;

export type StoreAccount = keyof typeof STORE_ACCOUNTS;
export type PlatformAccount = keyof typeof PLATFORM_ACCOUNTS;
export type Account = StoreAccount | PlatformAccount;

export const isStoreAccount = (account: Account): account is StoreAccount => account in STORE_ACCOUNTS;

/** The side an account normally carries its balance on. */
export function normalSide(account: Account): "debit" | "credit" {
	return isStoreAccount(account) ? STORE_ACCOUNTS[account] : PLATFORM_ACCOUNTS[account];
}

/** A balance (sum of signed postings) as read on the account's normal side. */
export function readBalance(account: Account, sum: bigint): bigint {
	return normalSide(account) === "debit" ? sum : -sum;
}
