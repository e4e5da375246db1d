// @oja/paystack-sandbox: a local stand-in for Paystack, so tests and `npm start` take
// payments, refund them and pay sellers out without a network or a Paystack account. It
// serves what @oja/paystack's PaystackClient speaks, with Paystack's envelopes and error
// shapes, plus the hosted payment page and an admin API that plays Paystack's side.
//
//   Every API call needs `Authorization: Bearer <secretKey>` (401 {status:false, message} otherwise).
//   POST /transaction/initialize      {email, amount, currency?, reference?, callback_url?, metadata?}
//                                     → {authorization_url, access_code, reference}; a reference seen
//                                     before → 400 "Duplicate Transaction Reference"
//   GET  /transaction/verify/{ref}    → the transaction ("abandoned" until paid; 400 if unknown)
//   GET  /transaction[?from&to&page&perPage&status]    GET /transaction/{id}
//   POST /refund                      {transaction (reference or id), amount?, merchant_note?} → the refund,
//                                     "pending"; partial refunds add up, never past the amount paid
//   GET  /refund[?transaction&from&to&page&perPage]
//   GET  /bank[?country=nigeria]      → a few real Nigerian banks with their real codes
//   GET  /bank/resolve?account_number&bank_code → a made-up name, the same for the same number;
//                                     UNRESOLVABLE_ACCOUNT (0000000000) → 422, as Paystack answers
//   POST /transferrecipient           {type: "nuban", name, account_number, bank_code, currency?}
//                                     → the recipient (the same account again → the same recipient)
//   POST /transfer                    {source: "balance", amount, recipient, reference, reason?}
//                                     → the transfer, "pending"; the same reference again → the same
//                                     transfer (never a second one); with other details → 400
//   GET  /transfer/{id or code}       GET /transfer/verify/{reference}    GET /transfer[?from&to&page&perPage]
//
//   Hosted page (no auth, plain HTML forms): GET /checkout/{access_code} shows the amount and the
//   store (metadata.store_name); POST …/pay marks the transaction success, POSTs a signed
//   charge.success to webhookUrl, then 303s to callback_url?reference=…&trxref=…; POST …/decline
//   marks it failed (no webhook) and redirects the same way.
//
//   Admin (no auth; loopback only), under /_admin (typed helpers in ./admin.ts):
//   GET  /_admin/transactions[?reference]  /_admin/transfers[?reference]  /_admin/refunds[?reference]
//   POST /_admin/events {event, reference | transfer | refundId, url?, times?, concurrent?, delayMs?,
//        tamper?, apply?} → sends the event for that object (times copies of one body; at once or one
//        after another; after a delay; signed with the wrong key) and answers {deliveries}
//   GET  /_admin/webhooks → every webhook sent: exact body, signature, target status or error
//   POST /_admin/fail {path, method?, status?, delayMs?, drop?, retryAfter?, times?} → the next `times`
//        matching API calls answer `status`, answer late (after acting), or drop the connection
//   GET  /_admin/requests   POST /_admin/reset
//
// Webhooks are signed here with node:crypto, independently of the client's WebCrypto verifier,
// so the two check each other in tests. A webhook target that refuses or is down is logged,
// recorded and not retried: the sandbox never crashes on it.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
	InitializeRequestWire,
	PAYSTACK_SIGNATURE_HEADER,
	RecipientRequestWire,
	RefundRequestWire,
	TransferRequestWire,
} from "@oja/paystack";
import { z } from "zod";
import type {
	FailureRule,
	LoggedRequest,
	SandboxEventType,
	SandboxRefund,
	SandboxTransaction,
	SandboxTransfer,
	WebhookDelivery,
} from "./admin.ts";

export type {
	FailureRule,
	LoggedRequest,
	SandboxEventType,
	SandboxRefund,
	SandboxTransaction,
	SandboxTransfer,
	SendEventOptions,
	WebhookDelivery,
} from "./admin.ts";

import { BodyTooLarge, escapeHtml, readBody, sendJson as send } from "@oja/sandbox-http";

/** The secret key `npm start` uses; tests make a fresh one per run. Local only: Paystack knows no such key. */
export const SANDBOX_SECRET_KEY = "sk_test_oja_local_sandbox_not_a_paystack_key";
/** Where `npm start` runs it (PAYSTACK_SANDBOX_PORT overrides). */
export const PAYSTACK_SANDBOX_PORT = 5455;
/** An account number that never resolves (Paystack's 422), for testing that path. */
export const UNRESOLVABLE_ACCOUNT = "0000000000";

export interface PaystackSandboxOptions {
	/** The only key the API accepts, and the key webhooks are signed with (as on Paystack). */
	secretKey: string;
	/** Where webhooks go (Paystack's dashboard setting). Absent: none are sent unless an admin call names a URL. */
	webhookUrl?: string;
	/** 0 or absent: any free port. */
	port?: number;
	/** The origin browsers reach the sandbox at, for authorization_url. Default: the URL it listens on. */
	publicUrl?: string;
	/** How long a webhook target gets to answer. Default 5 s. */
	webhookTimeoutMs?: number;
}

