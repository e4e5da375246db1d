// Test helpers for a running Resend sandbox's admin API. Fetch only (no Node imports), so
// integration tests inside workerd can use them too: `@oja/resend-sandbox/admin`.

/** One POST /emails the sandbox answered (accepted or failed), oldest first. */
export interface RecordedEmail {
	/** Resend's id; null when the send failed. */
	id: string | null;
	from: string;
	to: string[];
	subject: string;
	html: string;
	text: string;
	replyTo: string | null;
	tags: { name: string; value: string }[];
	idempotencyKey: string | null;
	/** 200, or the status a failure rule answered. */
	httpStatus: number;
	at: string;
}

/** One webhook the sandbox POSTed as Resend (or tried to): exact body and Svix headers. */
export interface WebhookDelivery {
	type: "email.bounced" | "email.complained";
	emailId: string;
	to: string;
	url: string;
	body: string;
	headers: { "svix-id": string; "svix-timestamp": string; "svix-signature": string };
	/** The target's HTTP status; null when it was not reached (see error). */
	status: number | null;
	error: string | null;
}

export interface FailureRule {
	status: 429 | 500 | 503;
	/** Only sends to this address; absent: any. */
	to?: string;
	/** How many matching sends it applies to. Default 1. */
	times?: number;
}

async function admin<T>(adminUrl: string, path: string, init?: { method: string; body?: unknown }): Promise<T> {
	const res = await fetch(`${adminUrl}${path}`, {
		method: init?.method ?? "GET",
		...(init?.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`resend sandbox ${path} answered ${res.status}: ${text}`);
	return JSON.parse(text) as T;
}

/** Emails sent (and failed sends), oldest first; `to` keeps those addressed to it. */
export async function listEmails(adminUrl: string, filter: { to?: string } = {}): Promise<RecordedEmail[]> {
	const q = filter.to ? `?to=${encodeURIComponent(filter.to)}` : "";
	return (await admin<{ emails: RecordedEmail[] }>(adminUrl, `/emails${q}`)).emails;
}

/** The next `times` matching sends answer `status` with Resend's error envelope. */
export async function injectFailure(adminUrl: string, rule: FailureRule): Promise<void> {
	await admin(adminUrl, "/fail", { method: "POST", body: rule });
}

/** Sends to this address are accepted, then an `email.bounced` webhook goes out (hard bounce). */
export async function declareBouncing(adminUrl: string, address: string): Promise<void> {
	await admin(adminUrl, "/bounce", { method: "POST", body: { address } });
}

/** Every webhook the sandbox sent, oldest first. */
export async function listWebhooks(adminUrl: string): Promise<WebhookDelivery[]> {
	return (await admin<{ webhooks: WebhookDelivery[] }>(adminUrl, "/webhooks")).webhooks;
}

/** Svix headers for any body, signed with the sandbox's webhook secret (forgery tests re-sign). */
export async function signWebhook(
	adminUrl: string,
	body: string,
	options: { id?: string; timestamp?: number } = {},
): Promise<WebhookDelivery["headers"]> {
	return (await admin<{ headers: WebhookDelivery["headers"] }>(adminUrl, "/sign", { method: "POST", body: { body, ...options } }))
		.headers;
}

/** Forgets emails, webhooks, failure rules, bouncing addresses and idempotency keys. */
export async function resetSandbox(adminUrl: string): Promise<void> {
	await admin(adminUrl, "/reset", { method: "POST" });
}
