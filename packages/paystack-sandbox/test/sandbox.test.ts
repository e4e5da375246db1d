import {
	type InitializeTransactionInput,
	PaymentRejectedError,
	PaymentUnavailableError,
	PaystackClient,
	type PaystackClientOptions,
	parsePaystackEvent,
	verifyPaystackSignature,
} from "@oja/paystack";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
	completePayment,
	injectFailure,
	listRefunds,
	listRequests,
	listTransactions,
	listTransfers,
	listWebhooks,
	resetSandbox,
	sendEvent,
} from "../src/admin.ts";
import { formatMinor, type PaystackSandbox, startPaystackSandbox, UNRESOLVABLE_ACCOUNT } from "../src/index.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const secret = `sk_test_sandbox_${Date.now().toString(16)}`;

describe("paystack sandbox through PaystackClient", () => {
	let sandbox: PaystackSandbox;
	let receiver: Receiver;
	let n = 0;
	const client = (options: Partial<PaystackClientOptions> = {}) =>
		new PaystackClient({ baseUrl: sandbox.url, secretKey: secret, sleep: async () => {}, ...options });
	const payment = (overrides: Partial<InitializeTransactionInput> = {}): InitializeTransactionInput => ({
		amountMinor: 1_250_000,
		currency: "NGN",
		email: "ada@example.com",
		reference: `ord_${++n}_a1`,
		callbackUrl: "https://shop.example/checkout/return?order=ord_1",
		metadata: { store_id: "sto_1", order_id: `ord_${n}`, store_name: "Ada's <Fabrics>" },
		...overrides,
	});
	/** A paid transaction, through the hosted page. */
	const paid = async (overrides: Partial<InitializeTransactionInput> = {}) => {
		const init = await client().initializeTransaction(payment(overrides));
		await completePayment(init.authorizationUrl);
		return init;
	};

	beforeAll(async () => {
		receiver = await startReceiver();
		sandbox = await startPaystackSandbox({ secretKey: secret, webhookUrl: receiver.url });
	});
	afterAll(async () => {
		await sandbox.close();
		await receiver.close();
	});
	beforeEach(async () => {
		await resetSandbox(sandbox.adminUrl);
		receiver.received.length = 0;
		receiver.status = 200;
	});

	it("formats kobo as naira without floats", () => {
		expect(formatMinor(1_250_000, "NGN")).toBe("₦12,500.00");
		expect(formatMinor(5, "NGN")).toBe("₦0.05");
		expect(formatMinor(123_456_789_01, "NGN")).toBe("₦123,456,789.01");
		expect(formatMinor(1000, "XOF")).toBe("XOF 10.00");
	});

	it("hosted page: shows amount and store, Pay sends a signed charge.success, then 303s to the callback", async () => {
		const input = payment();
		const init = await client().initializeTransaction(input);
		expect(init.reference).toBe(input.reference);
		expect(init.authorizationUrl).toMatch(new RegExp(`^${sandbox.url}/checkout/[0-9a-f]+$`));
		expect(await client().verifyTransaction(input.reference)).toMatchObject({ status: "abandoned", paidAt: null });

		const pageRes = await fetch(init.authorizationUrl);
		expect(pageRes.status).toBe(200);
		expect(pageRes.headers.get("content-type")).toMatch(/^text\/html/);
		const html = await pageRes.text();
		expect(html).toContain("₦12,500.00");
		expect(html).toContain("Ada&#39;s &lt;Fabrics&gt;");
		expect(html).not.toContain("<Fabrics>");
		expect(html).toMatch(/<form method="post" action="\/checkout\/[0-9a-f]+\/pay">/);
		expect(html).toMatch(/<form method="post" action="\/checkout\/[0-9a-f]+\/decline">/);

		const pay = await fetch(`${init.authorizationUrl}/pay`, { method: "POST", redirect: "manual" });
		expect(pay.status).toBe(303);
		const location = new URL(pay.headers.get("location") ?? "");
		expect(`${location.origin}${location.pathname}`).toBe("https://shop.example/checkout/return");
		expect(Object.fromEntries(location.searchParams)).toEqual({
			order: "ord_1",
			reference: input.reference,
			trxref: input.reference,
		});

		// The webhook arrived before the redirect, signed over its exact bytes.
		expect(receiver.received).toHaveLength(1);
		const [hook] = receiver.received;
		expect(await verifyPaystackSignature(hook?.body ?? "", hook?.signature ?? null, secret)).toBe(true);
		expect(await verifyPaystackSignature(hook?.body ?? "", hook?.signature ?? null, "sk_test_other")).toBe(false);
		const event = parsePaystackEvent(JSON.parse(hook?.body ?? ""));
		expect(event).toMatchObject({
			ok: true,
			known: true,
			event: {
				event: "charge.success",
				data: {
					status: "success",
					reference: input.reference,
					amount: 1_250_000,
					currency: "NGN",
					channel: "card",
					fees: 28_750,
					customer: { email: "ada@example.com" },
					metadata: { store_id: "sto_1", order_id: `ord_${n}` },
				},
			},
		});
		expect(JSON.parse(hook?.body ?? "").data).toMatchObject({
			domain: "test",
			paid_at: expect.any(String),
			id: expect.any(Number),
		});

		expect(await client().verifyTransaction(input.reference)).toMatchObject({
			status: "success",
			amountMinor: 1_250_000,
			feesMinor: 28_750,
			paidAt: expect.any(String),
			metadata: { store_id: "sto_1" },
		});
		// Pressing Pay again (a resubmitted form) pays once and notifies once.
		expect(await completePayment(init.authorizationUrl)).toBe(location.toString());
		expect(receiver.received).toHaveLength(1);
		expect(await fetch(init.authorizationUrl).then((r) => r.text())).toContain("<strong>success</strong>");
	});

	it("hosted page: Decline fails the payment without a webhook, and it cannot then be paid", async () => {
		const input = payment();
		const init = await client().initializeTransaction(input);
		const location = await completePayment(init.authorizationUrl, "decline");
		expect(new URL(location ?? "").searchParams.get("trxref")).toBe(input.reference);
		expect((await client().verifyTransaction(input.reference)).status).toBe("failed");
		expect(receiver.received).toHaveLength(0);
		const again = await fetch(`${init.authorizationUrl}/pay`, { method: "POST", redirect: "manual" });
		expect(again.status).toBe(409);
		expect((await fetch(`${sandbox.url}/checkout/nope`)).status).toBe(404);
	});

	it("takes Oja's ids (uppercase ULIDs) as transaction references", async () => {
		const reference = "ord_01HXZ3K8Q9V2M4N6P7R8S9T0VW.1";
		expect((await client().initializeTransaction(payment({ reference }))).reference).toBe(reference);
		expect((await client().verifyTransaction(reference)).reference).toBe(reference);
	});

	it("refuses a reused reference as Paystack does", async () => {
		const input = payment();
		await client().initializeTransaction(input);
		const error = await client()
			.initializeTransaction({ ...input, amountMinor: 1 })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentRejectedError);
		expect(error).toMatchObject({ status: 400, code: "duplicate_reference", providerMessage: "Duplicate Transaction Reference" });
		await expect(client().verifyTransaction("ord_missing")).rejects.toMatchObject({
			status: 400,
			providerMessage: "Transaction reference not found",
		});
		expect(await listTransactions(sandbox.adminUrl, input.reference)).toMatchObject([{ amount: 1_250_000 }]);
	});

	it("refuses a wrong or missing key with 401 and the error envelope, without retrying", async () => {
		const error = await client({ secretKey: "sk_test_wrong" })
			.verifyTransaction("x")
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentRejectedError);
		expect(error).toMatchObject({ status: 401, attempts: 1, providerMessage: "Invalid key" });
		const bare = await fetch(`${sandbox.url}/bank`);
		expect(bare.status).toBe(401);
		expect(await bare.json()).toEqual({ status: false, message: "No Authorization header was found" });
		expect(await listRequests(sandbox.adminUrl)).toHaveLength(2);
	});

	it("lists transactions newest first, by status, window and page, with meta", async () => {
		const a = await paid();
		const b = await client().initializeTransaction(payment());
		const c = await paid();
		const all = await client().listTransactions({ perPage: 2, page: 1 });
		expect(all).toMatchObject({ total: 3, page: 1, perPage: 2, pageCount: 2 });
		expect(all.items.map((t) => t.reference)).toEqual([c.reference, b.reference]);
		const second = await client().listTransactions({ perPage: 2, page: 2 });
		expect(second.items.map((t) => t.reference)).toEqual([a.reference]);
		const successes = await client().listTransactions({ status: "success" });
		expect(successes.items.map((t) => t.reference)).toEqual([c.reference, a.reference]);
		const today = new Date().toISOString().slice(0, 10);
		expect((await client().listTransactions({ from: today, to: today })).total).toBe(3);
		expect((await client().listTransactions({ to: "2020-01-01" })).total).toBe(0);
		expect((await client().listTransactions({ from: "2999-01-01T00:00:00Z" })).items).toEqual([]);
		await expect(client().listTransactions({ from: "yesterday" })).rejects.toMatchObject({ status: 400 });
	});

	it("refunds in parts, never past what was paid; a failed refund makes its amount refundable again", async () => {
		const { reference } = await paid();
		const first = await client().refund({ transaction: reference, amountMinor: 250_000, reason: "one item out of stock" });
		expect(first).toMatchObject({ status: "pending", amountMinor: 250_000, transactionReference: reference, currency: "NGN" });
		const tooMuch = await client()
			.refund({ transaction: reference, amountMinor: 1_000_001 })
			.catch((e: unknown) => e);
		expect(tooMuch).toMatchObject({ name: "PaymentRejectedError", status: 400 });
		// By id, the rest: no amount means all that remains.
		const [t] = await listTransactions(sandbox.adminUrl, reference);
		const rest = await client().refund({ transaction: String(t?.id) });
		expect(rest.amountMinor).toBe(1_000_000);
		await expect(client().refund({ transaction: reference, amountMinor: 1 })).rejects.toMatchObject({
			providerMessage: "Transaction has been fully reversed",
		});
		expect((await client().listRefunds({ transaction: reference })).items.map((r) => r.amountMinor)).toEqual([
			1_000_000, 250_000,
		]);

		const [failed] = await sendEvent(sandbox.adminUrl, { event: "refund.failed", refundId: Number(first.id) });
		expect(parsePaystackEvent(JSON.parse(failed?.body ?? ""))).toMatchObject({
			ok: true,
			event: { event: "refund.failed", data: { amount: 250_000, transaction_reference: reference } },
		});
		expect((await client().refund({ transaction: reference, amountMinor: 250_000 })).amountMinor).toBe(250_000);
		const [processed] = await sendEvent(sandbox.adminUrl, { event: "refund.processed", refundId: Number(rest.id) });
		expect(JSON.parse(processed?.body ?? "").data.amount).toBe("1000000");
		expect(parsePaystackEvent(JSON.parse(processed?.body ?? ""))).toMatchObject({ event: { data: { amount: 1_000_000 } } });
		expect((await listRefunds(sandbox.adminUrl, reference)).map((r) => r.status)).toEqual(["failed", "processed", "pending"]);

		const unpaid = await client().initializeTransaction(payment());
		await expect(client().refund({ transaction: unpaid.reference })).rejects.toMatchObject({ status: 400 });
		await expect(client().refund({ transaction: "ord_missing" })).rejects.toMatchObject({ status: 404 });
	});

	it("lists real Nigerian banks and resolves accounts deterministically", async () => {
		const banks = await client().listBanks({ country: "nigeria" });
		const codes = Object.fromEntries(banks.map((b) => [b.code, b.name]));
		expect(codes).toMatchObject({
			"058": "Guaranty Trust Bank",
			"044": "Access Bank",
			"057": "Zenith Bank",
			"011": "First Bank of Nigeria",
			"033": "United Bank For Africa",
		});
		expect(await client().listBanks({ country: "ghana" })).toEqual([]);
		const one = await client().resolveAccount({ accountNumber: "0123456789", bankCode: "058" });
		expect(one.accountName).toMatch(/^[A-Z]+ [A-Z]+$/);
		expect(await client().resolveAccount({ accountNumber: "0123456789", bankCode: "044" })).toEqual(one);
		const error = await client()
			.resolveAccount({ accountNumber: UNRESOLVABLE_ACCOUNT, bankCode: "058" })
			.catch((e: unknown) => e);
		expect(error).toMatchObject({ status: 422, attempts: 1, providerMessage: expect.stringContaining("Could not resolve") });
		await expect(client().resolveAccount({ accountNumber: "0123456789", bankCode: "999" })).rejects.toMatchObject({
			status: 422,
		});
	});

	it("pays out once per reference, however often it is asked", async () => {
		const recipient = await client().createTransferRecipient({
			name: "Ada Eze",
			accountNumber: "0123456789",
			bankCode: "058",
			currency: "NGN",
		});
		expect(recipient).toMatchObject({ recipientCode: expect.stringMatching(/^RCP_/), bankName: "Guaranty Trust Bank" });
		const same = await client().createTransferRecipient({
			name: "Ada",
			accountNumber: "0123456789",
			bankCode: "058",
			currency: "NGN",
		});
		expect(same.recipientCode).toBe(recipient.recipientCode);

		const input = {
			amountMinor: 900_000,
			recipientCode: recipient.recipientCode,
			reference: "pay_sto_1_2026_11",
			reason: "Payout",
		};
		const first = await client().initiateTransfer(input);
		expect(first).toMatchObject({ status: "pending", amountMinor: 900_000, reference: input.reference });
		const again = await client().initiateTransfer(input);
		expect(again.transferCode).toBe(first.transferCode);
		expect(await listTransfers(sandbox.adminUrl)).toHaveLength(1);
		await expect(client().initiateTransfer({ ...input, amountMinor: 900_001 })).rejects.toMatchObject({
			name: "PaymentRejectedError",
			code: "reference_conflict",
		});
		expect(await listTransfers(sandbox.adminUrl)).toHaveLength(1);
		await expect(
			client().initiateTransfer({ ...input, reference: "pay_other", recipientCode: "RCP_nope" }),
		).rejects.toMatchObject({
			status: 400,
		});

		expect(await client().fetchTransfer(first.transferCode)).toMatchObject({
			reference: input.reference,
			recipientCode: recipient.recipientCode,
		});
		expect((await client().verifyTransfer(input.reference)).transferCode).toBe(first.transferCode);
		const listed = await client().listTransfers({ from: "2020-01-01", to: "2999-12-31", page: 1, perPage: 10 });
		expect(listed).toMatchObject({ total: 1, pageCount: 1 });
		await sendEvent(sandbox.adminUrl, { event: "transfer.success", transfer: first.transferCode });
		expect((await client().verifyTransfer(input.reference)).status).toBe("success");
		await expect(client().fetchTransfer("TRF_missing")).rejects.toMatchObject({ status: 404 });
	});

	it("retries injected 503s and dropped connections, then initializes once", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/transaction/initialize", status: 503, times: 1 });
		await injectFailure(sandbox.adminUrl, { path: "/transaction/initialize", drop: true, times: 1 });
		const input = payment();
		await client().initializeTransaction(input);
		expect((await listRequests(sandbox.adminUrl)).map((r) => r.status)).toEqual([503, null, 200]);
		expect(await listTransactions(sandbox.adminUrl)).toHaveLength(1);
	});

	it("honours an injected 429's Retry-After, and gives up after three 503s", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/bank", status: 429, retryAfter: 1, times: 1 });
		const sleeps: number[] = [];
		await client({ sleep: async (ms) => void sleeps.push(ms) }).listBanks();
		expect(sleeps).toEqual([1000]);
		await injectFailure(sandbox.adminUrl, { path: "/transaction/verify/*", status: 503, times: 5 });
		const error = await client()
			.verifyTransaction("anything")
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentUnavailableError);
		expect(error).toMatchObject({ status: 503, attempts: 3 });
	});

	it("does not retry an injected 4xx, nor a refund's 5xx", async () => {
		await injectFailure(sandbox.adminUrl, { path: "/bank", status: 400, times: 3 });
		await expect(client().listBanks()).rejects.toBeInstanceOf(PaymentRejectedError);
		const { reference } = await paid();
		await injectFailure(sandbox.adminUrl, { path: "/refund", method: "POST", status: 502, times: 3 });
		await expect(client().refund({ transaction: reference })).rejects.toMatchObject({ outcomeUnknown: true, attempts: 1 });
		expect((await listRequests(sandbox.adminUrl)).filter((r) => r.path === "/refund")).toHaveLength(1);
	});

	it("a transfer that timed out after Paystack acted is retried into the same transfer", async () => {
		const recipient = await client().createTransferRecipient({
			name: "Musa",
			accountNumber: "0987654321",
			bankCode: "057",
			currency: "NGN",
		});
		await injectFailure(sandbox.adminUrl, { path: "/transfer", method: "POST", delayMs: 400, times: 1 });
		const transfer = await client({ timeoutMs: 150 }).initiateTransfer({
			amountMinor: 50_000,
			recipientCode: recipient.recipientCode,
			reference: "pay_timeout_1",
			reason: "Payout",
		});
		const transfers = await listTransfers(sandbox.adminUrl);
		expect(transfers).toHaveLength(1);
		expect(transfers[0]?.transferCode).toBe(transfer.transferCode);
		// An initialization that timed out after acting is not repeatable under its reference.
		await injectFailure(sandbox.adminUrl, { path: "/transaction/initialize", delayMs: 400, times: 1 });
		await expect(client({ timeoutMs: 150 }).initializeTransaction(payment())).rejects.toMatchObject({
			code: "duplicate_reference",
			attempts: 2,
		});
	});

	it("sends events on demand: duplicates, concurrently, late, tampered, elsewhere; bodies can be replayed", async () => {
		const { reference } = await client().initializeTransaction(payment());
		const deliveries = await sendEvent(sandbox.adminUrl, { event: "charge.success", reference, times: 3, concurrent: true });
		expect(deliveries).toHaveLength(3);
		expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
		expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
		expect((await client().verifyTransaction(reference)).status).toBe("success");

		const [tampered] = await sendEvent(sandbox.adminUrl, { event: "charge.success", reference, tamper: true });
		expect(tampered?.tampered).toBe(true);
		expect(await verifyPaystackSignature(tampered?.body ?? "", tampered?.signature ?? null, secret)).toBe(false);

		const other = await startReceiver();
		try {
			await sendEvent(sandbox.adminUrl, { event: "charge.success", reference, url: other.url });
			expect(other.received).toHaveLength(1);
		} finally {
			await other.close();
		}

		const late = await sendEvent(sandbox.adminUrl, { event: "charge.success", reference, delayMs: 150 });
		expect(late[0]?.status).toBeNull();
		const before = receiver.received.length;
		await expect.poll(() => receiver.received.length, { timeout: 3000, interval: 25 }).toBe(before + 1);

		const log = await listWebhooks(sandbox.adminUrl);
		expect(log).toHaveLength(6);
		for (const d of log.filter((d) => !d.tampered)) {
			expect(await verifyPaystackSignature(d.body, d.signature, secret)).toBe(true);
		}
		// A test can replay recorded bodies itself, in any order.
		const replay = [...log].reverse()[0];
		const res = await fetch(receiver.url, {
			method: "POST",
			headers: { "x-paystack-signature": replay?.signature ?? "" },
			body: replay?.body,
		});
		expect(res.status).toBe(200);
		expect(receiver.received.at(-1)).toEqual({ body: replay?.body, signature: replay?.signature });
	});

	it("sends transfer events that the client's schema reads, and reports targets that refuse or are down", async () => {
		const recipient = await client().createTransferRecipient({
			name: "Ada",
			accountNumber: "1234567890",
			bankCode: "011",
			currency: "NGN",
		});
		const t = await client().initiateTransfer({
			amountMinor: 1000,
			recipientCode: recipient.recipientCode,
			reference: "pay_ev",
			reason: "x",
		});
		receiver.status = 500;
		const [failed] = await sendEvent(sandbox.adminUrl, { event: "transfer.failed", transfer: "pay_ev" });
		expect(failed?.status).toBe(500);
		expect(parsePaystackEvent(JSON.parse(failed?.body ?? ""))).toMatchObject({
			ok: true,
			known: true,
			event: { event: "transfer.failed", data: { status: "failed", transfer_code: t.transferCode, reference: "pay_ev" } },
		});
		const [down] = await sendEvent(sandbox.adminUrl, {
			event: "transfer.reversed",
			transfer: t.transferCode,
			url: "http://127.0.0.1:9/gone",
		});
		expect(down?.status).toBeNull();
		expect(down?.error).toBeTruthy();
		expect((await client().fetchTransfer(t.transferCode)).status).toBe("reversed");
		await expect(sendEvent(sandbox.adminUrl, { event: "transfer.success", transfer: "pay_nope" })).rejects.toThrow(/404/);
	});
});

