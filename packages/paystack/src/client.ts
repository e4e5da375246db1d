import { z } from "zod";
import { PaymentRejectedError, PaymentResponseError, PaymentUnavailableError } from "./errors.ts";
import {
	type Bank,
	BankListEnvelope,
	ErrorEnvelope,
	envelope,
	InitializeData,
	type InitializedTransaction,
	InitializeTransactionInput,
	InitiateTransferInput,
	ListQuery,
	listEnvelope,
	type Page,
	type PageMeta,
	RecipientWire,
	type Refund,
	RefundInput,
	type RefundRequestWire,
	RefundWire,
	type ResolvedAccount,
	ResolvedAccountWire,
	type Transaction,
	TransactionStatus,
	TransactionWire,
	type Transfer,
	type TransferRecipient,
	TransferRecipientInput,
	type TransferRequestWire,
	TransferWire,
} from "./schemas.ts";

/**
 * What Oja needs from a payment provider: take a payment through a hosted page, check it,
 * refund it, pay sellers out, and list both for reconciliation. One implementation per
 * provider; the shapes are provider-neutral (integer minor units, string ids).
 */
export interface PaymentProvider {
	/** Starts a payment; send the customer to `authorizationUrl`. A reference is usable once. */
	initializeTransaction(input: InitializeTransactionInput): Promise<InitializedTransaction>;
	/** The payment's state as the provider sees it: the only thing to believe before fulfilling. */
	verifyTransaction(reference: string): Promise<Transaction>;
	listTransactions(query: ListQuery & { status?: "success" | "failed" | "abandoned" }): Promise<Page<Transaction>>;
	/** Partial refunds allowed; not retried on ambiguous failures (see PaymentUnavailableError.outcomeUnknown). */
	refund(input: RefundInput): Promise<Refund>;
	listRefunds(query: ListQuery & { transaction?: string }): Promise<Page<Refund>>;
	listBanks(query?: { country?: string }): Promise<Bank[]>;
	resolveAccount(input: { accountNumber: string; bankCode: string }): Promise<ResolvedAccount>;
	createTransferRecipient(input: TransferRecipientInput): Promise<TransferRecipient>;
	/** Pays a recipient from the balance. `reference` is the idempotency key: the same one never pays twice. */
	initiateTransfer(input: InitiateTransferInput): Promise<Transfer>;
	fetchTransfer(idOrCode: string): Promise<Transfer>;
	verifyTransfer(reference: string): Promise<Transfer>;
	listTransfers(query: ListQuery): Promise<Page<Transfer>>;
}

export interface PaystackClientOptions {
	secretKey: string;
	/** Default https://api.paystack.co (the sandbox's url locally). */
	baseUrl?: string;
	/** Per attempt, covering the response body too. Default 10 s. */
	timeoutMs?: number;
	/** Total tries for one call, the first included. Default 3. */
	maxAttempts?: number;
	/** The first retry waits about this long; each later one doubles it. Default 250 ms. */
	baseDelayMs?: number;
	/** No wait exceeds this, Retry-After included. Default 5 s. */
	maxDelayMs?: number;
	/** Injectable for tests (no real waiting) and for a custom transport. */
	sleep?: (ms: number) => Promise<void>;
	random?: () => number;
	fetch?: typeof fetch;
}

export const PAYSTACK_API_URL = "https://api.paystack.co";

/**
 * Which failures a call may repeat after.
 * - `any`: every transient failure (5xx, 429, 408, timeout, network). For reads, and for
 *   writes that carry our reference, which Paystack will not act on twice.
 * - `rate-limit`: only 429, an answer that says the request was not processed. For writes
 *   without an idempotency key, where a timeout or a 5xx may hide a request that went through.
 */
type RetryPolicy = "any" | "rate-limit";

type Failure = PaymentRejectedError | PaymentResponseError | PaymentUnavailableError;
type Attempt<T> = { ok: true; value: T } | { ok: false; error: Failure };

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | null {
	if (!header) return null;
	const seconds = Number(header);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const at = Date.parse(header);
	return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Zod issues by path and message only: values may hold emails and account numbers. */
function issuesOf(error: z.ZodError): string {
	return error.issues
		.slice(0, 5)
		.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
		.join("; ");
}

function input<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
	const parsed = schema.safeParse(value);
	if (parsed.success) return parsed.data;
	throw new PaymentRejectedError(`${what}: invalid input (${issuesOf(parsed.error)})`, "invalid_input", null, 0, null);
}

const DUPLICATE = /duplicate|already (exists|been used)/i;

/**
 * Paystack's messages are generic ("Invalid key", "Duplicate Transaction Reference"), but a
 * message that echoed input must not carry a key, an email or an account number into logs.
 */
