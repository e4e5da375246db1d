// What can go wrong talking to a payment provider, sorted by what the caller should do about
// it. Messages name the call (method and path) and the provider's own message, never the
// secret key, an email or an account number: they end up in logs.

export abstract class PaymentError extends Error {
	abstract readonly retryable: boolean;
	/** Ours: `rejected`, `duplicate_reference`, `timeout`, `network`, `http_503`, `malformed_response`, … or the provider's `code`. */
	readonly code: string;
	/** The HTTP status of the last answer; null when there was none (timeout, network). */
	readonly status: number | null;
	/** How many requests were made before giving up. */
	readonly attempts: number;
	constructor(message: string, code: string, status: number | null, attempts: number) {
		super(message);
		this.code = code;
		this.status = status;
		this.attempts = attempts;
	}
}

/** No useful answer (5xx, 429, 408, timeout, unreachable), and retries ran out or were not allowed. */
export class PaymentUnavailableError extends PaymentError {
	override readonly name = "PaymentUnavailableError";
	readonly retryable = true;
	/** The wait the provider asked for (Retry-After), when it did. */
	readonly retryAfterMs: number | null;
	/**
	 * True when the provider may have acted on a call that is not safe to repeat (a refund that
	 * timed out): look before asking again (listRefunds), or a customer may be refunded twice.
	 */
	readonly outcomeUnknown: boolean;
	constructor(
		message: string,
		code: string,
		status: number | null,
		attempts: number,
		retryAfterMs: number | null = null,
		outcomeUnknown = false,
	) {
		super(message, code, status, attempts);
		this.retryAfterMs = retryAfterMs;
		this.outcomeUnknown = outcomeUnknown;
	}
}

/** The provider refused the request (4xx other than 408/429); `providerMessage` says why. */
export class PaymentRejectedError extends PaymentError {
	override readonly name = "PaymentRejectedError";
	readonly retryable = false;
	/** Paystack's `message`, e.g. "Duplicate Transaction Reference". */
	readonly providerMessage: string | null;
	constructor(message: string, code: string, status: number | null, attempts: number, providerMessage: string | null) {
		super(message, code, status, attempts);
		this.providerMessage = providerMessage;
	}
}

/** A 2xx whose body broke the contract (not JSON, `status: false`, a float amount, …). */
export class PaymentResponseError extends PaymentError {
	override readonly name = "PaymentResponseError";
	readonly retryable = false;
}
