/** A task not run because an earlier task of its key failed in this batch. */
export class SkippedAfterFailure extends Error {
	constructor(key: string) {
		super(`an earlier task for ${key} failed`);
		this.name = "SkippedAfterFailure";
	}
}

/**
 * Runs tasks one after another per key and side by side across keys: a queue batch's messages
 * for one conversation keep their order while other conversations' messages do not wait behind
 * them. Once a task fails, the key's later tasks are not run (they reject with
 * SkippedAfterFailure), so the caller retries them after the failed one rather than letting them
 * overtake it.
 */
export function keyedSerial(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
	const tails = new Map<string, Promise<unknown>>();
	const failed = new Set<string>();
	return (key, task) => {
		const run = (tails.get(key) ?? Promise.resolve()).then(async () => {
			if (failed.has(key)) throw new SkippedAfterFailure(key);
			try {
				return await task();
			} catch (error) {
				failed.add(key);
				throw error;
			}
		});
		tails.set(
			key,
			run.catch(() => undefined),
		);
		return run;
	};
}