export interface PaystackSandbox {
	/** The API base to give the client (PaystackClient's baseUrl; PAYSTACK_API_URL). */
	url: string;
	/** Where the admin endpoints live (…/_admin). */
	adminUrl: string;
	close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const MAX_OBJECTS = 10_000;
const INTEGRATION = 100073;

/** A few real Nigerian banks with their real (CBN/NIBSS) codes. */
export const SANDBOX_BANKS = [
	{ id: 1, name: "Access Bank", slug: "access-bank", code: "044", longcode: "044150149" },
	{ id: 2, name: "Fidelity Bank", slug: "fidelity-bank", code: "070", longcode: "070150003" },
	{ id: 3, name: "First Bank of Nigeria", slug: "first-bank-of-nigeria", code: "011", longcode: "011151003" },
	{ id: 4, name: "Guaranty Trust Bank", slug: "guaranty-trust-bank", code: "058", longcode: "058152036" },
	{ id: 5, name: "Kuda Bank", slug: "kuda-bank", code: "50211", longcode: "" },
	{ id: 6, name: "Sterling Bank", slug: "sterling-bank", code: "232", longcode: "232150016" },
	{ id: 7, name: "United Bank For Africa", slug: "united-bank-for-africa", code: "033", longcode: "033153513" },
	{ id: 8, name: "Zenith Bank", slug: "zenith-bank", code: "057", longcode: "057150013" },
] as const;

const FIRST_NAMES = ["ADAEZE", "TUNDE", "AMAKA", "MUSA", "CHIDI", "FOLAKE", "IBRAHIM", "NGOZI"];
const LAST_NAMES = ["OKAFOR", "BAKARE", "OBI", "IBRAHIM", "EZE", "ADEYEMI", "BELLO", "NWOSU"];

/** Paystack's local card pricing: 1.5%, plus ₦100 from ₦2,500, capped at ₦2,000 (all in kobo). */
export function sandboxFee(amount: number): number {
	return Math.min(200_000, Math.round(amount * 0.015) + (amount >= 250_000 ? 10_000 : 0));
}

const SYMBOLS: Record<string, string> = { NGN: "₦", GHS: "GH₵", KES: "KSh ", ZAR: "R", USD: "$" };

/** 1250000 NGN → "₦12,500.00": integer arithmetic, no floats. */
export function formatMinor(amount: number, currency: string): string {
	const major = Math.floor(amount / 100)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	const minor = String(amount % 100).padStart(2, "0");
	return `${SYMBOLS[currency] ?? `${currency} `}${major}.${minor}`;
}

const InitializeBody = InitializeRequestWire.extend({
	// Paystack documents metadata as a stringified JSON object; most clients send the object.
	metadata: z.preprocess((value) => {
		if (typeof value !== "string") return value;
		try {
			return JSON.parse(value);
		} catch {
			return value;
		}
	}, z.record(z.string(), z.unknown()).optional()),
});

const SendEventBody = z.object({
	event: z.enum([
		"charge.success",
		"transfer.success",
		"transfer.failed",
		"transfer.reversed",
		"refund.processed",
		"refund.failed",
	]),
	reference: z.string().min(1).max(200).optional(),
	transfer: z.string().min(1).max(200).optional(),
	refundId: z.number().int().positive().optional(),
	url: z.url({ protocol: /^https?$/ }).optional(),
	times: z.number().int().positive().max(100).default(1),
	concurrent: z.boolean().default(false),
	delayMs: z.number().int().nonnegative().max(60_000).optional(),
	tamper: z.boolean().default(false),
	apply: z.boolean().default(true),
});
const FailBody = z
	.object({
		path: z.string().regex(/^\/[a-z]/, { message: "path must be an API path such as /transaction/initialize" }),
		method: z.enum(["GET", "POST"]).optional(),
		status: z.number().int().min(400).max(599).optional(),
		delayMs: z.number().int().positive().max(60_000).optional(),
		drop: z.boolean().optional(),
		retryAfter: z.number().int().nonnegative().max(3600).optional(),
		times: z.number().int().positive().max(1000).default(1),
	})
	.refine((r) => r.status !== undefined || r.delayMs !== undefined || r.drop === true, {
		message: "give status, delayMs or drop",
	});

interface Recipient {
	id: number;
	recipient_code: string;
	name: string;
	currency: string;
	accountNumber: string;
	accountName: string;
	bankCode: string;
	bankName: string;
	createdAt: string;
}

/** An answer Paystack would give: `{status: false, message}` with a 4xx/5xx. */
class PaystackError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
	if (res.destroyed || res.headersSent) return;
	res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
	res.end(html);
}

