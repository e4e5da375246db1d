// Test helpers for a running WhatsApp sandbox's admin API. Fetch only (no Node imports), so
// integration tests inside workerd can use them too: `@oja/whatsapp-sandbox/admin`.
import type { InboundMessageSpec } from "@oja/whatsapp";

/** A business phone number the Graph API serves (Meta's "phone number id" and its token). */
export interface SandboxNumber {
	phoneNumberId: string;
	displayPhoneNumber: string;
	accessToken: string;
	/** After each accepted send, POST signed sent → delivered → read statuses to the webhook. */
	autoStatuses: boolean;
}

export type RegisterNumberOptions = Omit<SandboxNumber, "autoStatuses"> & { autoStatuses?: boolean };

export interface GraphErrorInfo {
	code: number;
	message: string;
}

/** One send the Graph API took (or was told to fail), newest last. */
export interface RecordedMessage {
	phoneNumberId: string;
	/** The `to` as the client sent it. */
	to: string;
	/** The wamid it answered; null when it failed. */
	wamid: string | null;
	/** The request body exactly as received (JSON text). */
	body: string;
	/** `text`, `interactive`, `template`. */
	type: string;
	/** ISO time it was received. */
	at: string;
	/** 200, or the status a failure rule answered. */
	httpStatus: number;
	failed: boolean;
	error: GraphErrorInfo | null;
	/** The latest status webhook sent for it (auto or admin), if any. */
	deliveryStatus: "sent" | "delivered" | "read" | "failed" | null;
}

/** One webhook POST the sandbox made as Meta (or tried to). */
export interface WebhookDelivery {
	id: number;
	kind: "message" | "status";
	phoneNumberId: string;
	/** The customer: sender of a message, recipient of a status. */
	waId: string;
	/** The inbound message's id, or the status's message id. */
	wamid: string;
	url: string;
	/** The exact bytes sent. */
	body: string;
	/** The X-Hub-Signature-256 sent with them. */
	signature: string;
	/** The target's HTTP status; null when it was not reached (see error). */
	status: number | null;
	error: string | null;
	sentAt: string | null;
}

export interface FailureRule {
	/** Only sends from this number; absent: any. */
	phoneNumberId?: string;
	status: 400 | 429 | 500 | 503;
	/** Meta's error code. Default: 130429 for 429, 131000 for 5xx, 131026 for 400. */
	code?: number;
	/** How many matching sends it applies to. Default 1. */
	times?: number;
	/** Sent as Retry-After (seconds). */
	retryAfter?: number;
}

export interface InboundOptions {
	/** The business number written to (must be registered). */
	phoneNumberId: string;
	/** The customer's wa_id. */
	from: string;
	/** Their profile name. */
	name?: string;
	/** `wamid` sets the message id (default a fresh one); `timestamp` is unix seconds. */
	message: InboundMessageSpec & { wamid?: string; timestamp?: number; contextId?: string };
	/** Where to POST it. Default: the sandbox's webhookUrl. */
	url?: string;
}

export interface StatusOptions {
	phoneNumberId: string;
	/** A message the sandbox accepted (its recipient is looked up), or any wamid with `to`. */
	wamid: string;
	status: "sent" | "delivered" | "read" | "failed";
	/** The recipient, when the wamid is not one the sandbox sent. */
	to?: string;
	error?: { code: number; title: string };
	url?: string;
}

async function admin<T>(adminUrl: string, path: string, init?: { method: string; body?: unknown }): Promise<T> {
	const res = await fetch(`${adminUrl}${path}`, {
		method: init?.method ?? "GET",
		...(init?.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`whatsapp sandbox ${path} answered ${res.status}: ${text}`);
	return JSON.parse(text) as T;
}

const query = (params: Record<string, string | undefined>) => {
	const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
	return q.size === 0 ? "" : `?${q}`;
};

/** Registers (or replaces) a business number and the token that may send from it. */
export async function registerNumber(adminUrl: string, number: RegisterNumberOptions): Promise<SandboxNumber> {
	return (await admin<{ number: SandboxNumber }>(adminUrl, "/numbers", { method: "POST", body: number })).number;
}

export async function listNumbers(adminUrl: string): Promise<SandboxNumber[]> {
	return (await admin<{ numbers: SandboxNumber[] }>(adminUrl, "/numbers")).numbers;
}

/** Opens (at `lastInboundAt`) or closes (null) the 24-hour window for one customer of one number. */
export async function setWindow(
	adminUrl: string,
	window: { phoneNumberId: string; waId: string; lastInboundAt: string | null },
): Promise<void> {
	await admin(adminUrl, "/window", { method: "POST", body: window });
}

/** Makes the next `times` matching sends answer the rule's status with Meta's error envelope. */
export async function injectFailure(adminUrl: string, rule: FailureRule): Promise<void> {
	await admin(adminUrl, "/fail", { method: "POST", body: rule });
}

/** The customer writes to the business: Meta's signed webhook goes out; answers how it went. */
export async function sendInbound(adminUrl: string, options: InboundOptions): Promise<WebhookDelivery> {
	return (await admin<{ delivery: WebhookDelivery }>(adminUrl, "/inbound", { method: "POST", body: options })).delivery;
}

/** A status webhook for a sent message (delivered, read, failed …). */
export async function sendStatus(adminUrl: string, options: StatusOptions): Promise<WebhookDelivery> {
	return (await admin<{ delivery: WebhookDelivery }>(adminUrl, "/status", { method: "POST", body: options })).delivery;
}

/** The X-Hub-Signature-256 Meta would send with `body`, for tests that POST webhooks themselves. */
export async function signBody(adminUrl: string, body: string): Promise<string> {
	return (await admin<{ signature: string }>(adminUrl, "/sign", { method: "POST", body: { body } })).signature;
}

/** Sends the Graph API took or failed, oldest first. */
export async function listMessages(
	adminUrl: string,
	filter: { phoneNumberId?: string; to?: string } = {},
): Promise<RecordedMessage[]> {
	return (await admin<{ messages: RecordedMessage[] }>(adminUrl, `/messages${query(filter)}`)).messages;
}

/** Every webhook sent since the last reset, oldest first: exact bodies and signatures. */
export async function listWebhooks(adminUrl: string): Promise<WebhookDelivery[]> {
	return (await admin<{ webhooks: WebhookDelivery[] }>(adminUrl, "/webhooks")).webhooks;
}

/** Forgets sends, webhooks, windows, chats and failure rules; registered numbers stay. */
export async function resetSandbox(adminUrl: string): Promise<void> {
	await admin(adminUrl, "/reset", { method: "POST" });
}
