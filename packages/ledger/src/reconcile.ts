/**
 * Reconciliation: what the ledger says happened with the payment provider's money, against
 * what the provider says, one object at a time (matched by Oja's reference). Pure: the job
 * that gathers both sides for a period, and records what this returns, lives in the payments
 * Worker (reconciliation.ts).
 *
 * Only money is compared. A payment nobody paid, on both sides, is not a difference; a payout
 * Oja has not handed to the provider yet is in progress, not missing.
 */

export type ReconciledObject = "charge" | "transfer";

export type DifferenceType =
	/** The provider moved money the ledger does not show. */
	| "missing_in_ledger"
	/** The ledger shows money the provider has no record of. */
	| "missing_at_provider"
	| "amount_mismatch"
	| "currency_mismatch"
	/** Both sides know it, but disagree on whether (or where) the money moved. */
	| "status_mismatch";

/** Oja's side of a charge: the payment row and, when posted, its sale entry. */
export interface LedgerCharge {
	reference: string;
	storeId: string;
	/** The payment row's status (`paid`, `review`, …). */
	paymentStatus: string;
	/** The sale entry's gross (what Paystack holds plus its fee); null when nothing was posted. */
	postedAmountMinor: bigint | null;
	postedCurrency: string | null;
	/** Refunds the provider completed (refund_completed entries), in the posted currency. */
	refundedMinor: bigint;
	/** What the order asked for, to explain a payment under review. */
	expectedAmountMinor: bigint;
	expectedCurrency: string;
}

/** Oja's side of a payout: the payout row and which of its ledger entries exist. */
export interface LedgerTransfer {
	reference: string;
	storeId: string;
	/** The payout row's status (`pending` until the provider accepted it). */
	payoutStatus: string;
	/** The payout entry's amount (available → in transit); null when not posted. */
	postedAmountMinor: bigint | null;
	currency: string;
	completed: boolean;
	returned: boolean;
}

export interface ProviderObject {
	reference: string;
	/** The provider's id, for an operator looking it up in the provider's dashboard. */
	providerId: string;
	status: string;
	amountMinor: bigint;
	currency: string;
}

export interface Difference {
	object: ReconciledObject;
	reference: string;
	storeId: string | null;
	type: DifferenceType;
	ledgerAmountMinor: bigint | null;
	providerAmountMinor: bigint | null;
	ledgerCurrency: string | null;
	providerCurrency: string | null;
	/** Oja's status (the payment's or payout's, with what the ledger shows), and the provider's. */
	ledgerStatus: string | null;
	providerStatus: string | null;
	providerId: string | null;
	detail: string;
}

/** A charge the provider reports as money received. */
const chargeSucceeded = (status: string) => status === "success";

function difference(
	d: Omit<Difference, "ledgerAmountMinor" | "providerAmountMinor" | "ledgerCurrency" | "providerCurrency"> & Partial<Difference>,
): Difference {
	return {
		ledgerAmountMinor: null,
		providerAmountMinor: null,
		ledgerCurrency: null,
		providerCurrency: null,
		...d,
	};
}

function byReference<T extends { reference: string }>(items: readonly T[], what: string): Map<string, T> {
	const map = new Map<string, T>();
	for (const item of items) {
		if (map.has(item.reference)) throw new RangeError(`${what}: reference ${item.reference} appears twice`);
		map.set(item.reference, item);
	}
	return map;
}

/**
 * Every difference between Oja's charges and the provider's transactions. `provider` holds the
 * provider's view of every reference the caller looked at (listed, or looked up one by one);
 * a reference absent from it is one the provider does not know.
 */
