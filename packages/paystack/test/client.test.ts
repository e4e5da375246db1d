import { describe, expect, it } from "vitest";
import {
	PaymentRejectedError,
	PaymentResponseError,
	PaymentUnavailableError,
	PaystackClient,
	type PaystackClientOptions,
} from "../src/index.ts";

const SECRET = "sk_test_client_unit";

const transaction = {
	id: 4099260516,
	domain: "test",
	status: "success",
	reference: "ord_1_a1",
	amount: 1_250_000,
	currency: "NGN",
	paid_at: "2026-11-30T10:00:05.000Z",
	created_at: "2026-11-30T10:00:00.000Z",
	channel: "card",
	gateway_response: "Successful",
	fees: 28_750,
	metadata: { store_id: "sto_1", order_id: "ord_1" },
	customer: { id: 1, email: "ada@example.com", customer_code: "CUS_1" },
};
const transfer = {
	id: 14,
	transfer_code: "TRF_1ptvuv321ahaa7q",
	reference: "pay_1",
	status: "pending",
	amount: 3_794_800,
	currency: "NGN",
	reason: "Payout",
	recipient: 28,
	createdAt: "2026-11-30T10:00:00.000Z",
};
const ok = (data: unknown, message = "ok") => Response.json({ status: true, message, data });
const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
	Response.json({ status: false, message }, { status, headers });

/** A client over a scripted fetch: each call takes the next answer (a Response, an Error to throw, or "hang"). */
function scripted(answers: (Response | Error | "hang")[], options: Partial<PaystackClientOptions> = {}) {
	const calls: { url: string; init: RequestInit | undefined }[] = [];
	const sleeps: number[] = [];
	const client = new PaystackClient({
		baseUrl: "https://api.paystack.example/",
		secretKey: SECRET,
		random: () => 0.5,
		sleep: async (ms) => {
			sleeps.push(ms);
		},
		fetch: async (input, init) => {
			calls.push({ url: String(input), init });
			const next = answers.shift();
			if (!next) throw new Error("no more scripted answers");
			if (next === "hang") {
				return new Promise<Response>((_, reject) => {
					init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
				});
			}
			if (next instanceof Error) throw next;
			return next;
		},
		...options,
	});
	const body = (i: number): unknown => JSON.parse(String(calls[i]?.init?.body));
	const header = (i: number, name: string) => new Headers(calls[i]?.init?.headers).get(name);
	return { client, calls, sleeps, body, header };
}

const initInput = {
	amountMinor: 1_250_000,
	currency: "NGN",
	email: "ada@example.com",
	reference: "ord_1_a1",
	callbackUrl: "https://shop.example/checkout/return",
	metadata: { store_id: "sto_1", order_id: "ord_1", store_name: "Ada's" },
};