function redact(message: string): string {
	return message
		.replace(/\b[sp]k_(?:test|live)_[A-Za-z0-9]+/g, "[key]")
		.replace(/[^\s@"'<>,;()]+@[^\s@"'<>,;()]+\.[^\s@"'<>,;()]+/g, "[email]")
		.replace(/\d{7,}/g, "[number]");
}

const toTransaction = (t: z.infer<typeof TransactionWire>): Transaction => ({
	id: String(t.id),
	reference: t.reference,
	status: t.status,
	amountMinor: t.amount,
	currency: t.currency,
	paidAt: t.paid_at ?? null,
	channel: t.channel ?? null,
	feesMinor: t.fees ?? null,
	metadata: t.metadata ?? null,
	customerEmail: t.customer?.email ?? null,
});

const toTransfer = (t: z.infer<typeof TransferWire>): Transfer => ({
	id: String(t.id),
	transferCode: t.transfer_code,
	reference: t.reference,
	status: t.status,
	amountMinor: t.amount,
	currency: t.currency,
	reason: t.reason ?? null,
	recipientCode: typeof t.recipient === "object" && t.recipient !== null ? t.recipient.recipient_code : null,
	transferredAt: t.transferred_at ?? null,
	createdAt: t.createdAt ?? t.created_at ?? null,
});

const toRefund = (r: z.infer<typeof RefundWire>): Refund => ({
	id: String(r.id),
	transactionId: String(r.transaction.id),
	transactionReference: r.transaction.reference,
	amountMinor: r.amount,
	currency: r.currency,
	status: r.status,
	createdAt: r.createdAt ?? null,
});

const toPage = <W, T>(body: { data: W[]; meta: PageMeta }, map: (w: W) => T): Page<T> => ({
	items: body.data.map(map),
	page: body.meta.page,
	perPage: body.meta.perPage,
	total: body.meta.total,
	pageCount: body.meta.pageCount,
});

function listParams(query: ListQuery & Record<string, string | number | undefined>): string {
	const params = new URLSearchParams();
	params.set("perPage", String(query.perPage ?? 50));
	params.set("page", String(query.page ?? 1));
	for (const [key, value] of Object.entries(query)) {
		if (value !== undefined && key !== "perPage" && key !== "page") params.set(key, String(value));
	}
	return params.toString();
}

/**
 * Paystack's REST API: `Authorization: Bearer <secret key>`, JSON, every answer an envelope
 * `{status, message, data}` (lists add `meta`), errors `{status: false, message}` with a 4xx.
 * Amounts go out and come back in minor units (kobo); they are parsed as safe integers.
 */
export class PaystackClient implements PaymentProvider {
	readonly #base: string;
	readonly #secretKey: string;
	readonly #timeoutMs: number;
	readonly #maxAttempts: number;
	readonly #baseDelayMs: number;
	readonly #maxDelayMs: number;
	readonly #sleep: (ms: number) => Promise<void>;
	readonly #random: () => number;
	readonly #fetch: typeof fetch;

	constructor(options: PaystackClientOptions) {
		if (!options.secretKey) throw new Error("PaystackClient: secretKey is required");
		this.#base = (options.baseUrl ?? PAYSTACK_API_URL).replace(/\/+$/, "");
		this.#secretKey = options.secretKey;
		this.#timeoutMs = options.timeoutMs ?? 10_000;
		this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
		this.#baseDelayMs = options.baseDelayMs ?? 250;
		this.#maxDelayMs = options.maxDelayMs ?? 5_000;
		this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
		this.#random = options.random ?? Math.random;
		// Unbound, a stored global fetch throws "Illegal invocation" in workerd.
		this.#fetch = options.fetch ?? ((request, init) => fetch(request, init));
	}

