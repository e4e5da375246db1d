import { env } from "cloudflare:workers";
import { totpCode, totpStep } from "@oja/auth";
import { newId } from "@oja/db";
import { saleEntry, settlementEntry } from "@oja/ledger";
import { postEntry } from "@oja/ledger/sql";
import { type PaymentProvider, PaystackClient } from "@oja/paystack";
import { completePayment, sendEvent } from "@oja/paystack-sandbox/admin";
import {
	asMerchant,
	eventually,
	gateway,
	jsonOf,
	postJson,
	problemOf,
	provisionOperator,
	type TestOperator,
	testDb,
} from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { runReconciliation } from "../../payments/src/reconciliation.ts";
import { openShop, type Shop } from "./commerce-fixtures.ts";
import {
	chargeDelivery,
	type PaidCheckout,
	paystack,
	placeOnline,
	postPaystackWebhook,
	sandboxAdmin,
} from "./payment-fixtures.ts";

// Reconciliation end to end: real payments and payouts through the Paystack sandbox, some of
// them made to disagree with the ledger the ways money goes wrong (a webhook never delivered, a
// payment under review, a sale posted for the wrong amount, a sale Paystack never saw, a transfer
// that ended at Paystack unseen, a transfer Oja never made), then an operator runs
// reconciliation through the gateway and reads exactly those differences.
//
// The sandbox is shared by every test file of the run (one Paystack account), so its lists
// hold other files' transactions too: each assertion reads the references this file made.

interface Report {
	run: {
		id: string;
		status: string;
		triggeredBy: string;
		chargesChecked: number;
		transfersChecked: number;
		differences: number;
		error: string | null;
	};
	differences: {
		object: string;
		reference: string;
		storeId: string | null;
		type: string;
		ledgerAmountMinor: number | null;
		providerAmountMinor: number | null;
		ledgerStatus: string | null;
		providerStatus: string | null;
		detail: string;
	}[];
}
const admin = sandboxAdmin;
const db = testDb();
let shop: Shop;
let operatorToken: string;
const periodStart = new Date(Date.now() - 60_000).toISOString();

async function signIn(op: TestOperator): Promise<string> {
	const res = await postJson("/v1/ops/auth/login", {
		email: op.email,
		password: op.password,
		totp: await totpCode(op.secret, totpStep(Date.now())),
	});
	return (await jsonOf<{ accessToken: string }>(res)).accessToken;
}

const asOperator = (token: string, method: string, path: string, body?: unknown) =>
	gateway(path, {
		method,
		headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});

const period = () => ({ from: periodStart, to: new Date(Date.now() + 60_000).toISOString() });

async function reconcile(): Promise<Report> {
	return jsonOf<Report>(await asOperator(operatorToken, "POST", "/v1/ops/reconciliation/runs", period()), 201);
}

/** This file's differences, by reference. */
const mine = (report: Report, references: string[]) =>
	report.differences.filter((d) => references.includes(d.reference)).map((d) => [d.reference, d.object, d.type]);

const postWebhook = postPaystackWebhook;
const chargeWebhook = chargeDelivery;

async function paymentStatus(reference: string): Promise<string | undefined> {
	const rows = await db.execute<{ status: string }>(sql`SELECT status FROM payments WHERE reference = ${reference}`);
	return rows.rows[0]?.status;
}

/** Pays on the sandbox's page and delivers the signed webhook; waits for the payment to land. */
async function payFully(placed: PaidCheckout, until = "paid"): Promise<void> {
	await completePayment(placed.payment.authorizationUrl, "pay");
	expect((await postWebhook(await chargeWebhook(placed.payment.reference))).status).toBe(200);
	await eventually(async () => ((await paymentStatus(placed.payment.reference)) === until ? true : undefined), 15_000);
}

const refs: Record<string, string> = {};

