// Cloudflare Queues take messages of at most 128 KB. Meta's webhook deliveries are usually a
// few KB, but one can batch many updates; a body over the limit is split into smaller
// deliveries of the same shape (one change, then chunks of its messages and statuses), each
// still a whole WhatsApp envelope the consumer reads the same way. Nothing is dropped: a single
// update larger than the limit is passed on alone (and the queue send will say so).

const encoder = new TextEncoder();
const sizeOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

interface Change {
	field?: unknown;
	value?: Record<string, unknown> & { messages?: unknown[]; statuses?: unknown[] };
}
interface Entry {
	id?: unknown;
	changes?: Change[];
}

/** Smaller envelopes, each at most `limitBytes` serialised where that is possible. */
export function splitDelivery(envelope: { object?: unknown; entry?: Entry[] }, limitBytes: number): unknown[] {
	const out: unknown[] = [];
	const wrap = (entry: Entry, change: Change) => ({ object: envelope.object, entry: [{ id: entry.id, changes: [change] }] });
	for (const entry of envelope.entry ?? []) {
		for (const change of entry.changes ?? []) {
			const whole = wrap(entry, change);
			if (sizeOf(whole) <= limitBytes || !change.value) {
				out.push(whole);
				continue;
			}
			const { messages = [], statuses = [], ...rest } = change.value;
			const items: { kind: "messages" | "statuses"; item: unknown }[] = [
				...messages.map((item) => ({ kind: "messages" as const, item })),
				...statuses.map((item) => ({ kind: "statuses" as const, item })),
			];
			let current: { messages: unknown[]; statuses: unknown[] } = { messages: [], statuses: [] };
			const build = (c: typeof current) =>
				wrap(entry, {
					field: change.field,
					value: {
						...rest,
						...(c.messages.length > 0 ? { messages: c.messages } : {}),
						...(c.statuses.length > 0 ? { statuses: c.statuses } : {}),
					},
				});
			for (const { kind, item } of items) {
				const next = { ...current, [kind]: [...current[kind], item] };
				if (current.messages.length + current.statuses.length > 0 && sizeOf(build(next)) > limitBytes) {
					out.push(build(current));
					current = { messages: [], statuses: [] };
					current[kind].push(item);
				} else current = next;
			}
			if (current.messages.length + current.statuses.length > 0) out.push(build(current));
		}
	}
	return out;
}
