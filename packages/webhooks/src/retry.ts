// The retry schedule of one delivery. Queues cap a message's delay at 12 hours and its retries
// at 100, and a per-message `attempts` resets whenever we re-enqueue, so the count lives on the
// delivery row and each retry is a new message sent with the delay for that attempt.

/** Seconds to wait after failed attempt n (index n−1). Sums to 85,860 s ≈ 23.9 h: ten attempts in 24 hours. */
export const RETRY_DELAYS_SECONDS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800] as const;

/** Attempts a delivery gets before it is marked failed: the first plus one per delay. */
export const MAX_DELIVERY_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** Queues refuse a larger delaySeconds. */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

export interface RetryOptions {
	/** Multiplies every delay; 0 retries at once (tests). */
	scale?: number;
	/** [0, 1): spreads retries of many deliveries by up to +10% so they do not arrive together. */
	random?: () => number;
}

/**
 * The delay before the next attempt after attempt `attempt` (1-based) failed, or null when it
 * was the last one and the delivery is failed.
 */
export function nextRetryDelaySeconds(attempt: number, options: RetryOptions = {}): number | null {
	if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
	const base = RETRY_DELAYS_SECONDS[attempt - 1];
	if (base === undefined) return null;
	const scale = options.scale ?? 1;
	const jitter = 1 + 0.1 * (options.random ?? Math.random)();
	return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.round(base * scale * jitter));
}
