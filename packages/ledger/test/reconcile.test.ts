import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	type LedgerCharge,
	type LedgerTransfer,
	type ProviderObject,
	reconcileCharges,
	reconcileTransfers,
} from "../src/reconcile.ts";

const charge = (reference: string, over: Partial<LedgerCharge> = {}): LedgerCharge => ({
	reference,
	storeId: "st_1",
	paymentStatus: "paid",
	postedAmountMinor: 500_000n,
	postedCurrency: "NGN",
	refundedMinor: 0n,
	expectedAmountMinor: 500_000n,
	expectedCurrency: "NGN",
	...over,
});
const tx = (reference: string, over: Partial<ProviderObject> = {}): ProviderObject => ({
	reference,
	providerId: `id-${reference}`,
	status: "success",
	amountMinor: 500_000n,
	currency: "NGN",
	...over,
});
const payout = (reference: string, over: Partial<LedgerTransfer> = {}): LedgerTransfer => ({
	reference,
	storeId: "st_1",
	payoutStatus: "paid",
	postedAmountMinor: 200_000n,
	currency: "NGN",
	completed: true,
	returned: false,
	...over,
});

describe("reconcileCharges", () => {
	it("finds nothing when both sides agree, and nothing where no money moved", () => {
		expect(
			reconcileCharges(
				[
					charge("a"),
					charge("b", { paymentStatus: "initialized", postedAmountMinor: null, postedCurrency: null }),
					charge("c", { paymentStatus: "failed", postedAmountMinor: null, postedCurrency: null }),
				],
				[tx("a"), tx("b", { status: "abandoned" }), tx("c", { status: "failed" })],
			),
		).toEqual([]);
	});

	it("names each kind of difference once, with both sides' view", () => {
		const diffs = reconcileCharges(
			[
				charge("amount", { postedAmountMinor: 400_000n }),
				charge("currency", { postedCurrency: "GHS" }),
				charge("gone"),
				charge("failed-there"),
				charge("review", { paymentStatus: "review", postedAmountMinor: null, postedCurrency: null }),
			],
			[
				tx("amount"),
				tx("currency"),
				tx("failed-there", { status: "failed" }),
				tx("review", { amountMinor: 100n }),
				tx("stranger"),
			],
		);
		expect(diffs.map((d) => [d.reference, d.type])).toEqual([
			["amount", "amount_mismatch"],
			["currency", "currency_mismatch"],
			["failed-there", "status_mismatch"],
			["gone", "missing_at_provider"],
			["review", "missing_in_ledger"],
			["stranger", "missing_in_ledger"],
		]);
		const amount = diffs[0];
		expect(amount).toMatchObject({ ledgerAmountMinor: 400_000n, providerAmountMinor: 500_000n, storeId: "st_1" });
		expect(diffs[4]).toMatchObject({ ledgerStatus: "review, not posted", providerAmountMinor: 100n });
		expect(diffs[4]?.detail).toContain("under review");
		expect(diffs[5]).toMatchObject({ storeId: null, ledgerStatus: null, providerId: "id-stranger" });
	});

	it("accepts `reversed` only for a sale the ledger shows fully refunded", () => {
		expect(reconcileCharges([charge("r", { refundedMinor: 500_000n })], [tx("r", { status: "reversed" })])).toEqual([]);
		expect(
			reconcileCharges([charge("r", { refundedMinor: 100_000n })], [tx("r", { status: "reversed" })]).map((d) => d.type),
		).toEqual(["status_mismatch"]);
	});

	it("refuses a side that lists a reference twice", () => {
		expect(() => reconcileCharges([charge("a"), charge("a")], [])).toThrow(RangeError);
		expect(() => reconcileCharges([], [tx("a"), tx("a")])).toThrow(RangeError);
	});
});

