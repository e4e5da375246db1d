// Queue bodies as consumers and the dead-letter recorder read them. The webhook routes enqueue
// the exact text the provider signed (`contentType: "text"`), so the consumer parses what was
// verified; a body sent as bytes reads the same. (Sending bytes instead was measured locally and
// made no difference: docs/benchmarks.md, payments.)

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A queue message body as JSON: bytes and text are parsed, anything else is already a value. Throws when unreadable. */
export function queueJson(body: unknown): unknown {
	if (typeof body === "string") return JSON.parse(body);
	if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return JSON.parse(utf8.decode(body));
	return body;
}

/**
 * What a dead-letter row can store of a body: the parsed JSON when it is JSON (bytes or text),
 * else the text, else a note of its size. A jsonb column would store raw bytes as `{}`.
 */
export function storableBody(body: unknown): unknown {
	if (typeof body !== "string" && !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)) return body ?? null;
	let text: string;
	try {
		text = typeof body === "string" ? body : utf8.decode(body);
	} catch {
		return { unreadableBytes: (body as ArrayBuffer | ArrayBufferView).byteLength };
	}
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}