/** The body, or this provider's 413 past MAX_BODY. */
function readText(req: IncomingMessage): Promise<string> {
	return readBody(req, MAX_BODY).catch((error: unknown) => {
		throw error instanceof BodyTooLarge ? new PaystackError(413, error.message) : error;
	});
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const text = await readText(req);
	try {
		return JSON.parse(text);
	} catch {
		throw new PaystackError(400, "Invalid JSON body");
	}
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
	const parsed = schema.safeParse(value);
	if (parsed.success) return parsed.data;
	const detail = parsed.error.issues
		.slice(0, 3)
		.map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
		.join("; ");
	throw new PaystackError(400, `Validation error: ${detail}`);
}

function matches(rule: FailureRule, method: string, path: string): boolean {
	if (rule.method && rule.method !== method) return false;
	return rule.path.endsWith("*") ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
}

const segment = (s: string) => {
	try {
		return decodeURIComponent(s);
	} catch {
		throw new PaystackError(400, "Malformed path");
	}
};

/** Paystack's list query: from/to (inclusive; a bare date `to` covers its whole day), page, perPage. */
function listWindow(params: URLSearchParams): { from: number; to: number; page: number; perPage: number } {
	const time = (name: string, endOfDay: boolean) => {
		const raw = params.get(name);
		if (raw === null || raw === "") return endOfDay ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
		const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z` : raw);
		if (Number.isNaN(at)) throw new PaystackError(400, `Invalid date in ${name}`);
		return at;
	};
	const int = (name: string, fallback: number, max: number) => {
		const raw = params.get(name);
		if (raw === null || raw === "") return fallback;
		const n = Number(raw);
		if (!Number.isInteger(n) || n < 1 || n > max) throw new PaystackError(400, `${name} must be an integer from 1 to ${max}`);
		return n;
	};
	return { from: time("from", false), to: time("to", true), page: int("page", 1, 1_000_000), perPage: int("perPage", 50, 100) };
}

/** Newest first, as Paystack lists, with its `meta`. */
function paginate<T>(items: T[], createdAt: (t: T) => string, params: URLSearchParams) {
	const w = listWindow(params);
	const inWindow = items
		.filter((t) => {
			const at = Date.parse(createdAt(t));
			return at >= w.from && at <= w.to;
		})
		.reverse();
	const skipped = (w.page - 1) * w.perPage;
	return {
		data: inWindow.slice(skipped, skipped + w.perPage),
		meta: {
			total: inWindow.length,
			skipped,
			perPage: w.perPage,
			page: w.page,
			pageCount: Math.ceil(inWindow.length / w.perPage),
		},
	};
}

export async function startPaystackSandbox(options: PaystackSandboxOptions): Promise<PaystackSandbox> {
	if (!options.secretKey) throw new Error("startPaystackSandbox: secretKey is required");
	const { secretKey } = options;
	const webhookTimeoutMs = options.webhookTimeoutMs ?? 5_000;
	const host = "127.0.0.1";

	const transactions = new Map<string, SandboxTransaction>();
	const byAccessCode = new Map<string, string>();
	const customers = new Map<string, { id: number; customer_code: string }>();
	const refunds: SandboxRefund[] = [];
	const recipients = new Map<string, Recipient>();
	const transfers = new Map<string, SandboxTransfer>();
	let webhooks: WebhookDelivery[] = [];
	let rules: (FailureRule & { times: number })[] = [];
	let requests: LoggedRequest[] = [];
	const timers = new Set<ReturnType<typeof setTimeout>>();
	let base = "";
	let publicBase = "";
	const seq = {
		transaction: 4_099_260_000,
		refund: 3_018_000,
		recipient: 28_000,
		transfer: 14_000,
		customer: 68_000,
		webhook: 1,
	};

	const wait = (ms: number) =>
		new Promise<void>((resolve) => {
			const timer = setTimeout(() => {
				timers.delete(timer);
				resolve();
			}, ms);
			timers.add(timer);
		});
	const code = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex").slice(0, 15)}`;
	const full = () => {
		if (transactions.size + transfers.size + refunds.length >= MAX_OBJECTS)
			throw new PaystackError(503, "Sandbox full: POST /_admin/reset");
	};

	// ── Paystack's JSON for each object ──

	const customerOf = (email: string) => {
		let customer = customers.get(email);
		if (!customer) {
			customer = { id: ++seq.customer, customer_code: code("CUS") };
			customers.set(email, customer);
		}
		return {
			id: customer.id,
			first_name: null,
			last_name: null,
			email,
			customer_code: customer.customer_code,
			phone: null,
			metadata: null,
			risk_action: "default",
		};
	};

	const transactionJson = (t: SandboxTransaction) => ({
		id: t.id,
		domain: "test",
		status: t.status,
		reference: t.reference,
		receipt_number: null,
		amount: t.amount,
		message: null,
		gateway_response:
			t.status === "success" ? "Successful" : t.status === "failed" ? "Declined" : "The transaction was not completed",
		paid_at: t.paidAt,
		created_at: t.createdAt,
		channel: "card",
		currency: t.currency,
		ip_address: "127.0.0.1",
		// Paystack sends "" for "no metadata".
		metadata: t.metadata ?? "",
		fees: t.fees,
		fees_split: null,
		authorization:
			t.status === "success"
				? {
						authorization_code: `AUTH_${t.accessCode.slice(0, 10)}`,
						bin: "408408",
						last4: "4081",
						exp_month: "12",
						exp_year: "2030",
						channel: "card",
						card_type: "visa ",
						bank: "TEST BANK",
						country_code: "NG",
						brand: "visa",
						reusable: true,
						signature: "SIG_sandbox",
						account_name: null,
					}
				: {},
		customer: customerOf(t.email),
		plan: null,
		split: {},
		order_id: null,
		paidAt: t.paidAt,
		createdAt: t.createdAt,
		requested_amount: t.amount,
		transaction_date: t.createdAt,
	});

	const recipientJson = (r: Recipient) => ({
		active: true,
		createdAt: r.createdAt,
		currency: r.currency,
		description: null,
		domain: "test",
		email: null,
		id: r.id,
		integration: INTEGRATION,
		metadata: null,
		name: r.name,
		recipient_code: r.recipient_code,
		type: "nuban",
		updatedAt: r.createdAt,
		is_deleted: false,
		details: {
			authorization_code: null,
			account_number: r.accountNumber,
			account_name: r.accountName,
			bank_code: r.bankCode,
			bank_name: r.bankName,
		},
	});

	const recipientByCode = (recipientCode: string) => [...recipients.values()].find((r) => r.recipient_code === recipientCode);

	const transferJson = (t: SandboxTransfer, recipientAs: "id" | "object" = "object") => {
		const recipient = recipientByCode(t.recipientCode);
		return {
			amount: t.amount,
			currency: t.currency,
			domain: "test",
			failures: null,
			id: t.id,
			integration: INTEGRATION,
			reason: t.reason,
			reference: t.reference,
			source: "balance",
			source_details: null,
			status: t.status,
			titan_code: null,
			transfer_code: t.transferCode,
			transferred_at: t.transferredAt,
			// The initiate answer names the recipient by id; reads embed it.
			recipient: recipient ? (recipientAs === "id" ? recipient.id : recipientJson(recipient)) : null,
			session: { provider: null, id: null },
			created_at: t.createdAt,
			updated_at: t.createdAt,
			createdAt: t.createdAt,
			updatedAt: t.createdAt,
		};
	};

	const refundJson = (r: SandboxRefund) => {
		const t = transactions.get(r.transactionReference);
		return {
			transaction: t
				? {
						id: t.id,
						domain: "test",
						reference: t.reference,
						amount: t.amount,
						paid_at: t.paidAt,
						channel: "card",
						currency: t.currency,
					}
				: r.transactionId,
			integration: INTEGRATION,
			deducted_amount: 0,
			channel: null,
			merchant_note: r.merchantNote,
			customer_note: null,
			status: r.status,
			refunded_by: "sandbox@oja.local",
			expected_at: r.createdAt,
			currency: r.currency,
			domain: "test",
			amount: r.amount,
			fully_deducted: false,
			id: r.id,
			createdAt: r.createdAt,
			updatedAt: r.createdAt,
		};
	};

	// ── Webhooks ──

	async function post(delivery: WebhookDelivery): Promise<void> {
		try {
			const res = await fetch(delivery.url, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					[PAYSTACK_SIGNATURE_HEADER]: delivery.signature,
					"user-agent": "oja-paystack-sandbox",
				},
				body: delivery.body,
				signal: AbortSignal.timeout(webhookTimeoutMs),
			});
			delivery.status = res.status;
			await res.body?.cancel();
		} catch (error) {
			delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		}
		delivery.sentAt = new Date().toISOString();
		if (delivery.error || (delivery.status !== null && delivery.status >= 300)) {
			console.warn(`paystack sandbox: ${delivery.event} webhook to ${delivery.url} → ${delivery.error ?? delivery.status}`);
		}
	}

	/** Records `times` deliveries of one body and sends them as asked. */
	async function deliver(
		event: SandboxEventType,
		data: unknown,
		how: { url?: string; times?: number; concurrent?: boolean; delayMs?: number; tamper?: boolean },
	): Promise<WebhookDelivery[]> {
		const url = how.url ?? options.webhookUrl;
		if (!url) return [];
		const body = JSON.stringify({ event, data });
		const key = how.tamper ? `${secretKey}_tampered` : secretKey;
		const signature = createHmac("sha512", key).update(body).digest("hex");
		const batch: WebhookDelivery[] = [];
		for (let i = 0; i < (how.times ?? 1); i++) {
			const delivery: WebhookDelivery = {
				id: seq.webhook++,
				event,
				url,
				body,
				signature,
				tampered: how.tamper ?? false,
				status: null,
				error: null,
				sentAt: null,
			};
			webhooks.push(delivery);
			batch.push(delivery);
		}
		if (webhooks.length > 1000) webhooks = webhooks.slice(-1000);
		const run = async () => {
			if (how.concurrent) await Promise.all(batch.map(post));
			else for (const delivery of batch) await post(delivery);
		};
		if (how.delayMs !== undefined) {
			void wait(how.delayMs).then(run);
			return batch;
		}
		await run();
		return batch;
	}

	// ── The API ──

	function transactionByIdOrReference(key: string): SandboxTransaction | undefined {
		return transactions.get(key) ?? [...transactions.values()].find((t) => String(t.id) === key);
	}

	function transferByKey(key: string): SandboxTransfer | undefined {
		return transfers.get(key) ?? [...transfers.values()].find((t) => t.transferCode === key || String(t.id) === key);
	}

	async function route(req: IncomingMessage, method: string, url: URL): Promise<{ status: number; body: unknown }> {
		const path = url.pathname;
		const params = url.searchParams;
		const okBody = (message: string, data: unknown, status = 200) => ({ status, body: { status: true, message, data } });

		if (method === "POST" && path === "/transaction/initialize") {
			const input = parse(InitializeBody, await readJson(req));
			const reference = input.reference ?? randomBytes(8).toString("hex");
			if (transactions.has(reference)) throw new PaystackError(400, "Duplicate Transaction Reference");
			full();
			const accessCode = randomBytes(8).toString("hex").slice(0, 15);
			const t: SandboxTransaction = {
				id: ++seq.transaction,
				reference,
				accessCode,
				authorizationUrl: `${publicBase}/checkout/${accessCode}`,
				status: "abandoned",
				amount: input.amount,
				currency: input.currency ?? "NGN",
				email: input.email,
				callbackUrl: input.callback_url ?? null,
				metadata: input.metadata ?? null,
				fees: null,
				refunded: 0,
				paidAt: null,
				createdAt: new Date().toISOString(),
			};
			transactions.set(reference, t);
			byAccessCode.set(accessCode, reference);
			return okBody("Authorization URL created", {
				authorization_url: t.authorizationUrl,
				access_code: accessCode,
				reference,
			});
		}
		const verify = /^\/transaction\/verify\/([^/]+)$/.exec(path);
		if (method === "GET" && verify?.[1] !== undefined) {
			const t = transactions.get(segment(verify[1]));
			if (!t) throw new PaystackError(400, "Transaction reference not found");
			return okBody("Verification successful", transactionJson(t));
		}
		if (method === "GET" && path === "/transaction") {
			const status = params.get("status");
			const all = [...transactions.values()].filter((t) => !status || t.status === status);
			const page = paginate(all, (t) => t.createdAt, params);
			return {
				status: 200,
				body: { status: true, message: "Transactions retrieved", data: page.data.map(transactionJson), meta: page.meta },
			};
		}
		const fetchOne = /^\/transaction\/(\d+)$/.exec(path);
		if (method === "GET" && fetchOne?.[1] !== undefined) {
			const t = [...transactions.values()].find((x) => String(x.id) === fetchOne[1]);
			if (!t) throw new PaystackError(404, "Transaction not found");
			return okBody("Transaction retrieved", transactionJson(t));
		}

		if (method === "POST" && path === "/refund") {
			const input = parse(RefundRequestWire, await readJson(req));
			const t = transactionByIdOrReference(input.transaction);
			if (!t) throw new PaystackError(404, "Transaction not found");
			if (t.status !== "success") throw new PaystackError(400, "Cannot refund a transaction that was not successful");
			const remaining = t.amount - t.refunded;
			if (remaining <= 0) throw new PaystackError(400, "Transaction has been fully reversed");
			const amount = input.amount ?? remaining;
			if (amount > remaining) {
				throw new PaystackError(400, "Refund amount cannot be more than the unrefunded balance of the transaction");
			}
			full();
			t.refunded += amount;
			const refund: SandboxRefund = {
				id: ++seq.refund,
				transactionReference: t.reference,
				transactionId: t.id,
				amount,
				currency: t.currency,
				status: "pending",
				merchantNote: input.merchant_note ?? null,
				createdAt: new Date().toISOString(),
			};
			refunds.push(refund);
			return okBody("Refund has been queued for processing", refundJson(refund));
		}
		if (method === "GET" && path === "/refund") {
			const key = params.get("transaction");
			const t = key ? transactionByIdOrReference(key) : undefined;
			const list = refunds.filter((r) => !key || r.transactionReference === t?.reference);
			const page = paginate(list, (r) => r.createdAt, params);
			return {
				status: 200,
				body: { status: true, message: "Refunds retrieved", data: page.data.map(refundJson), meta: page.meta },
			};
		}

		if (method === "GET" && path === "/bank") {
			const country = (params.get("country") ?? "nigeria").toLowerCase();
			const banks =
				country === "nigeria"
					? SANDBOX_BANKS.map((b) => ({
							...b,
							gateway: "emandate",
							pay_with_bank: false,
							active: true,
							is_deleted: false,
							country: "Nigeria",
							currency: "NGN",
							type: "nuban",
							createdAt: "2016-07-14T10:04:29.000Z",
							updatedAt: "2024-01-01T00:00:00.000Z",
						}))
					: [];
			return {
				status: 200,
				body: { status: true, message: "Banks retrieved", data: banks, meta: { next: null, previous: null, perPage: 100 } },
			};
		}
		if (method === "GET" && path === "/bank/resolve") {
			const accountNumber = params.get("account_number") ?? "";
			const bankCode = params.get("bank_code") ?? "";
			if (
				!/^\d{10}$/.test(accountNumber) ||
				!SANDBOX_BANKS.some((b) => b.code === bankCode) ||
				accountNumber === UNRESOLVABLE_ACCOUNT
			) {
				throw new PaystackError(422, "Could not resolve account name. Check parameters or try again.");
			}
			return okBody("Account number resolved", {
				account_number: accountNumber,
				account_name: accountName(accountNumber),
				bank_id: SANDBOX_BANKS.find((b) => b.code === bankCode)?.id ?? 0,
			});
		}
		if (method === "POST" && path === "/transferrecipient") {
			const input = parse(RecipientRequestWire, await readJson(req));
			const bank = SANDBOX_BANKS.find((b) => b.code === input.bank_code);
			if (!bank || input.account_number === UNRESOLVABLE_ACCOUNT) {
				throw new PaystackError(400, "Cannot resolve account");
			}
			const key = `${input.bank_code}:${input.account_number}`;
			const existing = recipients.get(key);
			if (existing) return okBody("Transfer recipient created successfully", recipientJson(existing));
			if (recipients.size >= MAX_OBJECTS) throw new PaystackError(503, "Sandbox full: POST /_admin/reset");
			const recipient: Recipient = {
				id: ++seq.recipient,
				recipient_code: code("RCP"),
				name: input.name,
				currency: input.currency ?? "NGN",
				accountNumber: input.account_number,
				accountName: accountName(input.account_number),
				bankCode: bank.code,
				bankName: bank.name,
				createdAt: new Date().toISOString(),
			};
			recipients.set(key, recipient);
			return okBody("Transfer recipient created successfully", recipientJson(recipient), 201);
		}

		if (method === "POST" && path === "/transfer") {
			const input = parse(TransferRequestWire, await readJson(req));
			const recipient = recipientByCode(input.recipient);
			if (!recipient) throw new PaystackError(400, "Recipient specified is invalid");
			const existing = transfers.get(input.reference);
			if (existing) {
				// Our reference is the idempotency key: the same payout again is the same transfer.
				if (existing.amount !== input.amount || existing.recipientCode !== input.recipient) {
					throw new PaystackError(400, "Duplicate Transfer Reference");
				}
				return okBody("Transfer has been queued", transferJson(existing, "id"));
			}
			full();
			const transfer: SandboxTransfer = {
				id: ++seq.transfer,
				transferCode: code("TRF"),
				reference: input.reference,
				status: "pending",
				amount: input.amount,
				currency: input.currency ?? recipient.currency,
				reason: input.reason ?? null,
				recipientCode: recipient.recipient_code,
				createdAt: new Date().toISOString(),
				transferredAt: null,
			};
			transfers.set(input.reference, transfer);
			return okBody("Transfer has been queued", transferJson(transfer, "id"));
		}
		const verifyTransfer = /^\/transfer\/verify\/([^/]+)$/.exec(path);
		if (method === "GET" && verifyTransfer?.[1] !== undefined) {
			const t = transfers.get(segment(verifyTransfer[1]));
			if (!t) throw new PaystackError(400, "Transfer not found");
			return okBody("Transfer retrieved", transferJson(t));
		}
		const oneTransfer = /^\/transfer\/([^/]+)$/.exec(path);
		if (method === "GET" && oneTransfer?.[1] !== undefined) {
			const key = segment(oneTransfer[1]);
			const t = [...transfers.values()].find((x) => x.transferCode === key || String(x.id) === key);
			if (!t) throw new PaystackError(404, "Transfer not found");
			return okBody("Transfer retrieved", transferJson(t));
		}
		if (method === "GET" && path === "/transfer") {
			const page = paginate([...transfers.values()], (t) => t.createdAt, params);
			return {
				status: 200,
				body: { status: true, message: "Transfers retrieved", data: page.data.map((t) => transferJson(t)), meta: page.meta },
			};
		}
		throw new PaystackError(404, `Route not found: ${method} ${path}`);
	}

	function accountName(accountNumber: string): string {
		const n = [...accountNumber].reduce((sum, d, i) => sum + Number(d) * (i + 1), 0);
		return `${FIRST_NAMES[n % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length]}`;
	}

	async function api(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
		const log: LoggedRequest = { method, path: url.pathname, status: null };
		requests.push(log);
		if (requests.length > 1000) requests.shift();

		const ruleIndex = rules.findIndex((r) => matches(r, method, url.pathname));
		const rule = ruleIndex >= 0 ? rules[ruleIndex] : undefined;
		if (rule) {
			rule.times--;
			if (rule.times <= 0) rules.splice(ruleIndex, 1);
		}
		const answer = async (status: number, body: unknown, headers: Record<string, string> = {}) => {
			if (rule?.delayMs) await wait(rule.delayMs);
			log.status = status;
			send(res, status, body, headers);
		};
		if (rule?.drop) {
			req.socket.destroy();
			return;
		}
		if (rule?.status) {
			await answer(
				rule.status,
				{ status: false, message: `Failure injected through /_admin/fail (${rule.status})` },
				rule.retryAfter === undefined ? {} : { "retry-after": String(rule.retryAfter) },
			);
			return;
		}
		try {
			const auth = req.headers.authorization;
			if (!auth) throw new PaystackError(401, "No Authorization header was found");
			if (auth !== `Bearer ${secretKey}`) throw new PaystackError(401, "Invalid key");
			const { status, body } = await route(req, method, url);
			await answer(status, body);
		} catch (error) {
			if (!(error instanceof PaystackError)) throw error;
			await answer(error.status, { status: false, message: error.message });
		}
	}

	// ── The hosted payment page ──

	function htmlPage(title: string, inner: string): string {
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}.amount{font-size:2rem;font-weight:700}.note{color:#666;font-size:.85rem}form{display:inline-block;margin:1rem .5rem 0 0}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}button.pay{background:#0ba4db;color:#fff;border-color:#0ba4db}</style></head><body>${inner}<p class="note">Paystack sandbox (local test payments only; no money moves).</p></body></html>`;
	}

	function storeName(metadata: Record<string, unknown> | null): string | null {
		const name = metadata?.store_name ?? metadata?.storeName;
		return typeof name === "string" && name.trim() !== "" ? name : null;
	}

	function checkoutPage(res: ServerResponse, t: SandboxTransaction): void {
		const amount = formatMinor(t.amount, t.currency);
		const store = storeName(t.metadata);
		const action = `/checkout/${encodeURIComponent(t.accessCode)}`;
		const open = t.status === "abandoned";
		sendHtml(
			res,
			200,
			htmlPage(
				`Pay ${amount}${store ? ` to ${store}` : ""}`,
				`<h1>${store ? `Pay ${escapeHtml(store)}` : "Complete your payment"}</h1>
<p class="amount" data-amount="${t.amount}">${escapeHtml(amount)}</p>
<p>${escapeHtml(t.email)} · reference <code>${escapeHtml(t.reference)}</code></p>
${
	open
		? `<form method="post" action="${action}/pay"><button class="pay" type="submit">Pay ${escapeHtml(amount)}</button></form><form method="post" action="${action}/decline"><button type="submit">Decline</button></form>`
		: `<p>This payment is <strong>${escapeHtml(t.status)}</strong>.</p>`
}`,
			),
		);
	}

	async function checkout(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<boolean> {
		const m = /^\/checkout\/([^/]+)(?:\/(pay|decline))?$/.exec(path);
		if (!m?.[1]) return false;
		const reference = byAccessCode.get(segment(m[1]));
		const t = reference === undefined ? undefined : transactions.get(reference);
		if (!t) {
			sendHtml(res, 404, htmlPage("Not found", "<h1>No such payment</h1><p>The link is wrong or has expired.</p>"));
			return true;
		}
		if (method === "GET" && !m[2]) {
			checkoutPage(res, t);
			return true;
		}
		if (method !== "POST" || !m[2]) {
			sendHtml(res, 405, htmlPage("Not allowed", "<h1>Use the buttons on the payment page</h1>"));
			return true;
		}
		// The form body is irrelevant; drain it.
		await readText(req);
		if (m[2] === "pay") {
			if (t.status === "failed") {
				sendHtml(res, 409, htmlPage("Declined", "<h1>This payment was declined</h1><p>Start again from the store.</p>"));
				return true;
			}
			// Pressing Pay twice (a double click, a resubmitted form) pays once and notifies once.
			if (t.status === "abandoned") {
				markPaid(t);
				await deliver("charge.success", transactionJson(t), {});
			}
		} else if (t.status === "abandoned") {
			t.status = "failed";
		}
		if (!t.callbackUrl) {
			sendHtml(res, 200, htmlPage("Done", `<h1>Payment ${escapeHtml(t.status)}</h1><p>You can close this page.</p>`));
			return true;
		}
		const location = new URL(t.callbackUrl);
		location.searchParams.set("trxref", t.reference);
		location.searchParams.set("reference", t.reference);
		res.writeHead(303, { location: location.toString(), "content-length": 0 });
		res.end();
		return true;
	}

	function markPaid(t: SandboxTransaction): void {
		t.status = "success";
		t.paidAt = new Date().toISOString();
		t.fees = sandboxFee(t.amount);
	}

	// ── Admin ──

	async function sendEvent(body: z.infer<typeof SendEventBody>): Promise<WebhookDelivery[]> {
		const how = { url: body.url, times: body.times, concurrent: body.concurrent, delayMs: body.delayMs, tamper: body.tamper };
		if (!how.url && !options.webhookUrl) throw new PaystackError(400, "No webhookUrl configured: give url");
		if (body.event === "charge.success") {
			const t = body.reference === undefined ? undefined : transactions.get(body.reference);
			if (!t) throw new PaystackError(404, "charge.success needs the reference of an existing transaction");
			if (body.apply && t.status !== "success") markPaid(t);
			// An event describes a success even when `apply` left the transaction as it was.
			const data = transactionJson(t);
			return deliver(body.event, t.status === "success" ? data : { ...data, status: "success" }, how);
		}
		if (body.event.startsWith("transfer.")) {
			const t = body.transfer === undefined ? undefined : transferByKey(body.transfer);
			if (!t) throw new PaystackError(404, `${body.event} needs the reference or transfer_code of an existing transfer`);
			const status = body.event.slice("transfer.".length) as SandboxTransfer["status"];
			if (body.apply) {
				t.status = status;
				if (status === "success") t.transferredAt = new Date().toISOString();
			}
			return deliver(body.event, { ...transferJson(t), status }, how);
		}
		const r = refunds.find((x) => x.id === body.refundId);
		if (!r) throw new PaystackError(404, `${body.event} needs the refundId of an existing refund`);
		const status = body.event === "refund.processed" ? "processed" : "failed";
		if (body.apply && r.status !== status) {
			const t = transactions.get(r.transactionReference);
			// A failed refund gave nothing back: its amount is refundable again (and not twice).
			if (t && status === "failed") t.refunded -= r.amount;
			if (t && r.status === "failed") t.refunded += r.amount;
			r.status = status;
		}
		const customer = transactions.get(r.transactionReference)?.email ?? null;
		return deliver(
			body.event,
			{
				status,
				transaction_reference: r.transactionReference,
				refund_reference: status === "processed" ? String(r.id * 1000 + 7) : null,
				// Paystack's documented refund events carry the amount as a string (processed) or a number (failed).
				amount: status === "processed" ? String(r.amount) : r.amount,
				currency: r.currency,
				processor: "sandbox",
				customer: { first_name: null, last_name: null, email: customer },
				integration: INTEGRATION,
				domain: "test",
			},
			how,
		);
	}

	async function adminApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
		const path = url.pathname;
		const reference = url.searchParams.get("reference");
		if (method === "GET" && path === "/_admin/transactions") {
			return send(res, 200, {
				transactions: [...transactions.values()].filter((t) => reference === null || t.reference === reference),
			});
		}
		if (method === "GET" && path === "/_admin/transfers") {
			return send(res, 200, {
				transfers: [...transfers.values()].filter((t) => reference === null || t.reference === reference),
			});
		}
		if (method === "GET" && path === "/_admin/refunds") {
			return send(res, 200, { refunds: refunds.filter((r) => reference === null || r.transactionReference === reference) });
		}
		if (method === "GET" && path === "/_admin/webhooks") return send(res, 200, { webhooks });
		if (method === "GET" && path === "/_admin/requests") return send(res, 200, { requests });
		if (method === "POST" && path === "/_admin/events") {
			const deliveries = await sendEvent(parse(SendEventBody, await readJson(req)));
			return send(res, 200, { deliveries });
		}
		if (method === "POST" && path === "/_admin/fail") {
			const rule = parse(FailBody, await readJson(req));
			rules.push(rule);
			return send(res, 200, { rule });
		}
		if (method === "POST" && path === "/_admin/reset") {
			transactions.clear();
			byAccessCode.clear();
			customers.clear();
			refunds.length = 0;
			recipients.clear();
			transfers.clear();
			webhooks = [];
			rules = [];
			requests = [];
			return send(res, 200, { reset: true });
		}
		throw new PaystackError(404, `No admin route for ${method} ${path}`);
	}

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		let url: URL;
		try {
			url = new URL(req.url ?? "/", `http://${host}`);
		} catch {
			return send(res, 400, { status: false, message: "Malformed URL" });
		}
		const method = req.method ?? "GET";
		try {
			if (url.pathname.startsWith("/_admin/")) return await adminApi(req, res, method, url);
			if (url.pathname.startsWith("/checkout/") && (await checkout(req, res, method, url.pathname))) return;
			return await api(req, res, method, url);
		} catch (error) {
			if (error instanceof PaystackError) return send(res, error.status, { status: false, message: error.message });
			throw error;
		}
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			console.error("paystack sandbox: internal error", error);
			if (res.headersSent) res.destroy();
			else send(res, 500, { status: false, message: "Internal sandbox error" });
		});
	});
	server.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const { port } = server.address() as AddressInfo;
	base = `http://${host}:${port}`;
	publicBase = (options.publicUrl ?? base).replace(/\/+$/, "");

	return {
		url: base,
		adminUrl: `${base}/_admin`,
		close: () =>
			new Promise<void>((resolve) => {
				for (const timer of timers) clearTimeout(timer);
				timers.clear();
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
