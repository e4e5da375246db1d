import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStoreAccount, readBalance } from "../src/accounts.ts";
import {
	type EntryDraft,
	payoutCompletedEntry,
	payoutEntry,
	payoutReturnedEntry,
	podFeeEntry,
	refundCompletedEntry,
	refundEntry,
	refundReturnedEntry,
	saleEntry,
	settlementEntry,
	unbalancedCurrencies,
} from "../src/entries.ts";
import { minMinor } from "../src/fees.ts";

const m = { storeId: "st_1", currency: "NGN" };
const amount = fc.bigInt({ min: 1n, max: 1_000_000_000_000_000n });

function wellFormed(entry: EntryDraft): void {
	expect(unbalancedCurrencies(entry)).toEqual([]);
	expect(entry.postings.length).toBeGreaterThanOrEqual(2);
	for (const p of entry.postings) {
		expect(p.amountMinor).not.toBe(0n);
		expect(p.storeId).toBe(isStoreAccount(p.account) ? "st_1" : null);
	}
}

describe("journal entries", () => {
	it("a sale: Paystack's money less its fee, the merchant's share pending, Oja's fee earned", () => {
		const entry = saleEntry({
			...m,
			orderId: "ord_1",
			reference: "ref_1",
			amountMinor: 1_000_000n,
			feeMinor: 25_000n,
			providerFeeMinor: 25_000n,
		});
		wellFormed(entry);
		expect(entry.externalRef).toBe("paystack:charge:ref_1");
		const sum = (account: string) => entry.postings.filter((p) => p.account === account).reduce((s, p) => s + p.amountMinor, 0n);
		expect(readBalance("pending", sum("pending"))).toBe(975_000n);
		expect(readBalance("fee_revenue", sum("fee_revenue"))).toBe(25_000n);
		expect(readBalance("paystack_clearing", sum("paystack_clearing"))).toBe(975_000n);
		expect(readBalance("provider_fees", sum("provider_fees"))).toBe(25_000n);
	});

	it("every kind balances and leaves out zero postings, for any amounts", () => {
		fc.assert(
			fc.property(amount, fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 10n ** 15n }), (a, x, y) => {
				const fee = x % (a + 1n);
				const providerFee = y % (a + 1n);
				wellFormed(
					saleEntry({ ...m, orderId: "o", reference: "r", amountMinor: a, feeMinor: fee, providerFeeMinor: providerFee }),
				);
				const pod = podFeeEntry({ ...m, orderId: "o", feeMinor: fee });
				if (fee === 0n) expect(pod).toBeNull();
				else wellFormed(pod as EntryDraft);
				const settled = settlementEntry({ ...m, orderId: "o", amountMinor: a, receivableMinor: x });
				wellFormed(settled);
				// Netting never takes more than is settled or than is owed.
				const netted = -(settled.postings.find((p) => p.account === "fees_receivable")?.amountMinor ?? 0n);
				expect(netted).toBe(minMinor(x, a));
				for (const entry of [
					payoutEntry({ ...m, payoutId: "p", amountMinor: a }),
					payoutCompletedEntry({ ...m, payoutId: "p", amountMinor: a }),
					payoutReturnedEntry({ ...m, payoutId: "p", amountMinor: a }),
					refundEntry({ ...m, orderId: "o", refundId: "f", amountMinor: a, from: "pending" }),
					refundEntry({ ...m, orderId: "o", refundId: "f", amountMinor: a, from: "available" }),
					refundCompletedEntry({ ...m, orderId: "o", refundId: "f", amountMinor: a }),
					refundReturnedEntry({ ...m, orderId: "o", refundId: "f", amountMinor: a, to: "available" }),
				])
					wellFormed(entry);
			}),
			{ numRuns: 500 },
		);
	});

	it("refuses impossible amounts instead of posting them", () => {
		expect(() => saleEntry({ ...m, orderId: "o", reference: "r", amountMinor: 0n, feeMinor: 0n, providerFeeMinor: 0n })).toThrow(
			RangeError,
		);
		expect(() =>
			saleEntry({ ...m, orderId: "o", reference: "r", amountMinor: 10n, feeMinor: 11n, providerFeeMinor: 0n }),
		).toThrow(RangeError);
		expect(() => payoutEntry({ ...m, payoutId: "p", amountMinor: -5n })).toThrow(RangeError);
		expect(() => settlementEntry({ ...m, orderId: "o", amountMinor: 5n, receivableMinor: -1n })).toThrow(RangeError);
	});

	it("names each entry so a replay collides with the first", () => {
		const refs = [
			saleEntry({ ...m, orderId: "o", reference: "r", amountMinor: 5n, feeMinor: 0n, providerFeeMinor: 0n }),
			settlementEntry({ ...m, orderId: "o", amountMinor: 5n, receivableMinor: 0n }),
			payoutEntry({ ...m, payoutId: "p", amountMinor: 5n }),
			payoutCompletedEntry({ ...m, payoutId: "p", amountMinor: 5n }),
			payoutReturnedEntry({ ...m, payoutId: "p", amountMinor: 5n }),
			refundEntry({ ...m, orderId: "o", refundId: "f", amountMinor: 5n, from: "available" }),
			refundCompletedEntry({ ...m, orderId: "o", refundId: "f", amountMinor: 5n }),
			refundReturnedEntry({ ...m, orderId: "o", refundId: "f", amountMinor: 5n, to: "available" }),
		].map((e) => e.externalRef);
		expect(new Set(refs).size).toBe(refs.length);
	});
});
