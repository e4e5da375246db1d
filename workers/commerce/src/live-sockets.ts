// What the two live Durable Objects (OrderLive, StoreFeed) share: the highest event sequence
// each has pushed per order, kept in the object's SQLite so it survives hibernation and
// eviction, and a per-order queue so two notifications of one order never interleave.

/** Highest sequence handled per order, in the Durable Object's own SQLite storage. */
export class SequenceLog {
	private readonly sql: SqlStorage;

	constructor(sql: SqlStorage) {
		this.sql = sql;
		sql.exec("CREATE TABLE IF NOT EXISTS pushed (order_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL, at INTEGER NOT NULL)");
	}

	last(orderId: string): number {
		const row = this.sql.exec<{ sequence: number }>("SELECT sequence FROM pushed WHERE order_id = ?", orderId).toArray()[0];
		return row?.sequence ?? 0;
	}

	record(orderId: string, sequence: number): void {
		this.sql.exec(
			`INSERT INTO pushed (order_id, sequence, at) VALUES (?, ?, ?)
			ON CONFLICT (order_id) DO UPDATE SET sequence = max(sequence, excluded.sequence), at = excluded.at`,
			orderId,
			sequence,
			Date.now(),
		);
	}

	/** Forgets orders untouched since `before` (ms); an event for one later is re-read anyway. */
	prune(before: number): void {
		this.sql.exec("DELETE FROM pushed WHERE at < ?", before);
	}
}

/**
 * Runs tasks with the same key one after another. A Durable Object interleaves its calls at
 * every await that is not storage (a database read is a fetch), so without this a slow read
 * of an older state could be pushed after a quicker read of a newer one.
 */
export class KeyedQueue {
	private readonly tails = new Map<string, Promise<void>>();

	run<T>(key: string, task: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		const result = previous.then(task);
		const tail = result.then(
			() => undefined,
			() => undefined,
		);
		this.tails.set(key, tail);
		void tail.then(() => {
			if (this.tails.get(key) === tail) this.tails.delete(key);
		});
		return result;
	}
}

/** Sends to each socket; one that is closing must not stop the others. */
export function broadcast(sockets: WebSocket[], message: string): number {
	let sent = 0;
	for (const ws of sockets) {
		try {
			ws.send(message);
			sent++;
		} catch {
			// Already closing: its close handler cleans up.
		}
	}
	return sent;
}

/** Completes the closing handshake (the peer started it); the socket may already be gone. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
	try {
		ws.close(code, reason);
	} catch {
		// Already closed.
	}
}

export function isWebSocketUpgrade(request: Request): boolean {
	return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** A fresh pair: the client end goes back in the 101 response, the server end is accepted. */
export function socketPair(): { client: WebSocket; server: WebSocket } {
	const pair = new WebSocketPair();
	return { client: pair[0], server: pair[1] };
}