describe("PaystackClient request shapes", () => {
	it("initializes with the amount in kobo, our reference and metadata, under the Bearer key", async () => {
		const s = scripted([
			ok({ authorization_url: "https://checkout.paystack.com/0peioxfhpn", access_code: "0peioxfhpn", reference: "ord_1_a1" }),
		]);
		expect(await s.client.initializeTransaction(initInput)).toEqual({
			authorizationUrl: "https://checkout.paystack.com/0peioxfhpn",
			accessCode: "0peioxfhpn",
			reference: "ord_1_a1",
		});
		expect(s.calls[0]?.url).toBe("https://api.paystack.example/transaction/initialize");
		expect(s.calls[0]?.init?.method).toBe("POST");
		expect(s.header(0, "authorization")).toBe(`Bearer ${SECRET}`);
		expect(s.header(0, "content-type")).toBe("application/json");
		expect(s.body(0)).toEqual({
			email: "ada@example.com",
			amount: 1_250_000,
			currency: "NGN",
			reference: "ord_1_a1",
			callback_url: "https://shop.example/checkout/return",
			metadata: { store_id: "sto_1", order_id: "ord_1", store_name: "Ada's" },
		});
	});

	it("refuses bad input before sending anything, without echoing it", async () => {
		const s = scripted([]);
		const error = await s.client
			.initializeTransaction({ ...initInput, amountMinor: 12.5, email: "not-an-email" })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentRejectedError);
		expect(error).toMatchObject({ code: "invalid_input", attempts: 0 });
		expect((error as Error).message).toContain("amountMinor");
		expect((error as Error).message).not.toContain("not-an-email");
		await expect(s.client.initializeTransaction({ ...initInput, reference: "Has Spaces" })).rejects.toMatchObject({
			code: "invalid_input",
		});
		// Paystack wants transfer references in lowercase.
		await expect(
			s.client.initiateTransfer({ amountMinor: 1, recipientCode: "RCP_1", reference: "pay_01HXABC", reason: "x" }),
		).rejects.toMatchObject({ code: "invalid_input" });
		expect(s.calls).toHaveLength(0);
	});

	it("verifies by reference and maps the transaction to minor units", async () => {
		const s = scripted([ok(transaction, "Verification successful")]);
		expect(await s.client.verifyTransaction("ord_1_a1")).toEqual({
			id: "4099260516",
			reference: "ord_1_a1",
			status: "success",
			amountMinor: 1_250_000,
			currency: "NGN",
			paidAt: "2026-11-30T10:00:05.000Z",
			channel: "card",
			feesMinor: 28_750,
			metadata: { store_id: "sto_1", order_id: "ord_1" },
			customerEmail: "ada@example.com",
		});
		expect(s.calls[0]?.url).toBe("https://api.paystack.example/transaction/verify/ord_1_a1");
		expect(s.calls[0]?.init?.method).toBe("GET");
		expect(s.calls[0]?.init?.body).toBeUndefined();
	});

	it("reads Paystack's 'no metadata' forms (\"\", 0) as null, and an abandoned payment", async () => {
		const s = scripted([ok({ ...transaction, status: "abandoned", metadata: "", paid_at: null, fees: null })]);
		expect(await s.client.verifyTransaction("ord_1_a1")).toMatchObject({
			status: "abandoned",
			metadata: null,
			paidAt: null,
			feesMinor: null,
		});
	});

	it("lists transactions and transfers with the page query and meta", async () => {
		const meta = { total: 3, skipped: 0, perPage: 2, page: 1, pageCount: 2 };
		const s = scripted([
			Response.json({ status: true, message: "Transactions retrieved", data: [transaction, transaction], meta }),
			Response.json({ status: true, message: "Transfers retrieved", data: [transfer], meta: { ...meta, perPage: "2" } }),
		]);
		const page = await s.client.listTransactions({
			from: "2026-11-01",
			to: "2026-11-30",
			page: 1,
			perPage: 2,
			status: "success",
		});
		expect(page).toMatchObject({ page: 1, perPage: 2, total: 3, pageCount: 2 });
		expect(page.items).toHaveLength(2);
		const url = new URL(s.calls[0]?.url ?? "");
		expect(url.pathname).toBe("/transaction");
		expect(Object.fromEntries(url.searchParams)).toEqual({
			perPage: "2",
			page: "1",
			from: "2026-11-01",
			to: "2026-11-30",
			status: "success",
		});
		const transfers = await s.client.listTransfers({ from: "2026-11-01", to: "2026-11-30", page: 1, perPage: 2 });
		expect(transfers.perPage).toBe(2);
		expect(transfers.items[0]).toMatchObject({ transferCode: "TRF_1ptvuv321ahaa7q", amountMinor: 3_794_800 });
		expect(new URL(s.calls[1]?.url ?? "").pathname).toBe("/transfer");
	});

	it("refunds part of a transaction by reference", async () => {
		const s = scripted([
			ok(
				{
					id: 3018284,
					transaction: { id: 4099260516, reference: "ord_1_a1", amount: 1_250_000 },
					amount: 500_000,
					currency: "NGN",
					status: "pending",
					deducted_amount: 0,
					createdAt: "2026-11-30T11:00:00.000Z",
				},
				"Refund has been queued for processing",
			),
		]);
		expect(await s.client.refund({ transaction: "ord_1_a1", amountMinor: 500_000, reason: "one item out of stock" })).toEqual({
			id: "3018284",
			transactionId: "4099260516",
			transactionReference: "ord_1_a1",
			amountMinor: 500_000,
			currency: "NGN",
			status: "pending",
			createdAt: "2026-11-30T11:00:00.000Z",
		});
		expect(s.calls[0]?.url).toBe("https://api.paystack.example/refund");
		expect(s.body(0)).toEqual({ transaction: "ord_1_a1", amount: 500_000, merchant_note: "one item out of stock" });
	});

	it("lists banks, resolves an account and creates a nuban recipient", async () => {
		const s = scripted([
			ok([
				{
					id: 9,
					name: "Guaranty Trust Bank",
					slug: "guaranty-trust-bank",
					code: "058",
					longcode: "058152036",
					country: "Nigeria",
					currency: "NGN",
					type: "nuban",
					active: true,
					is_deleted: null,
				},
			]),
			ok({ account_number: "0001234567", account_name: "ADA EZE", bank_id: 9 }),
			ok({
				id: 28,
				recipient_code: "RCP_2x5j67tnnw1t98k",
				type: "nuban",
				name: "Ada Eze",
				currency: "NGN",
				active: true,
				details: { account_number: "0001234567", account_name: "ADA EZE", bank_code: "058", bank_name: "Guaranty Trust Bank" },
			}),
		]);
		expect(await s.client.listBanks({ country: "nigeria" })).toEqual([
			{ name: "Guaranty Trust Bank", code: "058", slug: "guaranty-trust-bank", currency: "NGN", active: true },
		]);
		expect(new URL(s.calls[0]?.url ?? "").search).toBe("?country=nigeria&perPage=100");
		expect(await s.client.resolveAccount({ accountNumber: "0001234567", bankCode: "058" })).toEqual({
			accountNumber: "0001234567",
			accountName: "ADA EZE",
		});
		expect(s.calls[1]?.url).toBe("https://api.paystack.example/bank/resolve?account_number=0001234567&bank_code=058");
		expect(
			await s.client.createTransferRecipient({ name: "Ada Eze", accountNumber: "0001234567", bankCode: "058", currency: "NGN" }),
		).toMatchObject({ recipientCode: "RCP_2x5j67tnnw1t98k", bankName: "Guaranty Trust Bank" });
		expect(s.body(2)).toEqual({
			type: "nuban",
			name: "Ada Eze",
			account_number: "0001234567",
			bank_code: "058",
			currency: "NGN",
		});
	});

	it("initiates a transfer from the balance under our reference", async () => {
		const s = scripted([ok(transfer, "Transfer has been queued")]);
		expect(
			await s.client.initiateTransfer({ amountMinor: 3_794_800, recipientCode: "RCP_1", reference: "pay_1", reason: "Payout" }),
		).toMatchObject({ id: "14", transferCode: "TRF_1ptvuv321ahaa7q", reference: "pay_1", status: "pending" });
		expect(s.calls[0]?.url).toBe("https://api.paystack.example/transfer");
		expect(s.body(0)).toEqual({ source: "balance", amount: 3_794_800, recipient: "RCP_1", reference: "pay_1", reason: "Payout" });
	});

	it("answers a duplicate transfer reference with the existing transfer, if it is the same payout", async () => {
		const existing = { ...transfer, recipient: { id: 28, recipient_code: "RCP_1" } };
		const s = scripted([fail(400, "Duplicate Transfer Reference"), ok(existing)]);
		const input = { amountMinor: 3_794_800, recipientCode: "RCP_1", reference: "pay_1", reason: "Payout" };
		expect((await s.client.initiateTransfer(input)).transferCode).toBe("TRF_1ptvuv321ahaa7q");
		expect(s.calls[1]?.url).toBe("https://api.paystack.example/transfer/verify/pay_1");
		const other = scripted([fail(400, "Duplicate Transfer Reference"), ok(existing)]);
		await expect(other.client.initiateTransfer({ ...input, amountMinor: 1 })).rejects.toMatchObject({
			name: "PaymentRejectedError",
			code: "reference_conflict",
		});
	});

	it("escapes ids and references into the path", async () => {
		const s = scripted([ok(transfer), ok(transaction)]);
		await s.client.fetchTransfer("TRF/1?x");
		expect(s.calls[0]?.url).toBe("https://api.paystack.example/transfer/TRF%2F1%3Fx");
		await s.client.verifyTransaction("a b");
		expect(s.calls[1]?.url).toBe("https://api.paystack.example/transaction/verify/a%20b");
	});
});

