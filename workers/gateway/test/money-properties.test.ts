import { env } from "cloudflare:workers";
import { signPaystackBody } from "@oja/paystack";
import { sendEvent } from "@oja/paystack-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runReconciliation } from "../../payments/src/reconciliation.ts";
import { openShop, type Shop } from "./commerce-fixtures.ts";
import {
	balanceOf,
	defaultFeeOn,
	type PaidCheckout,
	payOnPage,
	paystack,
	paystackSecret,
	placeOnline,
	postPaystackWebhook,
	processPaystackEvents,
	sandboxAdmin,
} from "./payment-fixtures.ts";

// Random histories of money, through the real code paths: orders paid on Paystack's page and
// their webhooks applied by the payments consumer, duplicate deliveries (again, at once, and
// through the gateway's queue), merchant refunds through the API and Paystack's refund
// outcomes, settlements, payouts through the API and their transfer outcomes (success, failure,
// reversal after success). After every step, against the database:
//   * the ledger verifies: every entry balances, cached balances equal the postings' sums;
//   * no store balance is negative;
//   * the merchant's money (pending + available + in transit) is exactly what the model says:
//     sales less Oja's fee, less refunds not failed, less payouts paid out and not returned;
//   * a duplicate delivery changes nothing (same entries, same balances);
//   * at the end, reconciliation finds no difference between the store's ledger and Paystack;
//   * the API accepts exactly what the money allows: a refund within what was paid and what the
//     merchant holds is taken, one over what was paid is refused; a payout within available is
//     taken, one over it refused.

interface Model {
	/** Per paid order: its total and what is refunded (pending or processed). */
	orders: { orderId: string; reference: string; total: number; refunded: number; deliveries: string[] }[];
	refunds: { id: string; orderId: string; amount: number; providerRefundId: string; state: "pending" | "processed" | "failed" }[];
	payouts: { id: string; reference: string; amount: number; state: "processing" | "paid" | "failed" | "reversed" }[];
	/** Every delivery applied so far (to replay). */
	deliveries: string[];
	/** What the merchant's three accounts hold together. */
	merchantMinor: number;
}

type Step =
	| { kind: "pay"; quantity: number }
	| { kind: "duplicate"; pick: number; viaGateway: boolean }
	| { kind: "refund"; pick: number; permille: number }
	| { kind: "refundOutcome"; pick: number; processed: boolean }
	| { kind: "settle" }
	| { kind: "payout"; permille: number }
	| { kind: "payoutOutcome"; pick: number; event: "transfer.success" | "transfer.failed" | "transfer.reversed" };

const step: fc.Arbitrary<Step> = fc.oneof(
	{ weight: 3, arbitrary: fc.record({ kind: fc.constant("pay" as const), quantity: fc.integer({ min: 1, max: 3 }) }) },
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick: fc.nat(), viaGateway: fc.boolean() }) },
	{
		weight: 4,
		arbitrary: fc.record({
			kind: fc.constant("refund" as const),
			pick: fc.nat(),
			permille: fc.integer({ min: 1, max: 1_300 }),
		}),
	},
	{ weight: 5, arbitrary: fc.record({ kind: fc.constant("refundOutcome" as const), pick: fc.nat(), processed: fc.boolean() }) },
	{ weight: 3, arbitrary: fc.record({ kind: fc.constant("settle" as const) }) },
	{ weight: 3, arbitrary: fc.record({ kind: fc.constant("payout" as const), permille: fc.integer({ min: 1, max: 1_300 }) }) },
	{
		weight: 4,
		arbitrary: fc.record({
			kind: fc.constant("payoutOutcome" as const),
			pick: fc.nat(),
			event: fc.constantFrom("transfer.success" as const, "transfer.failed" as const, "transfer.reversed" as const),
		}),
	},
);

const db = testDb();
const ledger = (env as unknown as { LEDGER: { settle(): Promise<unknown>; verify(): Promise<{ ok: boolean }> } }).LEDGER;

const post = (shop: Shop, path: string, body: unknown) =>
	gateway(path, {
		method: "POST",
		headers: {
			authorization: `Bearer ${shop.m.token}`,
			"content-type": "application/json",
			"idempotency-key": crypto.randomUUID(),
		},
		body: JSON.stringify(body),
	});

