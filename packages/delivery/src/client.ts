import type { z } from "zod";
import { DeliveryRejectedError, DeliveryResponseError, DeliveryUnavailableError } from "./errors.ts";
import { type CreateTaskRequest, DeliveryTask, ErrorEnvelope, Quote, type QuoteRequest } from "./schemas.ts";

/** What Oja needs from a courier. One implementation per provider; the sandbox speaks the first one's API. */
export interface DeliveryProvider {
	/** The fee and time to carry a parcel between two addresses (no task is created). */
	quote(input: QuoteRequest): Promise<Quote>;
	/**
	 * Books a rider. `input.reference` is an idempotency key: asking again with the same
	 * reference (after a timeout, a crash, a queue redelivery) returns the task already made,
	 * never a second rider. Reusing a reference for a different delivery is rejected (409).
	 */
	createTask(input: CreateTaskRequest): Promise<DeliveryTask>;
	getTask(taskId: string): Promise<DeliveryTask>;
	/** Cancels before pickup; cancelling a cancelled task returns it unchanged. After pickup: 409. */
	cancelTask(taskId: string): Promise<DeliveryTask>;
}

export interface KwikLikeClientOptions {
	/** The API's origin (and path prefix, if any), e.g. https://api.courier.example; `/v1/…` is appended. */
	baseUrl: string;
	apiKey: string;
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

type Attempt<T> =
	| { ok: true; value: T }
	| { ok: false; error: DeliveryRejectedError | DeliveryResponseError | DeliveryUnavailableError };

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | null {
	if (!header) return null;
	const seconds = Number(header);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const at = Date.parse(header);
	return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Describes zod issues by path and message only: request/response values may hold addresses and phones. */
function issuesOf(error: z.ZodError): string {
	return error.issues
		.slice(0, 5)
		.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
		.join("; ");
}

/**
 * A Kwik-style courier API: JSON over HTTPS, `Authorization: Bearer <key>`, errors as
 * `{"error":{"code","message"}}`. Every call is safe to retry (quotes and reads trivially,
 * task creation through its reference, cancellation because it is idempotent), so every
 * call retries transient failures the same way.
 */
export class KwikLikeClient implements DeliveryProvider {
	readonly #base: string;
	readonly #apiKey: string;
	readonly #timeoutMs: number;
	readonly #maxAttempts: number;
	readonly #baseDelayMs: number;
	readonly #maxDelayMs: number;
	readonly #sleep: (ms: number) => Promise<void>;
	readonly #random: () => number;
	readonly #fetch: typeof fetch;

	constructor(options: KwikLikeClientOptions) {
		if (!options.baseUrl) throw new Error("KwikLikeClient: baseUrl is required");
		if (!options.apiKey) throw new Error("KwikLikeClient: apiKey is required");
		this.#base = options.baseUrl.replace(/\/+$/, "");
		this.#apiKey = options.apiKey;
		this.#timeoutMs = options.timeoutMs ?? 10_000;
		this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
		this.#baseDelayMs = options.baseDelayMs ?? 250;
		this.#maxDelayMs = options.maxDelayMs ?? 5_000;
		this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
		this.#random = options.random ?? Math.random;
		// Unbound, a stored global fetch throws "Illegal invocation" in workerd.
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
	}

	quote(input: QuoteRequest): Promise<Quote> {
		return this.#call("POST", "/v1/quotes", Quote, input);
	}

	createTask(input: CreateTaskRequest): Promise<DeliveryTask> {
		return this.#call("POST", "/v1/tasks", DeliveryTask, input);
	}

	getTask(taskId: string): Promise<DeliveryTask> {
		return this.#call("GET", `/v1/tasks/${encodeURIComponent(taskId)}`, DeliveryTask);
	}

	cancelTask(taskId: string): Promise<DeliveryTask> {
		return this.#call("POST", `/v1/tasks/${encodeURIComponent(taskId)}/cancel`, DeliveryTask);
	}

	/**
	 * The wait before retry number `attempt` (1-based): exponential, with "equal jitter" (half
	 * fixed, half random) so clients that failed together do not retry together, yet every
	 * retry still backs off. A provider's Retry-After is honoured up to maxDelayMs.
	 */
	backoffMs(attempt: number, retryAfter: number | null = null): number {
		const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
		const jittered = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
		return Math.min(this.#maxDelayMs, Math.max(jittered, retryAfter ?? 0));
	}

	async #call<T>(method: "GET" | "POST", path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		for (let attempt = 1; ; attempt++) {
			const result = await this.#attempt(method, path, schema, payload, attempt);
			if (result.ok) return result.value;
			const { error } = result;
			if (!(error instanceof DeliveryUnavailableError) || attempt >= this.#maxAttempts) throw error;
			await this.#sleep(this.backoffMs(attempt, error.retryAfterMs));
		}
	}

	async #attempt<T>(
		method: "GET" | "POST",
		path: string,
		schema: z.ZodType<T>,
		payload: string | undefined,
		attempt: number,
	): Promise<Attempt<T>> {
		const what = `${method} ${path}`;
		let status: number | null = null;
		let text: string;
		let res: Response;
		try {
			const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: "application/json" };
			if (payload !== undefined) headers["content-type"] = "application/json";
			// One signal for the whole exchange: a provider that sends headers and then stalls the body times out too.
			res = await this.#fetch(`${this.#base}${path}`, {
				method,
				headers,
				body: payload,
				signal: AbortSignal.timeout(this.#timeoutMs),
			});
			status = res.status;
			text = await res.text();
		} catch (cause) {
			const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
			const code = timedOut ? "timeout" : "network";
			return {
				ok: false,
				error: new DeliveryUnavailableError(
					timedOut ? `${what}: no answer within ${this.#timeoutMs} ms` : `${what}: provider unreachable`,
					code,
					status,
					attempt,
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
			const code = envelope?.error.code ?? `http_${res.status}`;
			const message = `${what} answered ${res.status}${envelope ? ` (${envelope.error.code}: ${envelope.error.message})` : ""}`;
			return {
				ok: false,
				error: RETRYABLE_STATUS(res.status)
					? new DeliveryUnavailableError(message, code, res.status, attempt, retryAfterMs(res.headers.get("retry-after")))
					: new DeliveryRejectedError(message, code, res.status, attempt),
			};
		}

		let json: unknown;
		try {
			json = JSON.parse(text);
		} catch {
			return {
				ok: false,
				error: new DeliveryResponseError(
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
				error: new DeliveryResponseError(
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