describe("PaystackClient failures", () => {
	it("retries 5xx with growing, jittered waits, then succeeds", async () => {
		const s = scripted([fail(503, "down"), fail(502, "down"), ok(transaction)]);
		expect((await s.client.verifyTransaction("ord_1_a1")).status).toBe("success");
		expect(s.calls).toHaveLength(3);
		// Equal jitter with random() = 0.5: three quarters of 250 ms, then of 500 ms.
		expect(s.sleeps).toEqual([188, 375]);
	});

	it("honours Retry-After on 429", async () => {
		const s = scripted([fail(429, "Too many requests", { "retry-after": "2" }), ok(transaction)]);
		await s.client.verifyTransaction("ord_1_a1");
		expect(s.sleeps).toEqual([2000]);
	});

	it("never retries a 4xx, and keeps Paystack's message", async () => {
		const s = scripted([fail(400, "Transaction reference not found")]);
		const error = await s.client.verifyTransaction("nope").catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentRejectedError);
		expect(error).toMatchObject({
			retryable: false,
			status: 400,
			attempts: 1,
			providerMessage: "Transaction reference not found",
		});
		expect(s.calls).toHaveLength(1);
		const dup = scripted([fail(400, "Duplicate Transaction Reference")]);
		await expect(dup.client.initializeTransaction(initInput)).rejects.toMatchObject({ code: "duplicate_reference", status: 400 });
	});

	it("gives up after maxAttempts with a retryable error that leaks neither key nor email", async () => {
		const s = scripted([new TypeError("fetch failed"), fail(500, "oops"), new TypeError("fetch failed")]);
		const error = await s.client.initializeTransaction(initInput).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentUnavailableError);
		expect(error).toMatchObject({ retryable: true, code: "network", status: null, attempts: 3, outcomeUnknown: false });
		expect(s.calls).toHaveLength(3);
		expect(String(error)).not.toContain(SECRET);
		expect(String(error)).not.toContain("ada@example.com");
	});

	it("keeps account numbers in a query out of error messages", async () => {
		const s = scripted([fail(422, "Could not resolve account name. Check parameters or try again.")]);
		const error = await s.client.resolveAccount({ accountNumber: "0000000000", bankCode: "058" }).catch((e: unknown) => e);
		expect(error).toMatchObject({ status: 422, providerMessage: expect.stringContaining("Could not resolve") });
		expect((error as Error).message).not.toContain("0000000000");
	});

	it("redacts keys, emails and long numbers a provider message might echo", async () => {
		const s = scripted([fail(400, "Invalid key sk_live_abc123 for ada@example.com, account 0123456789")]);
		const error = await s.client.verifyTransaction("x").catch((e: unknown) => e);
		expect(error).toMatchObject({ providerMessage: "Invalid key [key] for [email], account [number]" });
		expect((error as Error).message).toBe(
			"GET /transaction/verify/x answered 400: Invalid key [key] for [email], account [number]",
		);
	});

	it("times each attempt out and retries it", async () => {
		const s = scripted(["hang", ok(transaction)], { timeoutMs: 20 });
		expect((await s.client.verifyTransaction("ord_1_a1")).reference).toBe("ord_1_a1");
		expect(s.calls).toHaveLength(2);
		const stuck = scripted(["hang", "hang"], { timeoutMs: 20, maxAttempts: 2 });
		await expect(stuck.client.verifyTransaction("ord_1_a1")).rejects.toMatchObject({
			name: "PaymentUnavailableError",
			code: "timeout",
		});
	});

	it("does not retry a refund after a 5xx or a timeout (it may have gone through), only after a 429", async () => {
		const refund = {
			id: 1,
			transaction: { id: 2, reference: "ord_1_a1" },
			amount: 100,
			currency: "NGN",
			status: "pending",
		};
		const s = scripted([fail(502, "bad gateway")]);
		const error = await s.client.refund({ transaction: "ord_1_a1" }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PaymentUnavailableError);
		expect(error).toMatchObject({ status: 502, attempts: 1, outcomeUnknown: true });
		expect(s.calls).toHaveLength(1);
		const hung = scripted(["hang"], { timeoutMs: 20 });
		await expect(hung.client.refund({ transaction: "ord_1_a1" })).rejects.toMatchObject({
			code: "timeout",
			outcomeUnknown: true,
		});
		const limited = scripted([fail(429, "slow down"), ok(refund)]);
		expect((await limited.client.refund({ transaction: "ord_1_a1" })).id).toBe("1");
		expect(limited.calls).toHaveLength(2);
	});

	it("refuses a 2xx that breaks the contract, without retrying", async () => {
		const cases: unknown[] = [
			{ status: true, message: "ok", data: { ...transaction, amount: 12500.5 } },
			{ status: true, message: "ok", data: { ...transaction, amount: -1 } },
			{ status: true, message: "ok", data: { ...transaction, amount: 2 ** 60 } },
			{ status: true, message: "ok", data: { ...transaction, status: "teleported" } },
			{ status: false, message: "odd" },
			{ data: transaction },
		];
		for (const body of cases) {
			const s = scripted([Response.json(body)]);
			const error = await s.client.verifyTransaction("ord_1_a1").catch((e: unknown) => e);
			expect(error).toBeInstanceOf(PaymentResponseError);
			expect(error).toMatchObject({ retryable: false, code: "malformed_response", status: 200 });
			expect(s.calls).toHaveLength(1);
		}
		const html = scripted([new Response("<html>", { status: 200 })]);
		await expect(html.client.verifyTransaction("ord_1_a1")).rejects.toThrow(/non-JSON/);
	});

	it("keeps every wait between half and all of the exponential ceiling, capped", () => {
		const low = new PaystackClient({ secretKey: "k", random: () => 0, maxDelayMs: 1000 });
		const high = new PaystackClient({ secretKey: "k", random: () => 0.999999, maxDelayMs: 1000 });
		expect([1, 2, 3, 4, 5].map((n) => low.backoffMs(n))).toEqual([125, 250, 500, 500, 500]);
		expect([1, 2, 3, 4, 5].map((n) => high.backoffMs(n))).toEqual([250, 500, 1000, 1000, 1000]);
		expect(low.backoffMs(1, 800)).toBe(800);
		expect(low.backoffMs(1, 60_000)).toBe(1000);
	});

	it("defaults to Paystack's production API", async () => {
		const calls: string[] = [];
		const client = new PaystackClient({
			secretKey: "k",
			fetch: async (input) => {
				calls.push(String(input));
				return ok(transaction);
			},
		});
		await client.verifyTransaction("ord_1_a1");
		expect(calls).toEqual(["https://api.paystack.co/transaction/verify/ord_1_a1"]);
		expect(() => new PaystackClient({ secretKey: "" })).toThrow(/secretKey/);
	});
});
