// Test helpers for a running Paystack sandbox's admin API. Fetch only (no Node imports), so
// integration tests inside workerd can use them too: `@oja/paystack-sandbox/admin`.

/** The events the sandbox can send (the ones Oja handles). */
export type SandboxEventType =
	| "charge.success"
	| "transfer.success"
	| "transfer.failed"
	| "transfer.reversed"
	| "refund.processed"
	| "refund.failed";

/** A transaction as the sandbox keeps it (the API serves Paystack's JSON for it). */
export interface SandboxTransaction {
	id: number;
	reference: string;
	accessCode: string;
	authorizationUrl: string;
	status: "abandoned" | "success" | "failed" | "reversed";
	amount: number;
	currency: string;
	email: string;
	callbackUrl: string | null;
	metadata: Record<string, unknown> | null;
	fees: number | null;
	/** Refunded so far, failed refunds excluded. */
	refunded: number;
	paidAt: string | null;
	createdAt: string;
}

export interface SandboxTransfer {
	id: number;
	transferCode: string;
	reference: string;
	status: "pending" | "success" | "failed" | "reversed";
	amount: number;
	currency: string;
	reason: string | null;
	recipientCode: string;
	createdAt: string;
	transferredAt: string | null;
}

export interface SandboxRefund {
	id: number;
	transactionReference: string;
	transactionId: number;
	amount: number;
	currency: string;
	status: "pending" | "processed" | "failed";
	merchantNote: string | null;
	createdAt: string;
}

/** One webhook POST the sandbox made (or tried to). */
export interface WebhookDelivery {
	/** Increasing; deliveries of one admin request share a body but not an id. */
	id: number;
	event: SandboxEventType;
	url: string;
	/** The exact bytes sent (a test can replay them itself, in any order). */
	body: string;
	/** The x-paystack-signature sent with them (deliberately wrong when `tampered`). */
	signature: string;
	tampered: boolean;
	/** The target's HTTP status; null when it was not reached (see error) or not sent yet. */
	status: number | null;
	error: string | null;
	sentAt: string | null;
}

export interface SendEventOptions {
	event: SandboxEventType;
	/** charge.success: the transaction's reference. */
	reference?: string;
	/** transfer.*: the transfer's reference or transfer_code. */
	transfer?: string;
	/** refund.*: the refund's id. */
	refundId?: number;
	/** Where to POST it. Default: the sandbox's webhookUrl. */
	url?: string;
	/** Send the same body this many times (Paystack retries and duplicates). Default 1. */
	times?: number;
	/** Send the copies at once instead of one after another. */
	concurrent?: boolean;
	/** Answer at once and send after this long (then read the outcome from listWebhooks). */
	delayMs?: number;
	/** Sign with the wrong key: the receiver must refuse it. */
	tamper?: boolean;
	/** Move the object to the event's state (default true): charge.success pays, transfer.failed fails, … */
	apply?: boolean;
}

export interface FailureRule {
	/** Exact API path (`/transaction/initialize`) or a prefix ending in `*` (`/transfer/*`). */
	path: string;
	method?: "GET" | "POST";
	/** Answer with this status and Paystack's error envelope instead of serving the request. */
	status?: number;
	/** Serve the request, but hold the answer this long (a timeout after Paystack acted). */
	delayMs?: number;
	/** Close the connection without answering (a network error). */
	drop?: boolean;
	/** Sent as Retry-After (seconds) with `status`. */
	retryAfter?: number;
	/** How many matching requests it applies to. Default 1. */
	times?: number;
}

export interface LoggedRequest {
	method: string;
	path: string;
	status: number | null;
}

async function admin<T>(adminUrl: string, path: string, init?: { method: string; body?: unknown }): Promise<T> {
	const res = await fetch(`${adminUrl}${path}`, {
		method: init?.method ?? "GET",
		...(init?.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`paystack sandbox ${path} answered ${res.status}: ${text}`);
	return JSON.parse(text) as T;
}

const query = (params: Record<string, string | undefined>) => {
	const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
	return q.size === 0 ? "" : `?${q}`;
};

export async function listTransactions(adminUrl: string, reference?: string): Promise<SandboxTransaction[]> {
	return (await admin<{ transactions: SandboxTransaction[] }>(adminUrl, `/transactions${query({ reference })}`)).transactions;
}

export async function listTransfers(adminUrl: string, reference?: string): Promise<SandboxTransfer[]> {
	return (await admin<{ transfers: SandboxTransfer[] }>(adminUrl, `/transfers${query({ reference })}`)).transfers;
}

export async function listRefunds(adminUrl: string, reference?: string): Promise<SandboxRefund[]> {
	return (await admin<{ refunds: SandboxRefund[] }>(adminUrl, `/refunds${query({ reference })}`)).refunds;
}

/**
 * Sends an event for an existing object. Without `delayMs` it answers once every copy was
 * sent, with what each target answered; with it, at once (deliveries then show up in listWebhooks).
 */
export async function sendEvent(adminUrl: string, options: SendEventOptions): Promise<WebhookDelivery[]> {
	return (await admin<{ deliveries: WebhookDelivery[] }>(adminUrl, "/events", { method: "POST", body: options })).deliveries;
}

/** Every webhook sent (or scheduled) since the last reset, oldest first: exact bodies and signatures. */
export async function listWebhooks(adminUrl: string): Promise<WebhookDelivery[]> {
	return (await admin<{ webhooks: WebhookDelivery[] }>(adminUrl, "/webhooks")).webhooks;
}

/** Makes the next `times` matching API calls fail as the rule says. */
export async function injectFailure(adminUrl: string, rule: FailureRule): Promise<void> {
	await admin(adminUrl, "/fail", { method: "POST", body: rule });
}

/** The API calls served since the last reset, oldest first (failure rules included). */
export async function listRequests(adminUrl: string): Promise<LoggedRequest[]> {
	return (await admin<{ requests: LoggedRequest[] }>(adminUrl, "/requests")).requests;
}

/** Forgets every transaction, refund, recipient, transfer, webhook, failure rule and logged request. */
export async function resetSandbox(adminUrl: string): Promise<void> {
	await admin(adminUrl, "/reset", { method: "POST" });
}

/**
 * Does what a customer does on the hosted page: presses Pay (or Decline). Answers where the
 * browser would be sent (callback_url?reference=…&trxref=…), or null without a callback_url.
 */
export async function completePayment(authorizationUrl: string, outcome: "pay" | "decline" = "pay"): Promise<string | null> {
	const res = await fetch(`${authorizationUrl}/${outcome}`, { method: "POST", redirect: "manual" });
	await res.body?.cancel();
	if (res.status !== 303 && res.status !== 200) throw new Error(`paystack sandbox: ${outcome} answered ${res.status}`);
	return res.headers.get("location");
}
