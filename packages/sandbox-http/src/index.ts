// The HTTP plumbing every local provider sandbox (Paystack, WhatsApp, Resend, the courier) needs
// from node:http: JSON answers, bounded bodies, HTML escaping for their browser pages, and the
// loopback check that keeps their admin APIs to this machine. Node only; not for Workers.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A JSON answer. A client that timed out has gone: nothing is written to it. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (res.destroyed || res.headersSent) return;
	const text = JSON.stringify(body);
	res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
	res.end(text);
}

/** Thrown by readBody past its limit; each sandbox answers it in its provider's error format. */
export class BodyTooLarge extends Error {
	readonly limit: number;
	constructor(limit: number) {
		super(`Request bodies are limited to ${limit} bytes`);
		this.name = "BodyTooLarge";
		this.limit = limit;
	}
}

/** The request body as UTF-8, refused (BodyTooLarge) as soon as it passes `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
	let size = 0;
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > maxBytes) throw new BodyTooLarge(maxBytes);
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks).toString("utf8");
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML content and quoted attributes. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
	if (!address) return false;
	const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
	return v4.startsWith("127.") || address === "::1";
}