beforeAll(async () => {
	shop = await openShop([100]);
	operatorToken = await signIn(await provisionOperator("admin"));

	// Agree: paid and applied.
	const clean = await placeOnline(shop);
	await payFully(clean);
	refs.clean = clean.payment.reference;

	// Paystack took the money; the webhook never arrived.
	const unseen = await placeOnline(shop);
	await completePayment(unseen.payment.authorizationUrl, "pay");
	refs.unseen = unseen.payment.reference;

	// Paystack took the money; Oja put it under review (the order asked for another amount).
	const review = await placeOnline(shop);
	await db.execute(sql`UPDATE payments SET amount_minor = amount_minor + 1 WHERE reference = ${review.payment.reference}`);
	await payFully(review, "review");
	refs.review = review.payment.reference;

	// Paystack took the money; the ledger recorded a different amount (posted by hand, as a bug would).
	const wrong = await placeOnline(shop);
	await completePayment(wrong.payment.authorizationUrl, "pay");
	const total = BigInt(wrong.order.totalMinor);
	await db.batch([
		db.execute(sql`UPDATE payments SET status = 'paid' WHERE reference = ${wrong.payment.reference}`),
		postEntry(
			db,
			saleEntry({
				storeId: shop.m.storeId,
				currency: "NGN",
				orderId: wrong.order.id,
				reference: wrong.payment.reference,
				amountMinor: total - 100n,
				feeMinor: 0n,
				providerFeeMinor: 0n,
			}),
			null,
		),
	]);
	refs.wrong = wrong.payment.reference;

	// The ledger has a sale Paystack never saw.
	const ghost = `ghost-${crypto.randomUUID()}`;
	const ghostOrder = newId("order");
	await db.batch([
		db.execute(sql`INSERT INTO payments (id, store_id, order_id, reference, amount_minor, currency, status)
			VALUES (${newId("payment")}, ${shop.m.storeId}, ${ghostOrder}, ${ghost}, 70000, 'NGN', 'paid')`),
		postEntry(
			db,
			saleEntry({
				storeId: shop.m.storeId,
				currency: "NGN",
				orderId: ghostOrder,
				reference: ghost,
				amountMinor: 70_000n,
				feeMinor: 0n,
				providerFeeMinor: 0n,
			}),
			null,
		),
		postEntry(
			db,
			settlementEntry({
				storeId: shop.m.storeId,
				currency: "NGN",
				orderId: ghostOrder,
				amountMinor: 70_000n,
				receivableMinor: 0n,
			}),
			null,
		),
	]);
	refs.ghost = ghost;

	// Payouts: one in transit (agrees), one paid at Paystack with the webhook lost.
	const account = await jsonOf<{ id: string }>(
		await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/payout-accounts`, {
			bankCode: "058",
			accountNumber: "0123499901",
		}),
		201,
	);
	const payout = async () =>
		jsonOf<{ reference: string }>(
			await gateway(`/v1/stores/${shop.m.storeId}/payouts`, {
				method: "POST",
				headers: {
					authorization: `Bearer ${shop.m.token}`,
					"content-type": "application/json",
					"idempotency-key": crypto.randomUUID(),
				},
				body: JSON.stringify({ amountMinor: 20_000, payoutAccountId: account.id }),
			}),
			201,
		);
	refs.moving = (await payout()).reference;
	refs.lostSuccess = (await payout()).reference;
	await sendEvent(admin(), { event: "transfer.success", transfer: refs.lostSuccess }); // to nowhere (webhookUrl is discard)

	// A transfer from the platform's Paystack balance that Oja has no payout for.
	const client = paystack();
	const recipient = await client.createTransferRecipient({
		name: "Someone Else",
		accountNumber: "0123499902",
		bankCode: "058",
		currency: "NGN",
	});
	refs.foreign = `foreign-${crypto.randomUUID()}`;
	await client.initiateTransfer({
		amountMinor: 15_000,
		recipientCode: recipient.recipientCode,
		reference: refs.foreign,
		reason: "not Oja's",
	});
}, 120_000);

describe("reconciliation", () => {
	it("records every way the ledger and Paystack disagree, and nothing where they agree", async () => {
		const report = await reconcile();
		expect(report.run).toMatchObject({ status: "completed", error: null });
		expect(report.run.triggeredBy).toMatch(/^op_/);
		expect(mine(report, Object.values(refs)).sort()).toEqual(
			[
				[refs.foreign, "transfer", "missing_in_ledger"],
				[refs.ghost, "charge", "missing_at_provider"],
				[refs.lostSuccess, "transfer", "status_mismatch"],
				[refs.review, "charge", "missing_in_ledger"],
				[refs.unseen, "charge", "missing_in_ledger"],
				[refs.wrong, "charge", "amount_mismatch"],
			].sort(),
		);
		const byRef = new Map(report.differences.map((d) => [d.reference, d]));
		expect(byRef.get(refs.wrong as string)).toMatchObject({ storeId: shop.m.storeId });
		const wrong = byRef.get(refs.wrong as string);
		expect((wrong?.providerAmountMinor ?? 0) - (wrong?.ledgerAmountMinor ?? 0)).toBe(100);
		expect(byRef.get(refs.review as string)?.detail).toContain("under review");
		expect(byRef.get(refs.lostSuccess as string)).toMatchObject({ providerStatus: "success" });
		expect(byRef.get(refs.foreign as string)).toMatchObject({ storeId: null, providerAmountMinor: 15_000 });
		expect(report.run.differences).toBe(report.differences.length);

		// Recorded where an operator reads it, and audited.
		const read = await jsonOf<Report>(await asOperator(operatorToken, "GET", `/v1/ops/reconciliation/runs/${report.run.id}`));
		expect(read).toEqual(report);
		const runs = await jsonOf<{ items: { id: string }[] }>(await asOperator(operatorToken, "GET", "/v1/ops/reconciliation/runs"));
		expect(runs.items[0]?.id).toBe(report.run.id);
		const audit = await db.execute<{ action: string }>(
			sql`SELECT action FROM audit_log WHERE target_id = ${report.run.id} ORDER BY at`,
		);
		expect(audit.rows.map((r) => r.action)).toEqual(["reconciliation.run", "reconciliation.viewed"]);
		const requested = await db.execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM audit_log WHERE action = 'reconciliation.requested'`,
		);
		expect(Number(requested.rows[0]?.n)).toBeGreaterThanOrEqual(1);
	});

	it("a difference fixed at the source is gone from the next run", async () => {
		const unseen = refs.unseen as string;
		expect((await postWebhook(await chargeWebhook(unseen))).status).toBe(200);
		await eventually(async () => ((await paymentStatus(unseen)) === "paid" ? true : undefined), 15_000);
		const lost = refs.lostSuccess as string;
		const [delivery] = await sendEvent(admin(), { event: "transfer.success", transfer: lost, apply: false });
		if (!delivery) throw new Error("no delivery");
		expect((await postWebhook(delivery)).status).toBe(200);
		await eventually(async () => {
			const rows = await db.execute<{ status: string }>(sql`SELECT status FROM payouts WHERE reference = ${lost}`);
			return rows.rows[0]?.status === "paid" ? true : undefined;
		}, 15_000);
		const report = await reconcile();
		const left = mine(report, Object.values(refs)).map(([reference]) => reference);
		expect(left).not.toContain(unseen);
		expect(left).not.toContain(lost);
		expect(left).toContain(refs.ghost);
	});

	it("lists payments under review for operators; an amount beyond 2^53 does not take the list down", async () => {
		const huge = `huge-${crypto.randomUUID()}`;
		await db.execute(sql`INSERT INTO payments (id, store_id, order_id, reference, amount_minor, currency, status, review_reason)
			VALUES (${newId("payment")}, ${shop.m.storeId}, ${newId("order")}, ${huge}, 576460752303423488, 'NGN', 'review', 'test')`);
		const list = await jsonOf<{
			items: { reference: string; storeId: string; amountMinor: number | null; reviewReason: string | null }[];
		}>(await asOperator(operatorToken, "GET", "/v1/ops/payments/review"));
		expect(list.items).toEqual([
			expect.objectContaining({ reference: refs.review, storeId: shop.m.storeId, reviewReason: expect.any(String) }),
			expect.objectContaining({ reference: huge, amountMinor: null }),
		]);
	});

	it("a charge paid days after it was started, its webhook lost, is reported by the run of the day it was paid", async () => {
		const started = new Date(Date.now() - 1_000).toISOString();
		const placed = await placeOnline(shop);
		await new Promise((r) => setTimeout(r, 20));
		const paidFrom = new Date().toISOString();
		const ref = placed.payment.reference;
		const first = await runReconciliation(db, paystack(), { from: started, to: paidFrom }, "op_test", () => {});
		expect(mine(first as Report, [ref])).toEqual([]);
		await completePayment(placed.payment.authorizationUrl, "pay");
		const later = await runReconciliation(
			db,
			paystack(),
			{ from: paidFrom, to: new Date(Date.now() + 60_000).toISOString() },
			"op_test",
			() => {},
		);
		expect(mine(later as Report, [ref])).toEqual([[ref, "charge", "missing_in_ledger"]]);
	});

	it("a run that cannot look everything up says it is incomplete instead of guessing", async () => {
		const report = await runReconciliation(db, paystack(), period(), "op_test", () => {}, { maxPages: 50, maxLookups: 0 });
		expect(report?.run.status).toBe("incomplete");
		// The ghost sale needs a lookup (Paystack's list does not have it): not reported as missing.
		expect(mine(report as Report, [refs.ghost as string])).toEqual([]);
	});

	it("a run Paystack cannot answer is recorded as failed; the cron tries its day again later", async () => {
		// Nothing listens on port 9: Paystack is unreachable (the shared sandbox stays untouched).
		const down = new PaystackClient({ secretKey: "sk_test_x", baseUrl: "http://127.0.0.1:9", maxAttempts: 1 });
		const byOperator = await runReconciliation(db, down, period(), "op_test", () => {});
		expect(byOperator?.run).toMatchObject({ status: "failed", differences: 0 });
		expect(byOperator?.run.error).toContain("PaymentUnavailableError");

		const day = Date.UTC(2024, 0, 1 + Math.floor(Math.random() * 300));
		const yesterday = { from: new Date(day).toISOString(), to: new Date(day + 86_400_000).toISOString() };
		const failed = await runReconciliation(db, down, yesterday, "cron", () => {});
		expect(failed?.run.status).toBe("failed");
		// Not again at once (Paystack needs a moment), but after a quarter of an hour.
		expect(await runReconciliation(db, paystack(), yesterday, "cron", () => {})).toBeNull();
		await db.execute(
			sql`UPDATE reconciliation_runs SET finished_at = now() - interval '16 minutes' WHERE id = ${failed?.run.id}`,
		);
		const retried = await runReconciliation(db, paystack(), yesterday, "cron", () => {});
		expect(retried?.run).toMatchObject({ id: failed?.run.id, status: "completed", error: null });
		expect(await runReconciliation(db, paystack(), yesterday, "cron", () => {})).toBeNull();
	});

	it("records every difference of a very bad day (more rows than one INSERT can carry)", async () => {
		const tag = crypto.randomUUID().slice(0, 8);
		const page = <T>(items: T[], pageNo: number, pageCount: number) => ({
			items,
			page: pageNo,
			perPage: 100,
			total: pageCount * 100,
			pageCount,
		});
		const object = (kind: string, i: number) => ({
			id: `${kind}-${tag}-${i}`,
			reference: `${kind}-${tag}-${i}`,
			status: "success",
			amountMinor: 10_000,
			currency: "NGN",
			paidAt: null,
		});
		// The webhook endpoint was down on a busy day: 5,000 charges and 100 transfers Oja never saw.
		const paystackOfABadDay = {
			listTransactions: async (q: { page: number }) =>
				page(
					Array.from({ length: 100 }, (_, i) => object("tx", q.page * 100 + i)),
					q.page,
					50,
				),
			listTransfers: async (q: { page: number }) =>
				page(
					Array.from({ length: 100 }, (_, i) => object("tr", i)),
					q.page,
					1,
				),
			// Oja's own leftovers are still looked up at the (sandbox) Paystack.
			verifyTransaction: (reference: string) => paystack().verifyTransaction(reference),
			verifyTransfer: (reference: string) => paystack().verifyTransfer(reference),
		} as unknown as PaymentProvider;
		const report = await runReconciliation(db, paystackOfABadDay, period(), "op_test", () => {});
		expect(report?.run).toMatchObject({ status: "completed", error: null });
		expect(report?.differences.filter((d) => d.reference.includes(tag))).toHaveLength(5_100);
		expect(report?.run.differences).toBe(report?.differences.length);
	}, 60_000);

	it("runs one operator reconciliation at a time; one that died is cleared after 15 minutes", async () => {
		const stuck = newId("reconciliationRun");
		await db.execute(sql`INSERT INTO reconciliation_runs (id, period_from, period_to, triggered_by, lease)
			VALUES (${stuck}, now() - interval '1 day', now(), 'op_other', 'lease')`);
		const busy = await problemOf(await asOperator(operatorToken, "POST", "/v1/ops/reconciliation/runs", period()), 409);
		expect(busy.title).toBe("Conflict");
		await db.execute(sql`UPDATE reconciliation_runs SET started_at = now() - interval '16 minutes' WHERE id = ${stuck}`);
		const report = await reconcile();
		expect(report.run.status).toBe("completed");
		const old = await db.execute<{ status: string }>(sql`SELECT status FROM reconciliation_runs WHERE id = ${stuck}`);
		expect(old.rows[0]?.status).toBe("failed");
	});

	it("the daily cron reconciles yesterday once", async () => {
		const noon = new Date();
		noon.setUTCHours(12, 0, 0, 0);
		const first = (await env.PAYMENTS.reconcileYesterday(noon)) as Report | null;
		expect(first?.run).toMatchObject({ triggeredBy: "cron", status: "completed" });
		expect(await env.PAYMENTS.reconcileYesterday(noon)).toBeNull();
		// Not before half past midnight: Paystack's lists for the day may still move.
		const early = new Date(noon.getTime() + 12 * 3_600_000 + 10 * 60_000);
		expect(await env.PAYMENTS.reconcileYesterday(early)).toBeNull();
	});

	it("is for admin operators only, and checks its period", async () => {
		const support = await signIn(await provisionOperator("support"));
		await problemOf(await asOperator(support, "POST", "/v1/ops/reconciliation/runs", period()), 403);
		await problemOf(await asOperator(support, "GET", "/v1/ops/payments/review"), 403);
		await problemOf(await gateway("/v1/ops/reconciliation/runs"), 401);
		await problemOf(await asMerchant(shop.m, "GET", "/v1/ops/reconciliation/runs"), 401);
		const before = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM reconciliation_runs`);
		for (const body of [
			{ from: period().to, to: periodStart },
			{ from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
			{ from: "yesterday", to: "today" },
			{ ...period(), extra: 1 },
		]) {
			await problemOf(await asOperator(operatorToken, "POST", "/v1/ops/reconciliation/runs", body), 422);
		}
		await problemOf(await asOperator(operatorToken, "GET", `/v1/ops/reconciliation/runs/${newId("reconciliationRun")}`), 404);
		const after = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM reconciliation_runs`);
		expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
	});
});