describe("reconcileTransfers", () => {
	it("matches each ledger state with the provider statuses that mean it", () => {
		expect(
			reconcileTransfers(
				[
					payout("done"),
					payout("moving", { payoutStatus: "processing", completed: false }),
					payout("back", { payoutStatus: "failed", completed: false, returned: true }),
					payout("reversed", { payoutStatus: "reversed", completed: true, returned: true }),
					payout("not-sent", { payoutStatus: "pending", completed: false }),
					// Paystack refused the transfer outright: returned, and no transfer ever existed.
					payout("refused", { payoutStatus: "failed", completed: false, returned: true }),
				],
				[
					tx("done", { amountMinor: 200_000n }),
					tx("moving", { amountMinor: 200_000n, status: "otp" }),
					tx("back", { amountMinor: 200_000n, status: "failed" }),
					tx("reversed", { amountMinor: 200_000n, status: "reversed" }),
				],
			),
		).toEqual([]);
	});

	it("reports what disagrees", () => {
		const diffs = reconcileTransfers(
			[
				payout("paid-here", { payoutStatus: "processing", completed: false }),
				payout("short", { postedAmountMinor: 100_000n }),
				payout("lost"),
				// Paid, then reversed: Paystack must know that transfer.
				payout("reversed-unknown", { payoutStatus: "reversed", completed: true, returned: true }),
				payout("ended-unseen", { payoutStatus: "pending", completed: false }),
			],
			[
				tx("paid-here", { amountMinor: 200_000n, status: "success" }),
				tx("short", { amountMinor: 200_000n }),
				tx("ended-unseen", { amountMinor: 200_000n, status: "failed" }),
				tx("foreign", { amountMinor: 7n }),
			],
		);
		expect(diffs.map((d) => [d.reference, d.type])).toEqual([
			["ended-unseen", "status_mismatch"],
			["foreign", "missing_in_ledger"],
			["lost", "missing_at_provider"],
			["paid-here", "status_mismatch"],
			["reversed-unknown", "missing_at_provider"],
			["short", "amount_mismatch"],
		]);
	});
});

// A world where the ledger recorded exactly what the provider did finds nothing; changing one
// object on one side finds exactly that object.
describe("reconciliation properties", () => {
	const world = fc.uniqueArray(
		fc.record({
			reference: fc.stringMatching(/^[a-z0-9]{1,12}$/),
			amountMinor: fc.bigInt({ min: 1n, max: 10n ** 15n }),
			status: fc.constantFrom("success", "failed", "abandoned"),
		}),
		{ selector: (t) => t.reference, maxLength: 30 },
	);
	const consistent = (items: { reference: string; amountMinor: bigint; status: string }[]) => ({
		ledger: items.map((t) =>
			charge(t.reference, {
				paymentStatus: t.status === "success" ? "paid" : "initialized",
				postedAmountMinor: t.status === "success" ? t.amountMinor : null,
				postedCurrency: t.status === "success" ? "NGN" : null,
				expectedAmountMinor: t.amountMinor,
			}),
		),
		provider: items.map((t) => tx(t.reference, { amountMinor: t.amountMinor, status: t.status })),
	});

	it("agreeing sides have no differences", () => {
		fc.assert(
			fc.property(world, (items) => {
				const { ledger, provider } = consistent(items);
				expect(reconcileCharges(ledger, provider)).toEqual([]);
			}),
		);
	});

	it("one changed amount of a paid charge is exactly one difference, on that reference", () => {
		fc.assert(
			fc.property(world, fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), (items, pick, delta) => {
				const paid = items.filter((t) => t.status === "success");
				fc.pre(paid.length > 0);
				const target = paid[pick % paid.length];
				if (!target) return;
				const { ledger, provider } = consistent(items);
				const changed = provider.map((t) =>
					t.reference === target.reference ? { ...t, amountMinor: t.amountMinor + delta } : t,
				);
				const diffs = reconcileCharges(ledger, changed);
				expect(diffs.map((d) => [d.reference, d.type])).toEqual([[target.reference, "amount_mismatch"]]);
			}),
		);
	});

	it("dropping a paid charge from either side is exactly one difference", () => {
		fc.assert(
			fc.property(world, fc.nat(), fc.boolean(), (items, pick, fromLedger) => {
				const paid = items.filter((t) => t.status === "success");
				fc.pre(paid.length > 0);
				const target = paid[pick % paid.length];
				if (!target) return;
				const { ledger, provider } = consistent(items);
				const diffs = fromLedger
					? reconcileCharges(
							ledger.filter((c) => c.reference !== target.reference),
							provider,
						)
					: reconcileCharges(
							ledger,
							provider.filter((t) => t.reference !== target.reference),
						);
				expect(diffs.map((d) => [d.reference, d.type])).toEqual([
					[target.reference, fromLedger ? "missing_in_ledger" : "missing_at_provider"],
				]);
			}),
		);
	});
});