	async initializeTransaction(raw: InitializeTransactionInput): Promise<InitializedTransaction> {
		const i = input(InitializeTransactionInput, raw, "initializeTransaction");
		// Retrying is safe: Paystack refuses a reference it has already seen ("Duplicate
		// Transaction Reference"), so a lost answer can never become two payment pages. The
		// caller then starts a new attempt under a new reference.
		const data = await this.#call("POST", "/transaction/initialize", envelope(InitializeData), "any", {
			email: i.email,
			amount: i.amountMinor,
			currency: i.currency,
			reference: i.reference,
			callback_url: i.callbackUrl,
			...(i.metadata ? { metadata: i.metadata } : {}),
		});
		return { authorizationUrl: data.data.authorization_url, accessCode: data.data.access_code, reference: data.data.reference };
	}

	async verifyTransaction(reference: string): Promise<Transaction> {
		const path = `/transaction/verify/${encodeURIComponent(input(z.string().min(1).max(200), reference, "verifyTransaction"))}`;
		return toTransaction((await this.#call("GET", path, envelope(TransactionWire), "any")).data);
	}

	async listTransactions(query: ListQuery & { status?: "success" | "failed" | "abandoned" }): Promise<Page<Transaction>> {
		const q = input(ListQuery.extend({ status: TransactionStatus.optional() }), query, "listTransactions");
		const body = await this.#call("GET", `/transaction?${listParams(q)}`, listEnvelope(TransactionWire), "any");
		return toPage(body, toTransaction);
	}

	/**
	 * POST /refund carries no key of ours, so Paystack cannot tell a retry from a second
	 * refund, and partial refunds are allowed: a retry after a timeout or a 5xx (the refund may
	 * have been queued) could refund the customer twice. So a refund is retried only on 429
	 * (refused before processing); any other transient failure surfaces at once as a
	 * PaymentUnavailableError with `outcomeUnknown`, and the caller checks listRefunds first.
	 */
	async refund(raw: RefundInput): Promise<Refund> {
		const i = input(RefundInput, raw, "refund");
		const body: RefundRequestWire = { transaction: i.transaction };
		if (i.amountMinor !== undefined) body.amount = i.amountMinor;
		if (i.reason !== undefined) body.merchant_note = i.reason;
		return toRefund((await this.#call("POST", "/refund", envelope(RefundWire), "rate-limit", body)).data);
	}

	async listRefunds(query: ListQuery & { transaction?: string }): Promise<Page<Refund>> {
		const q = input(ListQuery.extend({ transaction: z.string().min(1).max(200).optional() }), query, "listRefunds");
		return toPage(await this.#call("GET", `/refund?${listParams(q)}`, listEnvelope(RefundWire), "any"), toRefund);
	}

	async listBanks(query: { country?: string } = {}): Promise<Bank[]> {
		const country = input(z.string().regex(/^[a-z ]{2,40}$/), query.country ?? "nigeria", "listBanks");
		const body = await this.#call("GET", `/bank?${new URLSearchParams({ country, perPage: "100" })}`, BankListEnvelope, "any");
		return body.data.map((b) => ({ name: b.name, code: b.code, slug: b.slug, currency: b.currency, active: b.active }));
	}

	async resolveAccount(query: { accountNumber: string; bankCode: string }): Promise<ResolvedAccount> {
		const q = input(TransferRecipientInput.pick({ accountNumber: true, bankCode: true }), query, "resolveAccount");
		const params = new URLSearchParams({ account_number: q.accountNumber, bank_code: q.bankCode });
		const { data } = await this.#call("GET", `/bank/resolve?${params}`, envelope(ResolvedAccountWire), "any");
		return { accountNumber: data.account_number, accountName: data.account_name };
	}

	/**
	 * Retried like a read: a recipient is only an address-book entry, so a repeat yields at
	 * worst a second entry for the same account (the sandbox answers with the existing one),
	 * and no money moves.
	 */
	async createTransferRecipient(raw: TransferRecipientInput): Promise<TransferRecipient> {
		const i = input(TransferRecipientInput, raw, "createTransferRecipient");
		const { data } = await this.#call("POST", "/transferrecipient", envelope(RecipientWire), "any", {
			type: "nuban",
			name: i.name,
			account_number: i.accountNumber,
			bank_code: i.bankCode,
			currency: i.currency,
		});
		return {
			recipientCode: data.recipient_code,
			name: data.name,
			accountNumber: data.details.account_number ?? null,
			bankCode: data.details.bank_code ?? null,
			bankName: data.details.bank_name ?? null,
		};
	}

	/**
	 * Retried on every transient failure: our reference makes a repeat harmless. Should Paystack
	 * answer a repeat with "duplicate reference" instead of the transfer (a retry after the
	 * first attempt went through, or a payout re-run after a crash), the existing transfer is
	 * fetched by reference and returned when it is the same payout; a different payout under
	 * the same reference is refused (reference_conflict).
	 */
	async initiateTransfer(raw: InitiateTransferInput): Promise<Transfer> {
		const i = input(InitiateTransferInput, raw, "initiateTransfer");
		const body: TransferRequestWire = {
			source: "balance",
			amount: i.amountMinor,
			recipient: i.recipientCode,
			reference: i.reference,
			reason: i.reason,
		};
		if (i.currency) body.currency = i.currency;
		try {
			return toTransfer((await this.#call("POST", "/transfer", envelope(TransferWire), "any", body)).data);
		} catch (error) {
			if (!(error instanceof PaymentRejectedError) || !DUPLICATE.test(error.providerMessage ?? "")) throw error;
			const existing = await this.verifyTransfer(i.reference);
			const sameRecipient = existing.recipientCode === null || existing.recipientCode === i.recipientCode;
			if (existing.amountMinor === i.amountMinor && sameRecipient) return existing;
			throw new PaymentRejectedError(
				"POST /transfer: the reference was used for a different transfer",
				"reference_conflict",
				error.status,
				error.attempts,
				error.providerMessage,
			);
		}
	}

	async fetchTransfer(idOrCode: string): Promise<Transfer> {
		const path = `/transfer/${encodeURIComponent(input(z.string().min(1).max(100), idOrCode, "fetchTransfer"))}`;
		return toTransfer((await this.#call("GET", path, envelope(TransferWire), "any")).data);
	}

	async verifyTransfer(reference: string): Promise<Transfer> {
		const path = `/transfer/verify/${encodeURIComponent(input(z.string().min(1).max(200), reference, "verifyTransfer"))}`;
		return toTransfer((await this.#call("GET", path, envelope(TransferWire), "any")).data);
	}

	async listTransfers(query: ListQuery): Promise<Page<Transfer>> {
		const q = input(ListQuery, query, "listTransfers");
		return toPage(await this.#call("GET", `/transfer?${listParams(q)}`, listEnvelope(TransferWire), "any"), toTransfer);
	}

	/**
	 * The wait before retry number `attempt` (1-based): exponential, with "equal jitter" (half
	 * fixed, half random) so clients that failed together do not retry together, yet every
	 * retry still backs off. A Retry-After is honoured up to maxDelayMs.
	 */
	backoffMs(attempt: number, retryAfter: number | null = null): number {
		const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
		const jittered = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
		return Math.min(this.#maxDelayMs, Math.max(jittered, retryAfter ?? 0));
	}

	async #call<T>(method: "GET" | "POST", path: string, schema: z.ZodType<T>, policy: RetryPolicy, body?: unknown): Promise<T> {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		for (let attempt = 1; ; attempt++) {
			const result = await this.#attempt(method, path, schema, payload, attempt, policy);
			if (result.ok) return result.value;
			const { error } = result;
			if (!(error instanceof PaymentUnavailableError) || attempt >= this.#maxAttempts) throw error;
			if (policy === "rate-limit" && error.status !== 429) throw error;
			await this.#sleep(this.backoffMs(attempt, error.retryAfterMs));
		}
	}

	async #attempt<T>(
		method: "GET" | "POST",
		path: string,
		schema: z.ZodType<T>,
		payload: string | undefined,
		attempt: number,
		policy: RetryPolicy,
	): Promise<Attempt<T>> {
		// The path without its query: queries can hold account numbers.
		const what = `${method} ${path.split("?")[0]}`;
		let res: Response;
		let text: string;
		try {
			const headers: Record<string, string> = { authorization: `Bearer ${this.#secretKey}`, accept: "application/json" };
			if (payload !== undefined) headers["content-type"] = "application/json";
			// One signal for the whole exchange: headers then a stalled body time out too.
			res = await this.#fetch(`${this.#base}${path}`, {
				method,
				headers,
				body: payload,
				signal: AbortSignal.timeout(this.#timeoutMs),
			});
			text = await res.text();
		} catch (cause) {
			const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
			return {
				ok: false,
				error: new PaymentUnavailableError(
					timedOut ? `${what}: no answer within ${this.#timeoutMs} ms` : `${what}: Paystack unreachable`,
					timedOut ? "timeout" : "network",
					null,
					attempt,
					null,
					policy === "rate-limit",
				),
			};
		}

		if (!res.ok) {
			let envelope: ErrorEnvelope | undefined;
			try {
				envelope = ErrorEnvelope.safeParse(JSON.parse(text)).data;
			} catch {
				envelope = undefined;
			}
			const providerMessage = envelope ? redact(envelope.message) : null;
			const message = `${what} answered ${res.status}${providerMessage ? `: ${providerMessage}` : ""}`;
			if (RETRYABLE_STATUS(res.status)) {
				return {
					ok: false,
					error: new PaymentUnavailableError(
						message,
						envelope?.code ?? `http_${res.status}`,
						res.status,
						attempt,
						retryAfterMs(res.headers.get("retry-after")),
						// A 429 is a refusal; anything else may have been processed.
						policy === "rate-limit" && res.status !== 429,
					),
				};
			}
			const code = DUPLICATE.test(providerMessage ?? "") ? "duplicate_reference" : (envelope?.code ?? "rejected");
			return { ok: false, error: new PaymentRejectedError(message, code, res.status, attempt, providerMessage) };
		}

		let json: unknown;
		try {
			json = JSON.parse(text);
		} catch {
			return {
				ok: false,
				error: new PaymentResponseError(
					`${what} answered ${res.status} with non-JSON`,
					"malformed_response",
					res.status,
					attempt,
				),
			};
		}
		const parsed = schema.safeParse(json);
		if (!parsed.success) {
			return {
				ok: false,
				error: new PaymentResponseError(
					`${what} answered ${res.status} with an unexpected body: ${issuesOf(parsed.error)}`,
					"malformed_response",
					res.status,
					attempt,
				),
			};
		}
		return { ok: true, value: parsed.data };
	}
}
