/**
 * Runs tasks one after another per key and side by side across keys: a queue batch's messages
 * for one conversation keep their order while other conversations' messages do not wait behind
 * them. A task that fails does not stop its key's later tasks (the caller retries the failed one).
 */
export function keyedSerial(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
	const tails = new Map<string, Promise<unknown>>();
	return (key, task) => {
		const run = (tails.get(key) ?? Promise.resolve()).then(task);
		tails.set(
			key,
			run.catch(() => undefined),
		);
		return run;
	};
}