export function reconcileCharges(ledger: readonly LedgerCharge[], provider: readonly ProviderObject[]): Difference[] {
	const ours = byReference(ledger, "ledger charges");
	const theirs = byReference(provider, "provider transactions");
	const out: Difference[] = [];
	for (const reference of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) {
		const o = ours.get(reference);
		const t = theirs.get(reference);
		const posted = o !== undefined && o.postedAmountMinor !== null;
		// Paystack shows a fully refunded transaction as `reversed`: expected when the ledger agrees.
		const fullyRefunded = posted && o.refundedMinor >= (o.postedAmountMinor ?? 0n);
		const paid = t !== undefined && (chargeSucceeded(t.status) || (t.status === "reversed" && fullyRefunded));
		const base = {
			object: "charge" as const,
			reference,
			storeId: o?.storeId ?? null,
			ledgerStatus: o ? `${o.paymentStatus}${posted ? "" : ", not posted"}` : null,
			providerStatus: t?.status ?? null,
			providerId: t?.providerId ?? null,
			ledgerAmountMinor: o ? (o.postedAmountMinor ?? o.expectedAmountMinor) : null,
			ledgerCurrency: o ? (o.postedCurrency ?? o.expectedCurrency) : null,
			providerAmountMinor: t?.amountMinor ?? null,
			providerCurrency: t?.currency ?? null,
		};
		if (!posted && !paid) continue; // no money on either side
		if (posted && !t) {
			out.push(difference({ ...base, type: "missing_at_provider", detail: "The ledger has a sale the provider does not know." }));
		} else if (posted && !paid) {
			out.push(
				difference({
					...base,
					type: "status_mismatch",
					detail: `The ledger has a sale; the provider says the transaction is ${t?.status}.`,
				}),
			);
		} else if (!posted && t) {
			const why =
				o === undefined
					? "The provider took a payment Oja has no record of."
					: o.paymentStatus === "review"
						? "The provider took a payment that is under review in Oja (not posted)."
						: `The provider took a payment Oja has not posted (payment ${o.paymentStatus}).`;
			out.push(difference({ ...base, type: "missing_in_ledger", detail: why }));
		} else if (o && t && o.postedCurrency !== t.currency) {
			out.push(difference({ ...base, type: "currency_mismatch", detail: "The sale was posted in another currency." }));
		} else if (o && t && o.postedAmountMinor !== t.amountMinor) {
			out.push(difference({ ...base, type: "amount_mismatch", detail: "The sale was posted for another amount." }));
		}
	}
	return out;
}

/** Where the ledger says a payout's money is, as the provider's transfer statuses name it. */
function ledgerTransferState(o: LedgerTransfer): "not_sent" | "in_transit" | "completed" | "returned" {
	if (o.returned) return "returned";
	if (o.completed) return "completed";
	if (o.payoutStatus === "pending") return "not_sent";
	return "in_transit";
}

function providerTransferState(status: string): "in_transit" | "completed" | "returned" {
	if (status === "success") return "completed";
	if (status === "failed" || status === "reversed") return "returned";
	return "in_transit"; // pending, otp, received, queued, processing
}

/** Every difference between Oja's payouts and the provider's transfers (see reconcileCharges). */
export function reconcileTransfers(ledger: readonly LedgerTransfer[], provider: readonly ProviderObject[]): Difference[] {
	const ours = byReference(ledger, "ledger transfers");
	const theirs = byReference(provider, "provider transfers");
	const out: Difference[] = [];
	for (const reference of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) {
		const o = ours.get(reference);
		const t = theirs.get(reference);
		const state = o ? ledgerTransferState(o) : null;
		const base = {
			object: "transfer" as const,
			reference,
			storeId: o?.storeId ?? null,
			ledgerStatus: o ? `${o.payoutStatus}, ledger ${state}` : null,
			providerStatus: t?.status ?? null,
			providerId: t?.providerId ?? null,
			ledgerAmountMinor: o?.postedAmountMinor ?? null,
			ledgerCurrency: o?.currency ?? null,
			providerAmountMinor: t?.amountMinor ?? null,
			providerCurrency: t?.currency ?? null,
		};
		if (!o || o.postedAmountMinor === null) {
			if (t) {
				out.push(
					difference({ ...base, type: "missing_in_ledger", detail: "The provider has a transfer Oja has no payout for." }),
				);
			}
			continue;
		}
		if (!t) {
			// A payout not handed over yet is in progress (the payments cron retries it); one Paystack
			// refused outright was returned without a transfer ever existing: neither is missing.
			const refusedOutright = state === "returned" && !o.completed;
			if (state !== "not_sent" && !refusedOutright) {
				out.push(
					difference({
						...base,
						type: "missing_at_provider",
						detail: "The ledger has a payout the provider has no transfer for.",
					}),
				);
			}
			continue;
		}
		if (o.currency !== t.currency) {
			out.push(difference({ ...base, type: "currency_mismatch", detail: "The transfer is in another currency." }));
		} else if (o.postedAmountMinor !== t.amountMinor) {
			out.push(difference({ ...base, type: "amount_mismatch", detail: "The transfer is for another amount." }));
		} else if (state !== providerTransferState(t.status) && state !== "not_sent") {
			out.push(
				difference({
					...base,
					type: "status_mismatch",
					detail: `The ledger has the payout ${state}; the provider says ${t.status}.`,
				}),
			);
		} else if (state === "not_sent" && providerTransferState(t.status) !== "in_transit") {
			// Oja never recorded the provider's acceptance, yet the transfer already ended.
			out.push(
				difference({
					...base,
					type: "status_mismatch",
					detail: `Oja has the payout waiting to be sent; the provider says ${t.status}.`,
				}),
			);
		}
	}
	return out;
}
