import { env } from "cloudflare:workers";
import { newId } from "@oja/db";
import { saleEntry, settlementEntry } from "@oja/ledger";
import { postEntry } from "@oja/ledger/sql";
import { injectFailure, listTransfers, sendEvent, type WebhookDelivery } from "@oja/paystack-sandbox/admin";
import { listEmails, type RecordedEmail } from "@oja/resend-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { consumePaystackEvents } from "../../payments/src/events.ts";
import { balanceOf, paystack, postPaystackWebhook, sandboxAdmin } from "./payment-fixtures.ts";

// Payouts end to end through the gateway: bank accounts resolved with the Paystack sandbox,
// payouts whose money moves in the ledger in the same transaction as the payout row, the
// transfer started after the commit (and retried when Paystack is down), and the sandbox's
// signed transfer.* webhooks POSTed to /webhooks/paystack as Paystack would, applied once
// by the payments Worker's queue consumer.
//
// Money to pay out is given to a store by posting a sale and its settlement straight into the
// ledger (@oja/ledger/sql), so each test knows its exact available balance; paying an order
// through the sandbox is covered by payments.test.ts and ends in the same two entries.

const admin = sandboxAdmin;
const db = testDb();
interface Account {
	id: string;
	bankCode: string;
	bankName: string | null;
	accountName: string;
	accountNumberLast4: string;
	currency: string;
}
interface PayoutBody {
	id: string;
	payoutAccountId: string;
	amountMinor: number;
	currency: string;
	status: string;
	reference: string;
	transferCode: string | null;
	failureReason: string | null;
}

/** Gives the store `amount` of available money: a sale and its settlement, as the ledger posts them. */
async function fund(storeId: string, amount: number): Promise<void> {
	const orderId = newId("order");
	const m = { storeId, currency: "NGN", orderId };
	await db.batch([
		postEntry(
			db,
			saleEntry({ ...m, reference: `test-${orderId}`, amountMinor: BigInt(amount), feeMinor: 0n, providerFeeMinor: 0n }),
			null,
		),
		postEntry(db, settlementEntry({ ...m, amountMinor: BigInt(amount), receivableMinor: 0n }), null),
	]);
}

const balance = balanceOf;

let accountSeq = 100;
/** A fresh 10-digit account number (the sandbox resolves any but 0000000000). */
const accountNumber = () => `01234${String(accountSeq++).padStart(5, "0")}`;

async function addAccount(m: TestMerchant, number = accountNumber()): Promise<Account> {
	return jsonOf<Account>(
		await asMerchant(m, "POST", `/v1/stores/${m.storeId}/payout-accounts`, { bankCode: "058", accountNumber: number }),
		201,
	);
}

function requestPayout(m: TestMerchant, body: unknown, key: string | null = crypto.randomUUID()): Promise<Response> {
	return gateway(`/v1/stores/${m.storeId}/payouts`, {
		method: "POST",
		headers: {
			authorization: `Bearer ${m.token}`,
			"content-type": "application/json",
			...(key === null ? {} : { "idempotency-key": key }),
		},
		body: JSON.stringify(body),
	});
}

const payoutOf = async (m: TestMerchant, id: string) =>
	jsonOf<PayoutBody>(await asMerchant(m, "GET", `/v1/stores/${m.storeId}/payouts/${id}`));

const postWebhook = postPaystackWebhook;

/** Has the sandbox move the transfer and sign the event; answers the signed delivery. */
async function transferEvent(event: "transfer.success" | "transfer.failed" | "transfer.reversed", reference: string) {
	const [delivery] = await sendEvent(admin(), { event, transfer: reference });
	if (!delivery) throw new Error("the sandbox sent nothing");
	return delivery;
}

async function statusEventually(m: TestMerchant, id: string, status: string): Promise<PayoutBody> {
	return eventually(
		async () => {
			const p = await payoutOf(m, id);
			return p.status === status ? p : undefined;
		},
		15_000,
		`payout ${status}`,
	);
}

async function entriesOf(payoutId: string): Promise<string[]> {
	const rows = await db.execute<{ external_ref: string }>(
		sql`SELECT external_ref FROM ledger_entries WHERE subject_id = ${payoutId} ORDER BY posted_at, id`,
	);
	return rows.rows.map((r) => r.external_ref);
}

