// What can go wrong talking to a courier, sorted by what the caller should do about it.
// `retryable` is the one bit a queue consumer or a request handler needs: true means "the
// provider may answer differently later" (5xx, 429, timeouts, unreachable), false means
// "asking again with the same request will fail the same way" (4xx, a malformed answer).

export abstract class DeliveryError extends Error {
	abstract readonly retryable: boolean;
	/** The provider's error code (`not_found`, `unauthorized`, …) or ours: `timeout`, `network`, `http_503`, `malformed_response`. */
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

/** The provider did not answer usefully (5xx, 429, 408, timeout, unreachable) and retries ran out. */
export class DeliveryUnavailableError extends DeliveryError {
	override readonly name = "DeliveryUnavailableError";
	readonly retryable = true;
	/** The wait the provider asked for (Retry-After), when it did. */
	readonly retryAfterMs: number | null;
	constructor(message: string, code: string, status: number | null, attempts: number, retryAfterMs: number | null = null) {
		super(message, code, status, attempts);
		this.retryAfterMs = retryAfterMs;
	}
}

/** The provider refused the request (4xx other than 408/429): fix the request, don't repeat it. */
export class DeliveryRejectedError extends DeliveryError {
	override readonly name = "DeliveryRejectedError";
	readonly retryable = false;
}

/** The provider answered 2xx with a body that does not match its contract. */
export class DeliveryResponseError extends DeliveryError {
	override readonly name = "DeliveryResponseError";
	readonly retryable = false;
}
