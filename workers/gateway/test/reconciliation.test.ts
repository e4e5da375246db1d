import { env } from "cloudflare:workers";
import { totpCode, totpStep } from "@oja/auth";
import { newId } from "@oja/db";
import { saleEntry, settlementEntry } from "@oja/ledger";
import { postEntry } from "@oja/ledger/sql";
import { completePayment, injectFailure, sendEvent } from "@oja/paystack-sandbox/admin";
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

	it("lists payments under review for operators", async () => {
		const list = await jsonOf<{ items: { reference: string; storeId: string; reviewReason: string | null }[] }>(
			await asOperator(operatorToken, "GET", "/v1/ops/payments/review"),
		);
		expect(list.items).toEqual([
			expect.objectContaining({ reference: refs.review, storeId: shop.m.storeId, reviewReason: expect.any(String) }),
		]);
	});

	it("a run that cannot look everything up says it is incomplete instead of guessing", async () => {
		const report = await runReconciliation(db, paystack(), period(), "cron-test", () => {}, { maxPages: 50, maxLookups: 0 });
		expect(report?.run.status).toBe("incomplete");
		// The ghost sale needs a lookup (Paystack's list does not have it): not reported as missing.
		expect(mine(report as Report, [refs.ghost as string])).toEqual([]);
	});

	it("a run Paystack cannot answer is recorded as failed", async () => {
		await injectFailure(admin(), { path: "/transaction", method: "GET", status: 503, times: 3 });
		const report = await reconcile();
		expect(report.run.status).toBe("failed");
		expect(report.run.error).toContain("PaymentUnavailableError");
		expect(report.differences).toEqual([]);
	});

	it("the daily cron reconciles yesterday once", async () => {
		const now = new Date();
		const first = (await env.PAYMENTS.reconcileYesterday(now)) as Report | null;
		expect(first?.run).toMatchObject({ triggeredBy: "cron", status: "completed" });
		expect(await env.PAYMENTS.reconcileYesterday(now)).toBeNull();
		// Not before half past midnight: Paystack's lists for the day may still move.
		const early = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0, 10));
		const beforeSettled = new Date(early.getTime() + 86_400_000);
		expect(await env.PAYMENTS.reconcileYesterday(beforeSettled)).toBeNull();
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
