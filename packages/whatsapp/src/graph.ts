import { z } from "zod";
import { type OutboundContent, toGraphMessage } from "./outbound.ts";

// One send through the Cloud API: `POST {base}/{version}/{phone-number-id}/messages`. One
// attempt per call: retrying (with backoff, then the DLQ) is the outbound queue's job, so a
// consumer never sleeps inside a request. Meta takes no idempotency key for sends, so a send
// that timed out may have gone out: it is retried (a rare duplicate message beats a lost order
// confirmation), and the log says which attempts were uncertain.

export const DEFAULT_GRAPH_URL = "https://graph.facebook.com";

const SendResponse = z.object({
	messaging_product: z.literal("whatsapp"),
	messages: z.array(z.object({ id: z.string().min(1).max(256) })).min(1),
});

const PhoneNumberResponse = z.object({ id: z.string(), display_phone_number: z.string().max(40) });

const GraphErrorBody = z.object({
	error: z.object({
		message: z.string().optional(),
		code: z.number().int().optional(),
		error_subcode: z.number().int().optional(),
	}),
});

export type SendOutcome =
	| { ok: true; wamid: string }
	/** Worth trying again later: 429, 5xx, a timeout, the network. */
	| { ok: false; retryable: true; status: number | null; code: string; retryAfterMs: number | null }
	/** Meta refused it: trying again will not help (bad token, window closed, invalid message). */
	| { ok: false; retryable: false; status: number; code: string; message: string };

/** Meta's codes that mean "not now" even on a 4xx (rate and spam limits). */
const RETRYABLE_CODES = new Set([4, 80007, 130429, 131048, 131056, 131000, 133004]);
/** The 24-hour customer-service window is closed: only a template can reach them. */
export const WINDOW_CLOSED_CODE = "131047";

export interface GraphClientOptions {
	baseUrl?: string;
	version: string;
	timeoutMs?: number;
	fetch?: typeof fetch;
}

export class GraphClient {
	readonly #base: string;
	readonly #version: string;
	readonly #timeoutMs: number;
	readonly #fetch: typeof fetch;

	constructor(options: GraphClientOptions) {
		if (!/^v\d{1,3}\.\d{1,2}$/.test(options.version)) throw new Error(`Graph API version must look like v21.0`);
		this.#base = (options.baseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, "");
		this.#version = options.version;
		this.#timeoutMs = options.timeoutMs ?? 10_000;
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
	}

	/**
	 * Whether this token may use this business number (`GET /{version}/{phone-number-id}`): Meta
	 * answers the number only to a token of the WhatsApp Business Account that owns it. Oja asks
	 * before accepting a number as a store's, so no store can claim another's number (and with it
	 * the other store's incoming chats) by typing its id.
	 */
	async phoneNumber(
		phoneNumberId: string,
		accessToken: string,
	): Promise<{ ok: true; displayPhoneNumber: string } | { ok: false; retryable: boolean; status: number | null; code: string }> {
		if (!/^\d{5,20}$/.test(phoneNumberId)) return { ok: false, retryable: false, status: 400, code: "invalid_number" };
		let response: Response;
		try {
			response = await this.#fetch(`${this.#base}/${this.#version}/${phoneNumberId}?fields=display_phone_number,verified_name`, {
				headers: { authorization: `Bearer ${accessToken}` },
				signal: AbortSignal.timeout(this.#timeoutMs),
			});
		} catch {
			return { ok: false, retryable: true, status: null, code: "network" };
		}
		const body: unknown = await response.json().catch(() => null);
		if (response.ok) {
			const parsed = PhoneNumberResponse.safeParse(body);
			if (parsed.success && parsed.data.id === phoneNumberId)
				return { ok: true, displayPhoneNumber: parsed.data.display_phone_number };
			return { ok: false, retryable: false, status: response.status, code: "malformed_response" };
		}
		const error = GraphErrorBody.safeParse(body);
		const code = error.success && error.data.error.code !== undefined ? String(error.data.error.code) : `http_${response.status}`;
		return { ok: false, retryable: response.status === 429 || response.status >= 500, status: response.status, code };
	}

	async send(phoneNumberId: string, accessToken: string, to: string, content: OutboundContent): Promise<SendOutcome> {
		if (!/^\d{5,20}$/.test(phoneNumberId) || !/^\d{5,20}$/.test(to)) {
			return { ok: false, retryable: false, status: 400, code: "invalid_number", message: "Not a WhatsApp number id" };
		}
		let response: Response;
		try {
			response = await this.#fetch(`${this.#base}/${this.#version}/${phoneNumberId}/messages`, {
				method: "POST",
				headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
				body: JSON.stringify(toGraphMessage(to, content)),
				signal: AbortSignal.timeout(this.#timeoutMs),
			});
		} catch (error) {
			const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
			return { ok: false, retryable: true, status: null, code: timedOut ? "timeout" : "network", retryAfterMs: null };
		}
		const body: unknown = await response.json().catch(() => null);
		if (response.ok) {
			const parsed = SendResponse.safeParse(body);
			const wamid = parsed.success ? parsed.data.messages[0]?.id : undefined;
			if (wamid) return { ok: true, wamid };
			// Accepted, but we cannot tell which message it is: sending again would duplicate it.
			return { ok: false, retryable: false, status: response.status, code: "malformed_response", message: "No message id" };
		}
		const error = GraphErrorBody.safeParse(body);
		const code = error.success && error.data.error.code !== undefined ? String(error.data.error.code) : `http_${response.status}`;
		const retryAfter = Number(response.headers.get("retry-after"));
		if (response.status === 429 || response.status >= 500 || RETRYABLE_CODES.has(Number(code))) {
			return {
				ok: false,
				retryable: true,
				status: response.status,
				code,
				retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 3600) * 1000 : null,
			};
		}
		return {
			ok: false,
			retryable: false,
			status: response.status,
			code,
			message: (error.success ? error.data.error.message : undefined)?.slice(0, 200) ?? `HTTP ${response.status}`,
		};
	}
}
