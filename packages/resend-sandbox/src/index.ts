// @oja/resend-sandbox: a local stand-in for Resend's email API, so tests and `npm start` send
// email without a network or a Resend account. It serves the call Oja makes with Resend's
// validation, idempotency and error envelope, records every email (readable in a browser), and
// plays Resend's side of the webhooks: bounces, signed as Resend (Svix) signs them.
//
//   POST /emails   Authorization: Bearer <api key>  (missing → 401 missing_api_key; wrong → 403
//        invalid_api_key, as Resend answers)
//        {from, to: string | string[] (1–50), subject, html?, text? (one of them), cc?, bcc?,
//         reply_to?: string | string[], headers?: {…}, tags?: [{name, value}]}
//        Idempotency-Key (optional, ≤ 256 chars): the same key with the same body answers the first
//        send's id again and sends nothing; with a different body → 409 invalid_idempotent_request.
//        A malformed body → 422 validation_error.  → 200 {id}
//   GET  /emails/{id}   (same auth) → {object: "email", id, from, to, subject, html, text, created_at, last_event}
//   Errors are Resend's envelope: {statusCode, message, name}.
//
//   GET  /                     (loopback only) every email, newest first, HTML-escaped
//   GET  /view/{id}            (loopback only) that email's html, under a CSP sandbox (no scripts run)
//
//   Admin (no auth; loopback only), under /_admin (typed helpers in ./admin.ts):
//   GET  /_admin/emails[?to=address]   sends (and failed sends), oldest first
//   POST /_admin/fail {status: 429|500|503, to?, times?}  the next `times` matching, well-formed,
//        authorised sends answer `status` (recorded, with a null id); 429 carries Retry-After: 1
//   POST /_admin/bounce {address}   sends to it are accepted, then an `email.bounced` webhook is
//        POSTed to webhookUrl, signed with the webhook secret (Svix headers)
//   GET  /_admin/webhooks           every webhook sent (exact body and headers, the target's answer)
//   POST /_admin/sign {body, id?, timestamp?} → {headers}  Svix headers for any body (tests re-sign)
//   POST /_admin/reset              forgets emails, webhooks, rules, bounces and idempotency keys
//
// Webhooks are signed here with node:crypto, independently of @oja/email's WebCrypto verifier,
// so the two check each other. A webhook target that refuses or is down is recorded, not retried.
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BodyTooLarge, escapeHtml, isLoopback, readBody, sendJson as send } from "@oja/sandbox-http";
import { z } from "zod";
import type { FailureRule, RecordedEmail, WebhookDelivery } from "./admin.ts";

export type { FailureRule, RecordedEmail, WebhookDelivery } from "./admin.ts";

/** The API key and webhook secret `npm start` uses; tests make their own. Local only: Resend knows neither. */
export const SANDBOX_API_KEY = "re_local_sandbox_key_not_a_resend_key";
export const SANDBOX_WEBHOOK_SECRET = `whsec_${Buffer.from("oja-local-resend-sandbox-secret!").toString("base64")}`;
/** Where `npm start` runs it (RESEND_SANDBOX_PORT overrides). */
export const RESEND_SANDBOX_PORT = 5458;

export interface ResendSandboxOptions {
	apiKey: string;
	/** `whsec_<base64>`: the signing secret of the webhook endpoint. */
	webhookSecret: string;
	/** Where webhooks go (the endpoint configured in Resend's dashboard). */
	webhookUrl: string;
	/** 0 or absent: any free port. */
	port?: number;
	/** Default 127.0.0.1. The admin API and the pages answer loopback clients only, whatever this is. */
	host?: string;
	/** How long a webhook target gets to answer. Default 5 s. */
	webhookTimeoutMs?: number;
}

export interface ResendSandbox {
	/** The API base to give the client (https://api.resend.com's stand-in). */
	url: string;
	adminUrl: string;
	close(): Promise<void>;
}

const MAX_BODY = 512 * 1024;
const MAX_RECORDS = 5_000;