/** The payout notices the store's owner has received (accepted sends), once there are `count`. */
async function payoutEmails(m: TestMerchant, count: number): Promise<RecordedEmail[]> {
	const read = async () =>
		(await listEmails(env.TEST_RESEND_ADMIN, { to: m.email })).filter(
			(e) => e.id !== null && e.tags.some((t) => t.value.startsWith("merchant_payout_")),
		);
	return eventually(async () => ((await read()).length >= count ? read() : undefined), 15_000, `${count} payout email(s)`);
}

/** The payout events in the outbox for a payout (each appended with the change that made it). */
async function payoutEvents(payoutId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
	const rows = await db.execute<{ type: string; payload: Record<string, unknown> }>(
		sql`SELECT type, payload FROM outbox WHERE aggregate_id = ${payoutId} ORDER BY sequence`,
	);
	return rows.rows;
}

/** A store with `amount` available and one payout account. */
async function fundedStore(amount: number): Promise<{ m: TestMerchant; account: Account }> {
	const m = await signUpMerchant();
	await fund(m.storeId, amount);
	return { m, account: await addAccount(m) };
}

describe("payout accounts", () => {
	it("resolves the name with the bank, registers a recipient, and keeps only the last 4 digits", async () => {
		const m = await signUpMerchant();
		const number = accountNumber();
		const account = await addAccount(m, number);
		expect(account).toMatchObject({ bankCode: "058", bankName: "Guaranty Trust Bank", currency: "NGN" });
		expect(account.accountName).toMatch(/^[A-Z]+ [A-Z]+$/);
		expect(account.accountNumberLast4).toBe(number.slice(-4));
		const listed = await asMerchant(m, "GET", `/v1/stores/${m.storeId}/payout-accounts`);
		const text = await listed.text();
		expect(listed.status).toBe(200);
		expect(JSON.parse(text).items).toEqual([expect.objectContaining({ id: account.id, accountNumberLast4: number.slice(-4) })]);
		expect(text).not.toContain(number);
		// Not in the database either.
		const row = await db.execute(sql`SELECT * FROM payout_accounts WHERE id = ${account.id}`);
		expect(JSON.stringify(row.rows[0])).not.toContain(number);
		expect(row.rows[0]).toMatchObject({ recipient_code: expect.stringMatching(/^RCP_/) });
		// The same account again is refused, naming the first.
		const again = await problemOf(
			await asMerchant(m, "POST", `/v1/stores/${m.storeId}/payout-accounts`, { bankCode: "058", accountNumber: number }),
			409,
		);
		expect(again.code).toBe("payout-account-exists");
	});

	it("an account the bank cannot resolve is a 422 naming accountNumber, and nothing is stored", async () => {
		const m = await signUpMerchant();
		const problem = await problemOf(
			await asMerchant(m, "POST", `/v1/stores/${m.storeId}/payout-accounts`, { bankCode: "058", accountNumber: "0000000000" }),
			422,
		);
		expect(problem.errors?.map((e) => e.path)).toEqual(["accountNumber"]);
		for (const body of [
			{ bankCode: "058", accountNumber: "12345" },
			{ bankCode: "058", accountNumber: "01234567890" },
			{ bankCode: "GTB", accountNumber: "0123456789" },
			{ bankCode: "058" },
		]) {
			await problemOf(await asMerchant(m, "POST", `/v1/stores/${m.storeId}/payout-accounts`, body), 422);
		}
		const list = await jsonOf<{ items: unknown[] }>(await asMerchant(m, "GET", `/v1/stores/${m.storeId}/payout-accounts`));
		expect(list.items).toEqual([]);
	});
});