async function entryCount(storeId: string): Promise<number> {
	const rows = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM ledger_entries WHERE store_id = ${storeId}`);
	return Number(rows.rows[0]?.n);
}

async function checkInvariants(shop: Shop, model: Model): Promise<void> {
	expect((await ledger.verify()).ok).toBe(true);
	const b = await balanceOf(shop.m);
	expect(b.pendingMinor).toBeGreaterThanOrEqual(0);
	expect(b.availableMinor).toBeGreaterThanOrEqual(0);
	expect(b.inTransitMinor).toBeGreaterThanOrEqual(0);
	expect(b.pendingMinor + b.availableMinor + b.inTransitMinor).toBe(model.merchantMinor);
}

async function apply(shop: Shop, model: Model, s: Step, payoutAccountId: string): Promise<void> {
	const storePath = `/v1/stores/${shop.m.storeId}`;
	switch (s.kind) {
		case "pay": {
			const placed: PaidCheckout = await placeOnline(shop, shop.variants[0], s.quantity);
			const delivery = await payOnPage(placed);
			const { outcomes } = await processPaystackEvents([delivery.body]);
			expect(outcomes).toEqual(["paid"]);
			const total = placed.order.totalMinor;
			model.orders.push({
				orderId: placed.order.id,
				reference: placed.payment.reference,
				total,
				refunded: 0,
				deliveries: [delivery.body],
			});
			model.deliveries.push(delivery.body);
			model.merchantMinor += total - defaultFeeOn(total);
			return;
		}
		case "duplicate": {
			const body = model.deliveries[s.pick % Math.max(1, model.deliveries.length)];
			if (body === undefined) return;
			const before = { entries: await entryCount(shop.m.storeId), balance: await balanceOf(shop.m) };
			const { outcomes } = await processPaystackEvents([body, body]);
			for (const o of outcomes) expect(o).not.toBe("retried");
			if (s.viaGateway) {
				const signature = await signPaystackBody(body, paystackSecret());
				expect((await postPaystackWebhook({ body, signature })).status).toBe(200);
			}
			expect(await entryCount(shop.m.storeId)).toBe(before.entries);
			expect(await balanceOf(shop.m)).toEqual(before.balance);
			return;
		}
		case "refund": {
			const order = model.orders[s.pick % Math.max(1, model.orders.length)];
			if (!order) return;
			const remaining = order.total - order.refunded;
			const amount = Math.max(1, Math.floor((order.total * s.permille) / 1_000));
			const before = await balanceOf(shop.m);
			const res = await post(shop, `${storePath}/orders/${order.orderId}/refunds`, { amountMinor: amount, reason: "test" });
			if (res.status === 201) {
				expect(amount).toBeLessThanOrEqual(remaining);
				const refund = await res.json<{ id: string; providerRefundId: string | null }>();
				const providerRefundId = await eventually(async () => {
					const rows = await db.execute<{ provider_refund_id: string | null }>(
						sql`SELECT provider_refund_id FROM refunds WHERE id = ${refund.id}`,
					);
					return rows.rows[0]?.provider_refund_id ?? undefined;
				});
				order.refunded += amount;
				model.refunds.push({ id: refund.id, orderId: order.orderId, amount, providerRefundId, state: "pending" });
				model.merchantMinor -= amount;
			} else {
				expect([409, 422]).toContain(res.status);
				await res.body?.cancel();
				// Refused only when it exceeds what was paid, or what the merchant holds for it.
				if (amount <= remaining) expect(amount).toBeGreaterThan(before.availableMinor);
			}
			return;
		}
		case "refundOutcome": {
			const pending = model.refunds.filter((r) => r.state === "pending");
			const refund = pending[s.pick % Math.max(1, pending.length)];
			if (!refund) return;
			const event = s.processed ? "refund.processed" : "refund.failed";
			const [delivery] = await sendEvent(sandboxAdmin(), { event, refundId: Number(refund.providerRefundId) });
			if (!delivery) throw new Error("the sandbox sent nothing");
			const { outcomes } = await processPaystackEvents([delivery.body]);
			expect(outcomes).not.toContain("retried");
			model.deliveries.push(delivery.body);
			refund.state = s.processed ? "processed" : "failed";
			if (!s.processed) {
				const order = model.orders.find((o) => o.orderId === refund.orderId);
				if (order) order.refunded -= refund.amount;
				model.merchantMinor += refund.amount;
			}
			return;
		}
		case "settle":
			await ledger.settle();
			return;
		case "payout": {
			const before = await balanceOf(shop.m);
			// Paystack's floor is ₦100; above it, a share of what is available (permille > 1000: more than it).
			const amount = 10_000 + Math.floor((Math.max(before.availableMinor - 10_000, 0) * s.permille) / 1_000);
			const res = await post(shop, `${storePath}/payouts`, { amountMinor: amount, payoutAccountId });
			if (res.status === 201) {
				const p = await res.json<{ id: string; reference: string; status: string }>();
				expect(amount).toBeLessThanOrEqual(before.availableMinor);
				expect(p.status).toBe("processing");
				model.payouts.push({ id: p.id, reference: p.reference, amount, state: "processing" });
			} else {
				await res.body?.cancel();
				expect(res.status).toBe(409);
				expect(amount).toBeGreaterThan(before.availableMinor);
			}
			return;
		}
		case "payoutOutcome": {
			// Paystack's order of things: a transfer in flight succeeds, fails or is reversed; a paid one may still be reversed.
			const open = model.payouts.filter(
				(p) => p.state === "processing" || (p.state === "paid" && s.event === "transfer.reversed"),
			);
			const payout = open[s.pick % Math.max(1, open.length)];
			if (!payout) return;
			const [delivery] = await sendEvent(sandboxAdmin(), { event: s.event, transfer: payout.reference });
			if (!delivery) throw new Error("the sandbox sent nothing");
			const { outcomes } = await processPaystackEvents([delivery.body]);
			expect(outcomes).not.toContain("retried");
			model.deliveries.push(delivery.body);
			if (s.event === "transfer.success") {
				payout.state = "paid";
				model.merchantMinor -= payout.amount;
			} else {
				if (payout.state === "paid") model.merchantMinor += payout.amount;
				payout.state = s.event === "transfer.failed" ? "failed" : "reversed";
			}
			return;
		}
	}
}

describe("money through the real code paths (fast-check)", () => {
	it("random payments, duplicates, refunds, settlements, payouts and their outcomes keep every invariant", async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 24 }), async (steps) => {
				const shop = await openShop([10_000]);
				const account = await jsonOf<{ id: string }>(
					await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/payout-accounts`, {
						bankCode: "058",
						accountNumber: `09${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`,
					}),
					201,
				);
				const model: Model = { orders: [], refunds: [], payouts: [], deliveries: [], merchantMinor: 0 };
				const from = new Date(Date.now() - 1_000).toISOString();
				// Every history starts with money in: two paid orders, settled.
				const prefix: Step[] = [{ kind: "pay", quantity: 2 }, { kind: "pay", quantity: 3 }, { kind: "settle" }];
				for (const s of [...prefix, ...steps]) {
					await apply(shop, model, s, account.id);
					await checkInvariants(shop, model);
				}
				const period = { from, to: new Date(Date.now() + 60_000).toISOString() };
				const report = await runReconciliation(db, paystack(), period, "test", () => {});
				expect(report?.run.status).toBe("completed");
				// The store's, and anything under the references this history made (one Oja had no
				// record of would carry no store).
				const references = new Set([...model.orders.map((o) => o.reference), ...model.payouts.map((p) => p.reference)]);
				expect(report?.differences.filter((d) => d.storeId === shop.m.storeId || references.has(d.reference))).toEqual([]);
			}),
			{ numRuns: Number((env as unknown as { MONEY_PROPERTY_RUNS?: string }).MONEY_PROPERTY_RUNS || 20) },
		);
		// Deliveries that went through the gateway's queue were duplicates: once drained, still nothing changed.
		await new Promise((r) => setTimeout(r, 2_000));
		expect((await ledger.verify()).ok).toBe(true);
	}, 240_000);
});