/** An answer Resend would give, in its envelope {statusCode, message, name}. */
class ResendError extends Error {
	readonly status: number;
	readonly code: string;
	readonly headers: Record<string, string>;
	constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.headers = headers;
	}
}

/** A bad admin request: plain `{error}` with a status, not Resend's envelope. */
class AdminError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

const address = z.string().regex(/^(?:[^<>\r\n]*<)?[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+>?$/, { message: "Invalid email address" });
const bare = (a: string) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase();
const oneOrMany = z.union([address, z.array(address).min(1).max(50)]);
const SendBody = z
	.looseObject({
		from: address,
		to: oneOrMany,
		subject: z.string().min(1).max(998),
		html: z.string().optional(),
		text: z.string().optional(),
		cc: oneOrMany.optional(),
		bcc: oneOrMany.optional(),
		reply_to: oneOrMany.optional(),
		headers: z.record(z.string(), z.string()).optional(),
		tags: z.array(z.object({ name: z.string().regex(/^[\w-]{1,256}$/), value: z.string().regex(/^[\w-]{1,256}$/) })).optional(),
	})
	.refine((b) => b.html !== undefined || b.text !== undefined, { message: "Missing `html` or `text` field.", path: ["html"] });

const FailBody = z.object({
	status: z.union([z.literal(429), z.literal(500), z.literal(503)]),
	to: z.string().max(320).optional(),
	times: z.number().int().positive().max(1000).default(1),
});
const BounceBody = z.object({ address: z.string().min(3).max(320) });
const SignBody = z.object({
	body: z.string().max(MAX_BODY),
	id: z.string().min(1).max(200).optional(),
	timestamp: z.number().int().nonnegative().optional(),
});

function sendHtml(res: ServerResponse, html: string, csp: string): void {
	res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": csp });
	res.end(html);
}

/** Svix's signature, computed with node:crypto (the verifier under test uses WebCrypto). */
export function svixSign(secret: string, id: string, timestamp: string, body: string): string {
	const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
	return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

export async function startResendSandbox(options: ResendSandboxOptions): Promise<ResendSandbox> {
	if (!options.apiKey) throw new Error("resend sandbox: apiKey is required");
	if (Buffer.from(options.webhookSecret.replace(/^whsec_/, ""), "base64").length === 0) {
		throw new Error("resend sandbox: webhookSecret must be whsec_<base64>");
	}
	const host = options.host ?? "127.0.0.1";
	let emails: RecordedEmail[] = [];
	let webhooks: WebhookDelivery[] = [];
	let rules: (FailureRule & { times: number })[] = [];
	let bouncing = new Set<string>();
	let idempotency = new Map<string, { hash: string; id: string }>();
	const keep = <T>(list: T[]) => (list.length > MAX_RECORDS ? list.slice(-MAX_RECORDS) : list);

	function authorise(req: IncomingMessage): void {
		const header = req.headers.authorization;
		if (!header) throw new ResendError(401, "missing_api_key", "Missing API key in the authorization header.");
		const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
		if (token !== options.apiKey) throw new ResendError(403, "invalid_api_key", "API key is invalid.");
	}

	async function deliver(type: WebhookDelivery["type"], email: RecordedEmail, to: string): Promise<void> {
		const createdAt = new Date().toISOString();
		const body = JSON.stringify({
			type,
			created_at: createdAt,
			data: {
				email_id: email.id,
				from: email.from,
				to: email.to,
				subject: email.subject,
				created_at: email.at,
				...(type === "email.bounced"
					? { bounce: { message: "The recipient's mailbox does not exist.", subType: "General", type: "Permanent" } }
					: {}),
			},
		});
		const id = `msg_${randomBytes(12).toString("hex")}`;
		const timestamp = String(Math.floor(Date.now() / 1000));
		const headers = {
			"svix-id": id,
			"svix-timestamp": timestamp,
			"svix-signature": svixSign(options.webhookSecret, id, timestamp, body),
		};
		const delivery: WebhookDelivery = {
			type,
			emailId: email.id ?? "",
			to,
			url: options.webhookUrl,
			body,
			headers,
			status: null,
			error: null,
		};
		webhooks = keep([...webhooks, delivery]);
		try {
			const res = await fetch(options.webhookUrl, {
				method: "POST",
				headers: { "content-type": "application/json", "user-agent": "Svix-Webhooks/1.0 (oja-resend-sandbox)", ...headers },
				body,
				signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 5_000),
			});
			delivery.status = res.status;
			await res.body?.cancel();
		} catch (error) {
			delivery.error = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : "unreachable";
		}
	}

	async function postEmail(req: IncomingMessage, res: ServerResponse): Promise<void> {
		authorise(req);
		let raw: string;
		try {
			raw = await readBody(req, MAX_BODY);
		} catch (error) {
			if (error instanceof BodyTooLarge)
				throw new ResendError(413, "validation_error", `Request bodies are limited to ${MAX_BODY} bytes.`);
			throw error;
		}
		let json: unknown;
		try {
			json = JSON.parse(raw);
		} catch {
			throw new ResendError(422, "validation_error", "The request body is not valid JSON.");
		}
		const parsed = SendBody.safeParse(json);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			const field = issue?.path.map(String).join(".") || "body";
			throw new ResendError(422, "validation_error", `Invalid \`${field}\` field: ${issue?.message ?? "invalid"}`);
		}
		const body = parsed.data;
		const key = req.headers["idempotency-key"];
		const idemKey = typeof key === "string" && key.length > 0 ? key : null;
		if (idemKey && idemKey.length > 256)
			throw new ResendError(422, "validation_error", "The idempotency key must be 1–256 characters.");
		const hash = createHash("sha256").update(raw).digest("hex");
		if (idemKey) {
			const seen = idempotency.get(idemKey);
			if (seen && seen.hash !== hash) {
				throw new ResendError(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.");
			}
			if (seen) return send(res, 200, { id: seen.id });
		}
		const to = (Array.isArray(body.to) ? body.to : [body.to]).map(bare);
		const record: RecordedEmail = {
			id: null,
			from: body.from,
			to,
			subject: body.subject,
			html: body.html ?? "",
			text: body.text ?? "",
			replyTo: body.reply_to === undefined ? null : [body.reply_to].flat().join(", "),
			tags: body.tags ?? [],
			idempotencyKey: idemKey,
			httpStatus: 200,
			at: new Date().toISOString(),
		};
		const rule = rules.find((r) => r.times > 0 && (r.to === undefined || to.includes(bare(r.to))));
		if (rule) {
			rule.times -= 1;
			rules = rules.filter((r) => r.times > 0);
			emails = keep([...emails, { ...record, httpStatus: rule.status }]);
			if (rule.status === 429) {
				throw new ResendError(429, "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second.", {
					"retry-after": "1",
				});
			}
			throw new ResendError(rule.status, "internal_server_error", "An unexpected error occurred.");
		}
		record.id = randomUUID();
		emails = keep([...emails, record]);
		if (idemKey) idempotency.set(idemKey, { hash, id: record.id });
		send(res, 200, { id: record.id });
		// Resend accepts the send, then the receiving server refuses it: the webhook comes later.
		for (const recipient of to) if (bouncing.has(recipient)) void deliver("email.bounced", record, recipient);
	}

	function listPage(): string {
		const items = [...emails]
			.reverse()
			.map(
				(e) =>
					`<li><b>${escapeHtml(e.subject)}</b> → ${escapeHtml(e.to.join(", "))} <small>${escapeHtml(e.at)} · ${
						e.id ? `<a href="/view/${escapeHtml(e.id)}">view</a>` : `failed (${e.httpStatus})`
					}</small><pre>${escapeHtml(e.text)}</pre></li>`,
			)
			.join("");
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="5"><title>Resend sandbox</title><style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}li{margin:1rem 0}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}</style></head><body><h1>Resend sandbox</h1>${
			items ? `<ol>${items}</ol>` : "<p>No email yet.</p>"
		}</body></html>`;
	}

	async function adminJson(req: IncomingMessage): Promise<unknown> {
		try {
			return JSON.parse(await readBody(req, MAX_BODY));
		} catch (error) {
			if (error instanceof BodyTooLarge) throw new AdminError(413, "Too large");
			throw new AdminError(400, "Invalid JSON body");
		}
	}

	function adminParse<T>(schema: z.ZodType<T>, value: unknown): T {
		const parsed = schema.safeParse(value);
		if (!parsed.success)
			throw new AdminError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
		return parsed.data;
	}

	async function adminApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
		const path = url.pathname;
		if (method === "GET" && path === "/_admin/emails") {
			const to = url.searchParams.get("to");
			return send(res, 200, { emails: to ? emails.filter((e) => e.to.includes(bare(to))) : emails });
		}
		if (method === "POST" && path === "/_admin/fail") {
			const rule = adminParse(FailBody, await adminJson(req));
			rules.push(rule);
			return send(res, 200, { rule });
		}
		if (method === "POST" && path === "/_admin/bounce") {
			const { address: a } = adminParse(BounceBody, await adminJson(req));
			bouncing.add(bare(a));
			return send(res, 200, { bouncing: [...bouncing] });
		}
		if (method === "GET" && path === "/_admin/webhooks") return send(res, 200, { webhooks });
		if (method === "POST" && path === "/_admin/sign") {
			const input = adminParse(SignBody, await adminJson(req));
			const id = input.id ?? `msg_${randomBytes(12).toString("hex")}`;
			const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
			return send(res, 200, {
				headers: {
					"svix-id": id,
					"svix-timestamp": timestamp,
					"svix-signature": svixSign(options.webhookSecret, id, timestamp, input.body),
				},
			});
		}
		if (method === "POST" && path === "/_admin/reset") {
			emails = [];
			webhooks = [];
			rules = [];
			bouncing = new Set();
			idempotency = new Map();
			return send(res, 200, { ok: true });
		}
		throw new AdminError(404, `No admin route ${method} ${path}`);
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = req.method ?? "GET";
		const url = new URL(req.url ?? "/", "http://sandbox.local");
		const local = isLoopback(req.socket.remoteAddress);
		try {
			if (url.pathname.startsWith("/_admin/")) {
				if (!local) throw new AdminError(403, "The admin API answers loopback clients only");
				return await adminApi(req, res, method, url);
			}
			if (method === "GET" && url.pathname === "/" && local) {
				return sendHtml(res, listPage(), "default-src 'none'; style-src 'unsafe-inline'");
			}
			const view = /^\/view\/([0-9a-f-]{36})$/.exec(url.pathname);
			if (method === "GET" && view && local) {
				const email = emails.find((e) => e.id === view[1]);
				if (!email) throw new AdminError(404, "No such email");
				// The email's own HTML, but nothing in it may run or load: a sandboxed document.
				return sendHtml(res, email.html, "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:");
			}
			if (method === "POST" && url.pathname === "/emails") return await postEmail(req, res);
			const get = /^\/emails\/([0-9a-f-]{36})$/.exec(url.pathname);
			if (method === "GET" && get) {
				authorise(req);
				const email = emails.find((e) => e.id === get[1]);
				if (!email) throw new ResendError(404, "not_found", "Email not found.");
				return send(res, 200, {
					object: "email",
					id: email.id,
					from: email.from,
					to: email.to,
					subject: email.subject,
					html: email.html,
					text: email.text,
					created_at: email.at,
					last_event: webhooks.some((w) => w.emailId === email.id) ? "bounced" : "delivered",
				});
			}
			throw new ResendError(404, "not_found", "The requested endpoint does not exist.");
		} catch (error) {
			if (error instanceof ResendError) {
				return send(res, error.status, { statusCode: error.status, message: error.message, name: error.code }, error.headers);
			}
			if (error instanceof AdminError) return send(res, error.status, { error: error.message });
			send(res, 500, { statusCode: 500, message: "An unexpected error occurred.", name: "internal_server_error" });
		}
	}

	const server = createServer((req, res) => void handle(req, res));
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
	const url = `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
	return {
		url,
		adminUrl: `${url}/_admin`,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
