/**
 * A least-recently-used map with a hard byte budget, for memory an isolate keeps across
 * requests. A Workers isolate has 128 MB for everything; a cache bounded by entry count alone
 * is bounded by nothing when entries can be large, so every entry is charged its size as the
 * caller measures it (`sizeOf`), and the total never exceeds `maxBytes`, not even for a moment
 * between an insert and its evictions.
 *
 * A Map iterates in insertion order, so re-inserting on every read keeps the least recently
 * used entry first.
 */
export interface ByteLruOptions<V> {
	/** The most the entries may add up to, in bytes as `sizeOf` counts them. */
	maxBytes: number;
	/** A larger entry is not stored at all (it would evict everything else for one response). */
	maxEntryBytes?: number;
	/** What an entry costs, key included; must be the same every time for the same entry. */
	sizeOf: (key: string, value: V) => number;
}

export class ByteLru<V> {
	readonly #entries = new Map<string, { value: V; bytes: number }>();
	readonly #maxBytes: number;
	readonly #maxEntryBytes: number;
	readonly #sizeOf: (key: string, value: V) => number;
	#bytes = 0;

	constructor(options: ByteLruOptions<V>) {
		if (!(options.maxBytes > 0)) throw new RangeError("maxBytes must be positive");
		this.#maxBytes = options.maxBytes;
		this.#maxEntryBytes = Math.min(options.maxEntryBytes ?? options.maxBytes, options.maxBytes);
		this.#sizeOf = options.sizeOf;
	}

	/** Bytes held now; never more than `maxBytes`. */
	get bytes(): number {
		return this.#bytes;
	}

	get size(): number {
		return this.#entries.size;
	}

	/** The value, now the most recently used; `undefined` if absent. */
	get(key: string): V | undefined {
		const entry = this.#entries.get(key);
		if (!entry) return undefined;
		this.#entries.delete(key);
		this.#entries.set(key, entry);
		return entry.value;
	}

	/**
	 * Stores the value as the most recently used, evicting the least recently used entries
	 * first until it fits. Returns false (and stores nothing, dropping any old value under the
	 * key) when the entry alone is over `maxEntryBytes`.
	 */
	set(key: string, value: V): boolean {
		this.delete(key);
		const bytes = this.#sizeOf(key, value);
		if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`sizeOf returned ${bytes}`);
		if (bytes > this.#maxEntryBytes) return false;
		for (const [oldest, entry] of this.#entries) {
			if (this.#bytes + bytes <= this.#maxBytes) break;
			this.#entries.delete(oldest);
			this.#bytes -= entry.bytes;
		}
		this.#entries.set(key, { value, bytes });
		this.#bytes += bytes;
		return true;
	}

	delete(key: string): boolean {
		const entry = this.#entries.get(key);
		if (!entry) return false;
		this.#entries.delete(key);
		this.#bytes -= entry.bytes;
		return true;
	}

	clear(): void {
		this.#entries.clear();
		this.#bytes = 0;
	}
}

/**
 * What a string costs on the V8 heap, at most: two bytes per UTF-16 code unit plus the
 * object header. (ASCII strings usually take one byte each; counting two keeps the budget
 * an upper bound.)
 */
export function stringBytes(s: string): number {
	return 16 + 2 * s.length;
}
