/** A FIFO lock: each `run` starts only after every earlier one has settled. */
export class Mutex {
	#tail: Promise<unknown> = Promise.resolve();

	run<T>(fn: () => Promise<T>): Promise<T> {
		const result = this.#tail.then(fn);
		// A failed task must not poison the queue for the tasks behind it.
		this.#tail = result.catch(() => undefined);
		return result;
	}
}