describe("a payout", () => {
	it("succeeds end to end: available ↓ and in transit ↑, then paid: in transit ↓; the ledger verifies", async () => {
		const { m, account } = await fundedStore(500_000);
		const created = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 200_000, payoutAccountId: account.id }), 201);
		expect(created).toMatchObject({ status: "processing", amountMinor: 200_000, currency: "NGN" });
		expect(created.reference).toBe(created.id.toLowerCase());
		expect(created.transferCode).toMatch(/^TRF_/);
		expect(await balance(m)).toMatchObject({ availableMinor: 300_000, inTransitMinor: 200_000 });
		const transfers = await listTransfers(admin(), created.reference);
		expect(transfers).toHaveLength(1);
		expect(transfers[0]).toMatchObject({ amount: 200_000, status: "pending" });

		expect((await postWebhook(await transferEvent("transfer.success", created.reference))).status).toBe(200);
		const paid = await statusEventually(m, created.id, "paid");
		expect(paid.transferCode).toBe(created.transferCode);
		expect(await balance(m)).toMatchObject({ availableMinor: 300_000, inTransitMinor: 0 });
		expect(await entriesOf(created.id)).toEqual([`payout:${created.id}`, `payout:${created.id}:completed`]);
		expect((await env.LEDGER.verify()).ok).toBe(true);

		// payout.completed, committed with the change, and one email to the owner: naira from kobo,
		// the bank by name and last 4 digits only.
		expect(await payoutEvents(created.id)).toEqual([
			{
				type: "payout.completed",
				payload: expect.objectContaining({ storeId: m.storeId, amountMinor: 200_000, accountLast4: account.accountNumberLast4 }),
			},
		]);
		const [notice] = await payoutEmails(m, 1);
		expect(notice?.subject).toBe("Payout of NGN 2,000.00 sent to your bank");
		expect(notice?.text).toContain(
			`Your payout of NGN 2,000.00 to your Guaranty Trust Bank account ending ${account.accountNumberLast4} has been paid.`,
		);
		expect(notice?.tags).toEqual([{ name: "template", value: "merchant_payout_completed" }]);
		expect(`${notice?.text}${notice?.html}`).not.toMatch(/\d{10}/);
		// The event delivered again (the relay sends it twice): still one email.
		await db.execute(sql`UPDATE outbox SET published_at = NULL, claimed_until = NULL WHERE aggregate_id = ${created.id}`);
		expect((await env.OPS.relayOutbox()).published).toBeGreaterThanOrEqual(1);
		await new Promise((r) => setTimeout(r, 2_500));
		expect(await payoutEmails(m, 1)).toHaveLength(1);

		const list = await jsonOf<{ items: PayoutBody[]; nextCursor: string | null }>(
			await asMerchant(m, "GET", `/v1/stores/${m.storeId}/payouts`),
		);
		expect(list.items.map((p) => [p.id, p.status])).toEqual([[created.id, "paid"]]);
	});

	it("a failed and a reversed transfer give the money back; a reversal after payment too; success after reversal changes nothing", async () => {
		const { m, account } = await fundedStore(300_000);
		const ask = async () =>
			jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 100_000, payoutAccountId: account.id }), 201);
		const [a, b, c] = [await ask(), await ask(), await ask()];
		expect(await balance(m)).toMatchObject({ availableMinor: 0, inTransitMinor: 300_000 });

		await postWebhook(await transferEvent("transfer.failed", a.reference));
		expect((await statusEventually(m, a.id, "failed")).failureReason).toContain("failed");
		await postWebhook(await transferEvent("transfer.reversed", b.reference));
		await statusEventually(m, b.id, "reversed");
		expect(await balance(m)).toMatchObject({ availableMinor: 200_000, inTransitMinor: 100_000 });

		await postWebhook(await transferEvent("transfer.success", c.reference));
		await statusEventually(m, c.id, "paid");
		await postWebhook(await transferEvent("transfer.reversed", c.reference));
		await statusEventually(m, c.id, "reversed");
		expect(await balance(m)).toMatchObject({ availableMinor: 300_000, inTransitMinor: 0 });

		// A late success for the reversed payout: recorded as ignored, no money moves.
		const late = await sendEvent(admin(), { event: "transfer.success", transfer: b.reference, apply: false });
		// The sandbox's transfer is reversed, so Paystack's verify disagrees with this event.
		await postWebhook(late[0] as WebhookDelivery);
		await new Promise((r) => setTimeout(r, 2_000));
		expect((await payoutOf(m, b.id)).status).toBe("reversed");
		expect(await balance(m)).toMatchObject({ availableMinor: 300_000, inTransitMinor: 0 });
		expect(await entriesOf(a.id)).toEqual([`payout:${a.id}`, `payout:${a.id}:returned`]);
		expect(await entriesOf(c.id)).toEqual([`payout:${c.id}`, `payout:${c.id}:completed`, `payout:${c.id}:returned`]);
		expect((await env.LEDGER.verify()).ok).toBe(true);

		// One event per applied move, none for the ignored late success; an email for each.
		const types = async (id: string) => (await payoutEvents(id)).map((e) => [e.type, e.payload.outcome]);
		expect(await types(a.id)).toEqual([["payout.failed", "failed"]]);
		expect(await types(b.id)).toEqual([["payout.failed", "reversed"]]);
		expect(await types(c.id)).toEqual([
			["payout.completed", undefined],
			["payout.failed", "reversed"],
		]);
		const emails = await payoutEmails(m, 4);
		expect(emails.map((e) => e.subject).sort()).toEqual([
			"Payout of NGN 1,000.00 failed",
			"Payout of NGN 1,000.00 sent to your bank",
			"Payout of NGN 1,000.00 was reversed",
			"Payout of NGN 1,000.00 was reversed",
		]);
		const failed = emails.find((e) => e.subject.endsWith("failed"));
		expect(failed?.tags).toEqual([{ name: "template", value: "merchant_payout_failed" }]);
		expect(failed?.text).toContain(`account ending ${account.accountNumberLast4} failed (transfer failed).`);
		expect(failed?.text).toContain("The money is back in your available balance.");
	});

	it("the database refuses an illegal transition whatever the code does", async () => {
		const { m, account } = await fundedStore(100_000);
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 100_000, payoutAccountId: account.id }), 201);
		await postWebhook(await transferEvent("transfer.failed", p.reference));
		await statusEventually(m, p.id, "failed");
		for (const to of ["paid", "reversed", "processing", "pending"]) {
			await expect(db.execute(sql`UPDATE payouts SET status = ${to} WHERE id = ${p.id}`)).rejects.toThrow();
		}
	});

	it("the same transfer event three times (one after another and at once) applies once", async () => {
		const { m, account } = await fundedStore(100_000);
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 100_000, payoutAccountId: account.id }), 201);
		const delivery = await transferEvent("transfer.success", p.reference);
		expect((await postWebhook(delivery)).status).toBe(200);
		const burst = await Promise.all([postWebhook(delivery), postWebhook(delivery)]);
		expect(burst.map((r) => r.status)).toEqual([200, 200]);
		await statusEventually(m, p.id, "paid");
		await new Promise((r) => setTimeout(r, 2_500));
		expect(await entriesOf(p.id)).toEqual([`payout:${p.id}`, `payout:${p.id}:completed`]);
		const events = await db.execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM payment_events WHERE event_key = ${`transfer.success:${p.reference}`}`,
		);
		expect(Number(events.rows[0]?.n)).toBe(1);
		expect(await balance(m)).toMatchObject({ availableMinor: 0, inTransitMinor: 0 });
		// The copies that changed nothing emitted nothing.
		expect((await payoutEvents(p.id)).map((e) => e.type)).toEqual(["payout.completed"]);
	});

	it("20 concurrent payouts against a balance that covers exactly 3: three payouts, 17 × 409, available 0", async () => {
		const { m, account } = await fundedStore(30_000);
		const responses = await Promise.all(
			Array.from({ length: 20 }, () => requestPayout(m, { amountMinor: 10_000, payoutAccountId: account.id })),
		);
		const statuses = responses.map((r) => r.status).sort();
		expect(statuses.filter((s) => s === 201)).toHaveLength(3);
		expect(statuses.filter((s) => s === 409)).toHaveLength(17);
		for (const res of responses) {
			if (res.status !== 409) continue;
			const problem = await problemOf(res, 409);
			expect(problem.code).toBe("insufficient-funds");
			expect(typeof (problem as unknown as { availableMinor: unknown }).availableMinor).toBe("number");
		}
		expect(await balance(m)).toMatchObject({ availableMinor: 0, inTransitMinor: 30_000 });
		const rows = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM payouts WHERE store_id = ${m.storeId}`);
		expect(Number(rows.rows[0]?.n)).toBe(3);
		expect((await env.LEDGER.verify()).ok).toBe(true);
	});

	it("an overdraft names the available amount and writes nothing", async () => {
		const { m, account } = await fundedStore(50_000);
		const problem = await problemOf(await requestPayout(m, { amountMinor: 50_001, payoutAccountId: account.id }), 409);
		expect(problem).toMatchObject({ code: "insufficient-funds", availableMinor: 50_000 });
		const rows = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM payouts WHERE store_id = ${m.storeId}`);
		expect(Number(rows.rows[0]?.n)).toBe(0);
		expect(await balance(m)).toMatchObject({ availableMinor: 50_000, inTransitMinor: 0 });
	});

	it("Idempotency-Key: the same key and body replay the payout; another body is a 422; at once, still one payout", async () => {
		const { m, account } = await fundedStore(100_000);
		const key = crypto.randomUUID();
		const body = { amountMinor: 20_000, payoutAccountId: account.id };
		const first = await jsonOf<PayoutBody>(await requestPayout(m, body, key), 201);
		const again = await requestPayout(m, body, key);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect((await jsonOf<PayoutBody>(again, 201)).id).toBe(first.id);
		const conflict = await problemOf(await requestPayout(m, { ...body, amountMinor: 30_000 }, key), 422);
		expect(conflict.errors?.[0]?.code).toBe("idempotency_key_reused");
		await problemOf(await requestPayout(m, body, null), 422);

		const racing = crypto.randomUUID();
		const burst = await Promise.all(Array.from({ length: 5 }, () => requestPayout(m, body, racing)));
		const ids = await Promise.all(burst.map(async (r) => (await jsonOf<PayoutBody>(r, 201)).id));
		expect(new Set(ids).size).toBe(1);
		expect(await balance(m)).toMatchObject({ availableMinor: 60_000, inTransitMinor: 40_000 });
		expect(await listTransfers(admin(), ids[0]?.toLowerCase())).toHaveLength(1);
	});

	it("Paystack down at payout time: the payout stays pending, and the retry completes it under the same reference", async () => {
		const { m, account } = await fundedStore(100_000);
		// The client tries three times; all three fail.
		await injectFailure(admin(), { path: "/transfer", method: "POST", status: 503, times: 3 });
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 40_000, payoutAccountId: account.id }), 201);
		expect(p).toMatchObject({ status: "pending", transferCode: null });
		expect(await listTransfers(admin(), p.reference)).toHaveLength(0);
		// The money is committed to the payout meanwhile: it cannot be paid out twice.
		expect(await balance(m)).toMatchObject({ availableMinor: 60_000, inTransitMinor: 40_000 });

		const retried = await env.PAYMENTS.retryPendingPayouts({ ignoreBackoff: true });
		expect(retried.started).toBeGreaterThanOrEqual(1);
		const after = await payoutOf(m, p.id);
		expect(after.status).toBe("processing");
		expect(after.transferCode).toMatch(/^TRF_/);
		await env.PAYMENTS.retryPendingPayouts({ ignoreBackoff: true });
		const transfers = await listTransfers(admin(), p.reference);
		expect(transfers).toHaveLength(1);
		expect(transfers[0]).toMatchObject({ reference: p.reference, amount: 40_000 });

		await postWebhook(await transferEvent("transfer.success", p.reference));
		await statusEventually(m, p.id, "paid");
		expect(await balance(m)).toMatchObject({ availableMinor: 60_000, inTransitMinor: 0 });
	});
	it("Paystack refuses the transfer: failed at once, the money back, one payout.failed and one email to the owner", async () => {
		const { m, account } = await fundedStore(100_000);
		await injectFailure(admin(), { path: "/transfer", method: "POST", status: 400 });
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 25_000, payoutAccountId: account.id }), 201);
		expect(p.status).toBe("failed");
		expect(p.failureReason).toMatch(/^transfer refused: /);
		expect(await balance(m)).toMatchObject({ availableMinor: 100_000, inTransitMinor: 0 });
		expect((await payoutEvents(p.id)).map((e) => [e.type, e.payload.outcome, e.payload.reason])).toEqual([
			["payout.failed", "failed", p.failureReason],
		]);
		const [notice] = await payoutEmails(m, 1);
		expect(notice?.subject).toBe("Payout of NGN 250.00 failed");
		expect(notice?.text).toContain(`account ending ${account.accountNumberLast4} failed (${p.failureReason}).`);
		// Retrying a payout that already failed changes nothing and emits nothing.
		await env.PAYMENTS.retryPendingPayouts({ ignoreBackoff: true });
		expect(await payoutEvents(p.id)).toHaveLength(1);
	});

	it("a lost webhook: the reconciliation applies Paystack's outcome, and the late webhook is a duplicate", async () => {
		const { m, account } = await fundedStore(100_000);
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 70_000, payoutAccountId: account.id }), 201);
		// The sandbox pays it; its webhook goes nowhere (port 9), as if lost.
		const lost = await transferEvent("transfer.success", p.reference);
		// Only payouts processing for longer than the threshold are looked up.
		expect((await env.PAYMENTS.reconcilePayouts({ olderThanSeconds: 3600 })).applied).toBe(0);
		expect((await payoutOf(m, p.id)).status).toBe("processing");
		const reconciled = await env.PAYMENTS.reconcilePayouts({ olderThanSeconds: 0 });
		expect(reconciled.applied).toBeGreaterThanOrEqual(1);
		expect((await payoutOf(m, p.id)).status).toBe("paid");
		expect((await postWebhook(lost)).status).toBe(200);
		await new Promise((r) => setTimeout(r, 2_000));
		expect(await entriesOf(p.id)).toEqual([`payout:${p.id}`, `payout:${p.id}:completed`]);
		expect(await balance(m)).toMatchObject({ availableMinor: 30_000, inTransitMinor: 0 });
	});
});

describe("a transfer event for a payout not recorded yet", () => {
	/** A transfer made straight at the sandbox under a reference shaped like ours. */
	async function strayTransfer(amount: number): Promise<{ reference: string; recipientCode: string }> {
		const client = paystack();
		const recipient = await client.createTransferRecipient({
			name: "Test",
			accountNumber: accountNumber(),
			bankCode: "058",
			currency: "NGN",
		});
		const reference = newId("payout").toLowerCase();
		await client.initiateTransfer({ amountMinor: amount, recipientCode: recipient.recipientCode, reference, reason: "t" });
		return { reference, recipientCode: recipient.recipientCode };
	}

	it("is retried with backoff (not acked), and applied once the payout exists", async () => {
		const m = await signUpMerchant();
		await fund(m.storeId, 50_000);
		const { reference, recipientCode } = await strayTransfer(50_000);
		const delivery = await transferEvent("transfer.success", reference);
		const calls: string[] = [];
		const message = {
			id: `msg-${reference}`,
			timestamp: new Date(),
			body: delivery.body,
			attempts: 1,
			ack: () => calls.push("ack"),
			retry: (o?: { delaySeconds?: number }) => calls.push(`retry:${o?.delaySeconds}`),
		};
		const batch = { queue: "oja-paystack-events", messages: [message] } as unknown as MessageBatch<unknown>;
		const deps = {
			db,
			provider: paystack(),
			applyPayment: () => Promise.reject(new Error("not a charge")),
			retry: { baseDelaySeconds: 5, maxDelaySeconds: 900 },
			log: () => {},
		};
		expect(await consumePaystackEvents(batch, deps)).toEqual(["retried"]);
		expect(calls).toEqual(["retry:5"]);

		// The payout commits (as requestPayout writes it), then the redelivery applies.
		const payoutId = reference.toUpperCase().replace("PO_", "po_");
		const accountId = newId("payoutAccount");
		await db.batch([
			db.execute(sql`INSERT INTO payout_accounts (id, store_id, bank_code, account_name, account_last4, account_hash, currency,
				recipient_code) VALUES (${accountId}, ${m.storeId}, '058', 'TEST', '0000', ${accountId}, 'NGN', ${recipientCode})`),
			db.execute(sql`INSERT INTO payouts (id, store_id, payout_account_id, amount_minor, currency, reference, status,
				idempotency_key, request_hash) VALUES (${payoutId}, ${m.storeId}, ${accountId}, 50000, 'NGN', ${reference},
				'processing', ${reference}, 'x')`),
			postEntry(
				db,
				{
					kind: "payout",
					externalRef: `payout:${payoutId}`,
					storeId: m.storeId,
					orderId: null,
					subjectId: payoutId,
					description: "test",
					postings: [
						{ account: "available", storeId: m.storeId, currency: "NGN", amountMinor: 50_000n },
						{ account: "payouts_in_transit", storeId: m.storeId, currency: "NGN", amountMinor: -50_000n },
					],
				},
				null,
			),
		]);
		calls.length = 0;
		expect(await consumePaystackEvents({ ...batch, messages: [{ ...message, attempts: 2 }] } as never, deps)).toEqual(["paid"]);
		expect(calls).toEqual(["ack"]);
		expect((await payoutOf(m, payoutId)).status).toBe("paid");
		expect(await balance(m)).toMatchObject({ availableMinor: 0, inTransitMinor: 0 });
	});

	it("through the queue: retried until max_retries, then dead-lettered (never dropped)", async () => {
		const { reference } = await strayTransfer(10_000);
		expect((await postWebhook(await transferEvent("transfer.success", reference))).status).toBe(200);
		const dead = await eventually(
			async () => {
				const rows = await db.execute<{ attempts: number }>(
					sql`SELECT attempts FROM dead_letters WHERE queue = 'oja-paystack-events-dlq' AND body::text LIKE ${`%${reference}%`}`,
				);
				return rows.rows[0];
			},
			25_000,
			"the event dead-lettered",
		);
		expect(dead.attempts).toBeGreaterThanOrEqual(1);
		const events = await db.execute(sql`SELECT 1 FROM payment_events WHERE event_key LIKE ${`%${reference}`}`);
		expect(events.rows).toHaveLength(0);
	});
});

describe("who may pay out", () => {
	it("another store's payout and account ids are 404; an admin gets 403 on changes; an API key gets person-required", async () => {
		const { m, account } = await fundedStore(100_000);
		const p = await jsonOf<PayoutBody>(await requestPayout(m, { amountMinor: 10_000, payoutAccountId: account.id }), 201);
		const other = await signUpMerchant();
		await fund(other.storeId, 100_000);
		await problemOf(await asMerchant(other, "GET", `/v1/stores/${other.storeId}/payouts/${p.id}`), 404);
		await problemOf(await asMerchant(other, "GET", `/v1/stores/${m.storeId}/payouts/${p.id}`), 404);
		await problemOf(await asMerchant(other, "GET", `/v1/stores/${m.storeId}/payouts`), 404);
		await problemOf(await requestPayout(other, { amountMinor: 10_000, payoutAccountId: account.id }), 404);
		expect((await balance(other)).availableMinor).toBe(100_000);
		const theirs = await jsonOf<{ items: PayoutBody[] }>(await asMerchant(other, "GET", `/v1/stores/${other.storeId}/payouts`));
		expect(theirs.items).toEqual([]);

		// An admin of the store may read payouts (finance:read) but not add accounts or pay out.
		const colleague = await signUpMerchant();
		const added = await asMerchant(m, "POST", `/v1/stores/${m.storeId}/members`, { email: colleague.email, role: "admin" });
		expect(added.status).toBeLessThan(300);
		const asAdmin = { ...colleague, storeId: m.storeId };
		await problemOf(
			await asMerchant(asAdmin, "POST", `/v1/stores/${m.storeId}/payout-accounts`, {
				bankCode: "058",
				accountNumber: accountNumber(),
			}),
			403,
		);
		await problemOf(await requestPayout(asAdmin, { amountMinor: 10_000, payoutAccountId: account.id }), 403);
		expect((await asMerchant(asAdmin, "GET", `/v1/stores/${m.storeId}/payouts`)).status).toBe(200);

		const key = await jsonOf<{ key: string }>(
			await asMerchant(m, "POST", `/v1/stores/${m.storeId}/api-keys`, { name: "integration", role: "admin" }),
			201,
		);
		const viaKey = await problemOf(
			await requestPayout({ ...m, token: key.key }, { amountMinor: 10_000, payoutAccountId: account.id }),
			403,
		);
		expect(viaKey.code).toBe("person-required");
		expect(await balance(m)).toMatchObject({ availableMinor: 90_000, inTransitMinor: 10_000 });
	});
});