describe("paystack sandbox without a webhook URL", () => {
	it("still pays and redirects, and an unreachable webhook target does not break the page", async () => {
		const sandbox = await startPaystackSandbox({
			secretKey: secret,
			webhookUrl: "http://127.0.0.1:9/webhooks/paystack",
			webhookTimeoutMs: 500,
		});
		const quiet = await startPaystackSandbox({ secretKey: secret, publicUrl: "http://pay.localhost:5455/" });
		try {
			const c = new PaystackClient({ baseUrl: sandbox.url, secretKey: secret });
			const init = await c.initializeTransaction({
				amountMinor: 100_000,
				currency: "NGN",
				email: "a@example.com",
				reference: "ref_down",
				callbackUrl: "http://127.0.0.1:8787/return",
			});
			expect(await completePayment(init.authorizationUrl)).toBe(
				"http://127.0.0.1:8787/return?trxref=ref_down&reference=ref_down",
			);
			expect((await c.verifyTransaction("ref_down")).status).toBe("success");
			const [hook] = await listWebhooks(sandbox.adminUrl);
			expect(hook).toMatchObject({ event: "charge.success", status: null, error: expect.any(String) });

			const q = new PaystackClient({ baseUrl: quiet.url, secretKey: secret });
			const qi = await q.initializeTransaction({
				amountMinor: 100_000,
				currency: "NGN",
				email: "a@example.com",
				reference: "ref_quiet",
				callbackUrl: "http://127.0.0.1:8787/return",
			});
			expect(qi.authorizationUrl).toMatch(/^http:\/\/pay\.localhost:5455\/checkout\//);
			await expect(sendEvent(quiet.adminUrl, { event: "charge.success", reference: "ref_quiet" })).rejects.toThrow(/400/);
		} finally {
			await sandbox.close();
			await quiet.close();
		}
	});
});
