// A minimal client for the one Resend call Oja makes: POST /emails. Errors come back as values
// (Resend's envelope {statusCode, message, name}): 429 and 5xx are retryable, the rest are not.

export interface ResendClientOptions {
	/** https://api.resend.com, or the sandbox's URL. */
	baseUrl: string;
	apiKey: string;
	fetch?: typeof fetch;
}

export interface OutgoingEmail {
	from: string;
	to: string | string[];
	subject: string;
	html: string;
	text: string;
	reply_to?: string;
	tags?: { name: string; value: string }[];
}

export type SendResult =
	| { ok: true; id: string }
	| { ok: false; status: number; name: string; retryable: boolean; retryAfterMs: number | null };

export class ResendClient {
	readonly #options: ResendClientOptions;

	constructor(options: ResendClientOptions) {
		this.#options = options;
	}

	/** One send; `idempotencyKey` makes Resend answer a repeat with the first send's id (for 24 h). */
	async send(email: OutgoingEmail, idempotencyKey: string): Promise<SendResult> {
		const doFetch = this.#options.fetch ?? fetch;
		let res: Response;
		try {
			res = await doFetch(`${this.#options.baseUrl.replace(/\/$/, "")}/emails`, {
				method: "POST",
				headers: {
					authorization: `Bearer ${this.#options.apiKey}`,
					"content-type": "application/json",
					"idempotency-key": idempotencyKey,
				},
				body: JSON.stringify(email),
			});
		} catch {
			// Not reached at all: as retryable as a 503.
			return { ok: false, status: 0, name: "network_error", retryable: true, retryAfterMs: null };
		}
		const body = (await res.json().catch(() => null)) as { id?: unknown; name?: unknown } | null;
		if (res.ok && typeof body?.id === "string") return { ok: true, id: body.id };
		const retryAfter = Number(res.headers.get("retry-after"));
		return {
			ok: false,
			status: res.status,
			name: typeof body?.name === "string" ? body.name.slice(0, 60) : `http_${res.status}`,
			// A 409 "concurrent_idempotent_requests": the same key is in flight from another attempt;
			// asked again later, Resend answers with that attempt's id (the email went out once).
			retryable:
				res.status === 429 ||
				res.status >= 500 ||
				res.ok ||
				(res.status === 409 && body?.name === "concurrent_idempotent_requests"),
			retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
		};
	}
}
