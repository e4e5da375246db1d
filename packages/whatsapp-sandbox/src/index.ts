// @oja/whatsapp-sandbox: a local stand-in for Meta's WhatsApp Cloud API, so tests and `npm start`
// send and receive WhatsApp messages without a network or a Meta app. It serves the one Graph API
// call Oja makes, with Meta's validation, 24-hour window and error envelopes, and plays Meta's side
// of the webhook: customers' messages and delivery statuses, signed as Meta signs them.
//
//   POST /{version}/{phone-number-id}/messages   (any version, v21.0 …)
//        Authorization: Bearer <that number's accessToken> (missing or wrong → 401, code 190;
//        an unregistered number → 400, code 100, subcode 33)
//        {messaging_product: "whatsapp", recipient_type?, to (digits, "+" allowed), type, …} with type
//          text        {body ≤ 4096, preview_url?}
//          interactive button {body.text ≤ 1024, header?, footer?, action.buttons: 1–3 {type: "reply",
//                      reply: {id ≤ 256, title ≤ 20}}} or list {…, action: {button ≤ 20, sections
//                      1–10 {title? ≤ 24, rows {id ≤ 200, title ≤ 24, description? ≤ 72}}, ≤ 10 rows}}
//          template    {name, language: {code}, components?}
//        anything else → 400, code 100, with Meta's `error_data.details`
//        → 200 {messaging_product, contacts: [{input, wa_id}], messages: [{id: wamid}]}
//        Not a template, and the customer has not written to this number in 24 h → 400, code 131047.
//   Errors are Graph's envelope: {error: {message, type, code, error_subcode?, error_data?, fbtrace_id}}.
//
//   GET  /{version}/{phone-number-id}   (same Bearer rule) → {id, display_phone_number, verified_name, quality_rating}
//
//   GET / (loopback only): every chat (number, customer) with its messages both ways, in order.
//
//   Admin (no auth; loopback only), under /_admin (typed helpers in ./admin.ts):
//   POST /_admin/numbers {phoneNumberId, displayPhoneNumber, accessToken, autoStatuses?} → {number}
//        (autoStatuses: each accepted send is followed by signed sent → delivered → read webhooks)
//   GET  /_admin/numbers
//   POST /_admin/window {phoneNumberId, waId, lastInboundAt: ISO | null} opens or closes a window
//   POST /_admin/fail {phoneNumberId?, status: 400|429|500|503, code?, times?, retryAfter?} → the next
//        `times` well-formed, authorised sends answer `status` with Meta's envelope (recorded as failed)
//   POST /_admin/inbound {phoneNumberId, from, name?, message, url?} → the customer writes: Meta's
//        envelope (@oja/whatsapp's builders), signed, POSTed to url ?? webhookUrl; opens the window;
//        → {delivery: {status | error, body, signature, wamid, …}}
//   POST /_admin/status {phoneNumberId, wamid, status, to?, error?, url?} → a status webhook, likewise
//   POST /_admin/sign {body} → {signature} (for tests that POST webhooks themselves)
//   GET  /_admin/messages[?phoneNumberId&to] → sends, oldest first     GET /_admin/webhooks
//   POST /_admin/reset → forgets sends, webhooks, windows, chats and failure rules (numbers stay)
//
// Webhooks are signed here with node:crypto, independently of @oja/whatsapp's WebCrypto
// verifier, so the two check each other in tests. A webhook target that refuses or is down is
// recorded and not retried: the sandbox never crashes on it.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
	type InboundMessageSpec,
	inboundMessageEnvelope,
	inboundWamid,
	newWamid,
	type StatusSpec,
	statusEnvelope,
	WHATSAPP_SIGNATURE_HEADER,
} from "@oja/whatsapp";
import { z } from "zod";
import type { FailureRule, RecordedMessage, SandboxNumber, WebhookDelivery } from "./admin.ts";

export type {
	FailureRule,
	GraphErrorInfo,
	InboundOptions,
	RecordedMessage,
	RegisterNumberOptions,
	SandboxNumber,
	StatusOptions,
	WebhookDelivery,
} from "./admin.ts";

import { BodyTooLarge, escapeHtml, isLoopback, readBody, sendJson as send } from "@oja/sandbox-http";

/** The app secret `npm start` signs webhooks with; tests make their own. Local only: Meta knows no such app. */
export const SANDBOX_APP_SECRET = "oja_local_whatsapp_sandbox_app_secret_not_a_meta_secret";
/** Where `npm start` runs it (WHATSAPP_SANDBOX_PORT overrides). */
export const WHATSAPP_SANDBOX_PORT = 5457;

export interface WhatsAppSandboxOptions {
	/** The Meta app secret webhooks are signed with. */
	appSecret: string;
	/** Where webhooks go (the app's callback URL in Meta's dashboard). */
	webhookUrl: string;
	/** 0 or absent: any free port. */
	port?: number;
	/** Default 127.0.0.1. The admin API and the chat page answer loopback clients only, whatever this is. */
	host?: string;
	/** How long a webhook target gets to answer. Default 5 s. */
	webhookTimeoutMs?: number;
	/** The gap between automatic sent, delivered and read statuses. Default 50 ms. */
	statusDelayMs?: number;
}

export interface WhatsAppSandbox {
	/** The Graph API base to give the client (GraphClient's baseUrl). */
	url: string;
	/** Where the admin endpoints live (…/_admin). */
	adminUrl: string;
	close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const MAX_RECORDS = 5_000;
const WINDOW_MS = 24 * 60 * 60 * 1000;

/** Meta's titles for the codes the sandbox answers with. */
const TITLES: Record<number, string> = {
	4: "Application request limit reached",
	100: "Invalid parameter",
	190: "Invalid OAuth access token",
	80007: "Rate limit issues",
	130429: "Rate limit hit",
	131000: "Something went wrong",
	131008: "Required parameter is missing",
	131009: "Parameter value is not valid",
	131016: "Service unavailable",
	131026: "Message undeliverable",
	131047: "Re-engagement message",
	131048: "Spam rate limit hit",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	132001: "Template does not exist",
	133010: "Phone number not registered",
};

/** An answer the Graph API would give, in its error envelope. */
class GraphError extends Error {
	readonly status: number;
	readonly code: number;
	readonly subcode: number | undefined;
	readonly details: string | undefined;
	readonly type: string;
	constructor(status: number, code: number, message: string, extra: { subcode?: number; details?: string; type?: string } = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.subcode = extra.subcode;
		this.details = extra.details;
		this.type = extra.type ?? "OAuthException";
	}

	envelope(): Record<string, unknown> {
		return {
			error: {
				message: this.message,
				type: this.type,
				code: this.code,
				...(this.subcode === undefined ? {} : { error_subcode: this.subcode }),
				...(this.details === undefined ? {} : { error_data: { messaging_product: "whatsapp", details: this.details } }),
				fbtrace_id: randomBytes(9).toString("base64url"),
			},
		};
	}
}

/** Meta's "(#code) Title" error with details, as the messages endpoint answers. */
const graphError = (status: number, code: number, details?: string) =>
	new GraphError(status, code, `(#${code}) ${TITLES[code] ?? "Error"}`, { details: details ?? TITLES[code] ?? "Error" });

// ── The messages endpoint's body, checked as Meta checks it ──

const chars = (max: number) =>
	z
		.string()
		.min(1)
		.refine((s) => Array.from(s).length <= max, { message: `must be at most ${max} characters long` });

const TextHeader = z.object({ type: z.literal("text"), text: chars(60) });
const MediaHeader = z.object({
	type: z.enum(["image", "video", "document"]),
	image: z.looseObject({}).optional(),
	video: z.looseObject({}).optional(),
	document: z.looseObject({}).optional(),
});
const Frame = {
	body: z.object({ text: chars(1024) }),
	footer: z.object({ text: chars(60) }).optional(),
};

const ButtonInteractive = z.object({
	type: z.literal("button"),
	header: z.union([TextHeader, MediaHeader]).optional(),
	...Frame,
	action: z.object({
		buttons: z
			.array(z.object({ type: z.literal("reply"), reply: z.object({ id: chars(256), title: chars(20) }) }))
			.min(1)
			.max(3)
			.refine((buttons) => new Set(buttons.map((b) => b.reply.id)).size === buttons.length, {
				message: "button ids must be unique",
			}),
	}),
});
const ListInteractive = z.object({
	type: z.literal("list"),
	header: TextHeader.optional(),
	...Frame,
	action: z.object({
		button: chars(20),
		sections: z
			.array(
				z.object({
					title: chars(24).optional(),
					rows: z.array(z.object({ id: chars(200), title: chars(24), description: chars(72).optional() })).min(1),
				}),
			)
			.min(1)
			.max(10)
			.refine((sections) => sections.reduce((n, s) => n + s.rows.length, 0) <= 10, {
				message: "must have at most 10 rows in all sections",
			})
			.refine((sections) => sections.length === 1 || sections.every((s) => s.title !== undefined), {
				message: "each section needs a title when there is more than one",
			}),
	}),
});

const SendBody = z.discriminatedUnion("type", [
	z.looseObject({ type: z.literal("text"), text: z.object({ body: chars(4096), preview_url: z.boolean().optional() }) }),
	z.looseObject({
		type: z.literal("interactive"),
		interactive: z.discriminatedUnion("type", [ButtonInteractive, ListInteractive]),
	}),
	z.looseObject({
		type: z.literal("template"),
		template: z.object({
			name: z.string().min(1).max(512),
			language: z.object({ code: z.string().min(2).max(15), policy: z.literal("deterministic").optional() }),
			components: z.array(z.looseObject({ type: z.string().min(1) })).optional(),
		}),
	}),
]);
const SendEnvelope = z.looseObject({
	messaging_product: z.literal("whatsapp"),
	recipient_type: z.literal("individual").optional(),
	to: z.string().regex(/^\+?\d{5,20}$/, { message: "must be a phone number in digits" }),
});

/** Meta names a bad field like `interactive['action']['buttons']`. */
function paramName(path: PropertyKey[]): string {
	const [first, ...rest] = path.map(String);
	return first === undefined ? "body" : `${first}${rest.map((p) => `['${p}']`).join("")}`;
}

function invalid(error: z.ZodError): GraphError {
	const issue = error.issues[0];
	const details = issue ? `Param ${paramName(issue.path)} ${issue.message}` : "Invalid parameter";
	return graphError(400, 100, details);
}

// ── Admin bodies ──

const id = z.string().regex(/^\d{1,30}$/, { message: "must be digits" });
const waId = z.string().regex(/^\d{5,20}$/, { message: "must be a wa_id (digits)" });
const NumberBody = z.object({
	phoneNumberId: id,
	displayPhoneNumber: z.string().regex(/^\+?[\d ()-]{5,25}$/),
	accessToken: z.string().min(1).max(1000),
	autoStatuses: z.boolean().default(false),
});
const WindowBody = z.object({ phoneNumberId: id, waId, lastInboundAt: z.iso.datetime({ offset: true }).nullable() });
const FailBody = z.object({
	phoneNumberId: id.optional(),
	status: z.union([z.literal(400), z.literal(429), z.literal(500), z.literal(503)]),
	code: z.number().int().positive().optional(),
	times: z.number().int().positive().max(1000).default(1),
	retryAfter: z.number().int().nonnegative().max(3600).optional(),
});
const text = (max: number) => z.string().max(max);
const MessageSpec = z
	.discriminatedUnion("type", [
		z.object({ type: z.literal("text"), body: text(4096) }),
		z.object({ type: z.literal("button_reply"), id: text(256), title: text(20) }),
		z.object({ type: z.literal("list_reply"), id: text(200), title: text(24), description: text(72).optional() }),
		z.object({
			type: z.literal("order"),
			catalogId: text(100),
			items: z
				.array(
					z.object({
						productRetailerId: text(100),
						quantity: z.number().int().positive(),
						itemPrice: z.number().nonnegative(),
						currency: z.string().regex(/^[A-Z]{3}$/),
					}),
				)
				.min(1)
				.max(100),
			text: text(4096).optional(),
		}),
		z.object({
			type: z.literal("image"),
			mediaId: text(100),
			mimeType: text(100).optional(),
			caption: text(1024).optional(),
			sha256: text(100).optional(),
		}),
		z.object({
			type: z.literal("location"),
			latitude: z.number().min(-90).max(90),
			longitude: z.number().min(-180).max(180),
			name: text(1000).optional(),
			address: text(1000).optional(),
		}),
	])
	.and(
		z.object({
			wamid: z.string().min(1).max(256).optional(),
			timestamp: z.number().int().positive().optional(),
			contextId: z.string().min(1).max(256).optional(),
		}),
	);
const webhookTarget = z.url({ protocol: /^https?$/ }).optional();
const InboundBody = z.object({
	phoneNumberId: id,
	from: waId,
	name: z.string().max(200).optional(),
	message: MessageSpec,
	url: webhookTarget,
});
const StatusBody = z.object({
	phoneNumberId: id,
	wamid: z.string().min(1).max(256),
	status: z.enum(["sent", "delivered", "read", "failed"]),
	to: waId.optional(),
	error: z.object({ code: z.number().int(), title: z.string().min(1).max(500) }).optional(),
	url: webhookTarget,
});
const SignBody = z.object({ body: z.string().max(MAX_BODY) });

/** A bad admin request: plain `{error}` with a status, not Graph's envelope. */
class AdminError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

function adminParse<T>(schema: z.ZodType<T>, value: unknown): T {
	const parsed = schema.safeParse(value);
	if (parsed.success) return parsed.data;
	const detail = parsed.error.issues
		.slice(0, 3)
		.map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
		.join("; ");
	throw new AdminError(400, `Validation error: ${detail}`);
}

// ── HTTP plumbing ──

/** What a chat shows for a message the customer sent. */
function inboundPreview(m: InboundMessageSpec): string {
	switch (m.type) {
		case "text":
			return m.body;
		case "button_reply":
			return `[${m.title}]`;
		case "list_reply":
			return `☰ ${m.title}${m.description ? ` (${m.description})` : ""}`;
		case "order":
			return `🛒 order from catalog ${m.catalogId}: ${m.items.map((i) => `${i.quantity} × ${i.productRetailerId} @ ${i.itemPrice} ${i.currency}`).join(", ")}${m.text ? `\n${m.text}` : ""}`;
		case "image":
			return `🖼 image ${m.mediaId}${m.caption ? `: ${m.caption}` : ""}`;
		case "location":
			return `📍 ${[m.name, m.address].filter(Boolean).join(", ")} (${m.latitude}, ${m.longitude})`;
	}
}

/** What a chat shows for a message the business sent. */
function outboundPreview(body: z.infer<typeof SendBody>): string {
	switch (body.type) {
		case "text":
			return body.text.body;
		case "interactive": {
			const i = body.interactive;
			const options =
				i.type === "button"
					? i.action.buttons.map((b) => `[${b.reply.title}]`).join(" ")
					: `☰ ${i.action.button}: ${i.action.sections.flatMap((s) => s.rows.map((r) => r.title)).join(" · ")}`;
			return `${i.body.text}\n${options}`;
		}
		case "template":
			return `template ${body.template.name} (${body.template.language.code})`;
	}
}

interface ChatEntry {
	phoneNumberId: string;
	waId: string;
	direction: "in" | "out";
	wamid: string;
	text: string;
	at: string;
	name?: string;
}

export async function startWhatsAppSandbox(options: WhatsAppSandboxOptions): Promise<WhatsAppSandbox> {
	if (!options.appSecret) throw new Error("startWhatsAppSandbox: appSecret is required");
	const { appSecret, webhookUrl } = options;
	const webhookTimeoutMs = options.webhookTimeoutMs ?? 5_000;
	const statusDelayMs = options.statusDelayMs ?? 50;
	const host = options.host ?? "127.0.0.1";

	const numbers = new Map<string, SandboxNumber>();
	// `${phoneNumberId}:${waId}` → when the customer last wrote (ms).
	const windows = new Map<string, number>();
	const names = new Map<string, string>();
	let messages: RecordedMessage[] = [];
	let webhooks: WebhookDelivery[] = [];
	let chat: ChatEntry[] = [];
	let rules: (FailureRule & { times: number })[] = [];
	const timers = new Set<ReturnType<typeof setTimeout>>();
	let webhookSeq = 1;

	const keep = <T>(list: T[]): T[] => (list.length > MAX_RECORDS ? list.slice(-MAX_RECORDS) : list);
	const chatKey = (phoneNumberId: string, customer: string) => `${phoneNumberId}:${customer}`;

	// ── Webhooks ──

	async function deliver(
		kind: WebhookDelivery["kind"],
		meta: { phoneNumberId: string; waId: string; wamid: string; url?: string | undefined },
		envelope: Record<string, unknown>,
	): Promise<WebhookDelivery> {
		const body = JSON.stringify(envelope);
		const delivery: WebhookDelivery = {
			id: webhookSeq++,
			kind,
			phoneNumberId: meta.phoneNumberId,
			waId: meta.waId,
			wamid: meta.wamid,
			url: meta.url ?? webhookUrl,
			body,
			signature: `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`,
			status: null,
			error: null,
			sentAt: null,
		};
		webhooks = keep([...webhooks, delivery]);
		try {
			const res = await fetch(delivery.url, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					[WHATSAPP_SIGNATURE_HEADER]: delivery.signature,
					// What Meta's webhook requests identify themselves as.
					"user-agent": "facebookexternalua",
				},
				body,
				signal: AbortSignal.timeout(webhookTimeoutMs),
			});
			delivery.status = res.status;
			await res.body?.cancel();
		} catch (error) {
			delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		}
		delivery.sentAt = new Date().toISOString();
		if (delivery.error || (delivery.status !== null && delivery.status >= 300)) {
			console.warn(`whatsapp sandbox: ${kind} webhook to ${delivery.url} → ${delivery.error ?? delivery.status}`);
		}
		return delivery;
	}

	async function deliverStatus(number: SandboxNumber, spec: StatusSpec, url?: string): Promise<WebhookDelivery> {
		const sent = messages.find((m) => m.wamid === spec.wamid && m.phoneNumberId === number.phoneNumberId);
		if (sent) sent.deliveryStatus = spec.status;
		return deliver(
			"status",
			{ phoneNumberId: number.phoneNumberId, waId: spec.recipientWaId, wamid: spec.wamid, url },
			statusEnvelope(number.phoneNumberId, number.displayPhoneNumber, [spec]),
		);
	}

	const wait = (ms: number) =>
		new Promise<void>((resolve) => {
			const timer = setTimeout(() => {
				timers.delete(timer);
				resolve();
			}, ms);
			timers.add(timer);
		});
	let closed = false;

	async function autoStatuses(number: SandboxNumber, wamid: string, to: string): Promise<void> {
		for (const status of ["sent", "delivered", "read"] as const) {
			await wait(statusDelayMs);
			if (closed) return;
			await deliverStatus(number, { wamid, status, recipientWaId: to });
		}
	}

	// ── Graph API ──

	function authorise(req: IncomingMessage, phoneNumberId: string): SandboxNumber {
		const auth = req.headers.authorization;
		const token = /^Bearer (.+)$/i.exec(auth ?? "")?.[1]?.trim();
		const number = numbers.get(phoneNumberId);
		if (number && token === number.accessToken) return number;
		if (!token) {
			throw new GraphError(401, 190, "An active access token must be used to query information about the current user.");
		}
		const anyNumber = [...numbers.values()].some((n) => n.accessToken === token);
		if (!number && anyNumber) {
			// A good token asking for an object it cannot see: Graph's "does not exist" (as GraphMethodException).
			throw new GraphError(
				400,
				100,
				`Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
				{ subcode: 33, type: "GraphMethodException" },
			);
		}
		throw new GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token");
	}

	async function sendMessage(req: IncomingMessage, res: ServerResponse, phoneNumberId: string): Promise<void> {
		const number = authorise(req, phoneNumberId);
		let raw: string;
		try {
			raw = await readBody(req, MAX_BODY);
		} catch (error) {
			if (error instanceof BodyTooLarge) throw graphError(413, 100, `Request bodies are limited to ${MAX_BODY} bytes`);
			throw error;
		}
		let json: unknown;
		try {
			json = JSON.parse(raw);
		} catch {
			throw graphError(400, 100, "The request body is not valid JSON");
		}
		const envelope = SendEnvelope.safeParse(json);
		if (!envelope.success) throw invalid(envelope.error);
		const type = typeof envelope.data.type === "string" ? envelope.data.type : undefined;
		if (type === undefined) throw graphError(400, 100, "Param type is required");
		if (!["text", "interactive", "template"].includes(type)) {
			throw graphError(400, 100, `Param type '${type}' is not supported by the sandbox (text, interactive, template)`);
		}
		const parsed = SendBody.safeParse(json);
		if (!parsed.success) throw invalid(parsed.error);
		const body = parsed.data;
		const to = envelope.data.to.replace(/^\+/, "");
		const at = new Date();
		const base = { phoneNumberId, to: envelope.data.to, body: raw, type, at: at.toISOString(), deliveryStatus: null };

		const ruleIndex = rules.findIndex((r) => r.phoneNumberId === undefined || r.phoneNumberId === phoneNumberId);
		const rule = rules[ruleIndex];
		if (rule) {
			rule.times--;
			if (rule.times <= 0) rules.splice(ruleIndex, 1);
			const code = rule.code ?? (rule.status === 429 ? 130429 : rule.status === 400 ? 131026 : 131000);
			const error = graphError(rule.status, code);
			messages = keep([
				...messages,
				{ ...base, wamid: null, httpStatus: rule.status, failed: true, error: { code, message: error.message } },
			]);
			send(res, rule.status, error.envelope(), rule.retryAfter === undefined ? {} : { "retry-after": String(rule.retryAfter) });
			return;
		}

		const lastInbound = windows.get(chatKey(phoneNumberId, to));
		if (type !== "template" && (lastInbound === undefined || at.getTime() - lastInbound > WINDOW_MS)) {
			throw graphError(
				400,
				131047,
				"Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
			);
		}

		const wamid = newWamid();
		messages = keep([...messages, { ...base, wamid, httpStatus: 200, failed: false, error: null }]);
		chat = keep([
			...chat,
			{ phoneNumberId, waId: to, direction: "out", wamid, text: outboundPreview(body), at: at.toISOString() },
		]);
		send(res, 200, {
			messaging_product: "whatsapp",
			contacts: [{ input: envelope.data.to, wa_id: to }],
			// Meta marks template sends as accepted (they are queued for the template's checks).
			messages: [type === "template" ? { id: wamid, message_status: "accepted" } : { id: wamid }],
		});
		if (number.autoStatuses) void autoStatuses(number, wamid, to);
	}

	async function graph(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
		// GET /{version}/{phone-number-id}: the number, for a token that may use it (Oja checks a
		// store's token this way before accepting the number as the store's).
		const node = /^\/v\d+\.\d+\/(\d{5,20})\/?$/.exec(path);
		if (node?.[1] && method === "GET") {
			const number = authorise(req, node[1]);
			return send(res, 200, {
				id: number.phoneNumberId,
				display_phone_number: number.displayPhoneNumber,
				verified_name: "Oja Sandbox Business",
				quality_rating: "GREEN",
			});
		}
		const m = /^\/v\d+\.\d+\/([^/]+)\/messages\/?$/.exec(path);
		if (!m?.[1]) throw new GraphError(400, 2500, `Unknown path components: ${path}`);
		if (method !== "POST") {
			throw new GraphError(400, 100, `Unsupported ${method.toLowerCase()} request.`, { type: "GraphMethodException" });
		}
		let phoneNumberId: string;
		try {
			phoneNumberId = decodeURIComponent(m[1]);
		} catch {
			throw new GraphError(400, 2500, "Malformed path");
		}
		await sendMessage(req, res, phoneNumberId);
	}

	// ── Chat page ──

	function chatPage(): string {
		const groups = new Map<string, ChatEntry[]>();
		for (const entry of chat) {
			const key = chatKey(entry.phoneNumberId, entry.waId);
			groups.set(key, [...(groups.get(key) ?? []), entry]);
		}
		const statusOf = (wamid: string) => messages.find((m) => m.wamid === wamid)?.deliveryStatus;
		const sections = [...groups.entries()].map(([key, entries]) => {
			const first = entries[0] as ChatEntry;
			const number = numbers.get(first.phoneNumberId);
			const name = names.get(key);
			const items = entries
				.map((e) => {
					const status = e.direction === "out" ? statusOf(e.wamid) : undefined;
					return `<li class="${e.direction}"><div class="text">${escapeHtml(e.text)}</div><div class="meta">${escapeHtml(e.at)}${status ? ` · ${escapeHtml(status)}` : ""}</div></li>`;
				})
				.join("");
			return `<section><h2>${escapeHtml(name ? `${name} (+${first.waId})` : `+${first.waId}`)} ↔ ${escapeHtml(number ? `+${number.displayPhoneNumber.replace(/\D/g, "")}` : first.phoneNumberId)}</h2><ol>${items}</ol></section>`;
		});
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="5"><title>WhatsApp sandbox</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222;background:#efeae2}h2{font-size:1rem}ol{list-style:none;padding:0}li{max-width:80%;margin:.4rem 0;padding:.4rem .6rem;border-radius:.5rem;background:#fff;white-space:pre-wrap}li.out{margin-left:auto;background:#d9fdd3}.meta{font-size:.7rem;color:#667}</style></head><body><h1>WhatsApp sandbox</h1>${sections.length === 0 ? "<p>No chats yet: POST /_admin/inbound to write as a customer.</p>" : sections.join("")}</body></html>`;
	}

	// ── Admin ──

	async function adminJson(req: IncomingMessage): Promise<unknown> {
		let text: string;
		try {
			text = await readBody(req, MAX_BODY);
		} catch (error) {
			if (error instanceof BodyTooLarge) throw new AdminError(413, `Request bodies are limited to ${MAX_BODY} bytes`);
			throw error;
		}
		try {
			return JSON.parse(text);
		} catch {
			throw new AdminError(400, "Invalid JSON body");
		}
	}

	const registered = (phoneNumberId: string) => {
		const number = numbers.get(phoneNumberId);
		if (!number) throw new AdminError(404, `Phone number ${phoneNumberId} is not registered: POST /_admin/numbers`);
		return number;
	};

	async function adminApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
		const path = url.pathname;
		if (method === "GET" && path === "/_admin/numbers") return send(res, 200, { numbers: [...numbers.values()] });
		if (method === "POST" && path === "/_admin/numbers") {
			const number = adminParse(NumberBody, await adminJson(req));
			numbers.set(number.phoneNumberId, number);
			return send(res, 200, { number });
		}
		if (method === "POST" && path === "/_admin/window") {
			const w = adminParse(WindowBody, await adminJson(req));
			const key = chatKey(w.phoneNumberId, w.waId);
			if (w.lastInboundAt === null) windows.delete(key);
			else windows.set(key, Date.parse(w.lastInboundAt));
			return send(res, 200, { window: w });
		}
		if (method === "POST" && path === "/_admin/fail") {
			const rule = adminParse(FailBody, await adminJson(req));
			rules.push(rule);
			return send(res, 200, { rule });
		}
		if (method === "POST" && path === "/_admin/inbound") {
			const input = adminParse(InboundBody, await adminJson(req));
			const number = registered(input.phoneNumberId);
			const wamid = inboundWamid(input.message);
			const message = { ...input.message, wamid };
			const key = chatKey(number.phoneNumberId, input.from);
			// The customer wrote to Meta: the window opens whether or not our webhook is reachable.
			windows.set(key, (message.timestamp ?? Math.floor(Date.now() / 1000)) * 1000);
			if (input.name !== undefined) names.set(key, input.name);
			chat = keep([
				...chat,
				{
					phoneNumberId: number.phoneNumberId,
					waId: input.from,
					direction: "in",
					wamid,
					text: inboundPreview(message),
					at: new Date().toISOString(),
				},
			]);
			const envelope = inboundMessageEnvelope(
				{
					phoneNumberId: number.phoneNumberId,
					displayPhoneNumber: number.displayPhoneNumber,
					waId: input.from,
					...(input.name === undefined ? {} : { name: input.name }),
				},
				[message],
			);
			const delivery = await deliver(
				"message",
				{ phoneNumberId: number.phoneNumberId, waId: input.from, wamid, url: input.url },
				envelope,
			);
			return send(res, 200, { delivery });
		}
		if (method === "POST" && path === "/_admin/status") {
			const input = adminParse(StatusBody, await adminJson(req));
			const number = registered(input.phoneNumberId);
			const recipient = input.to ?? messages.find((m) => m.wamid === input.wamid && m.phoneNumberId === number.phoneNumberId)?.to;
			if (!recipient) throw new AdminError(404, `No message ${input.wamid} was sent from ${number.phoneNumberId}: give to`);
			const delivery = await deliverStatus(
				number,
				{
					wamid: input.wamid,
					status: input.status,
					recipientWaId: recipient.replace(/^\+/, ""),
					...(input.error === undefined ? {} : { error: input.error }),
				},
				input.url,
			);
			return send(res, 200, { delivery });
		}
		if (method === "POST" && path === "/_admin/sign") {
			const { body } = adminParse(SignBody, await adminJson(req));
			return send(res, 200, { signature: `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}` });
		}
		if (method === "GET" && path === "/_admin/messages") {
			const phoneNumberId = url.searchParams.get("phoneNumberId");
			const to = url.searchParams.get("to")?.replace(/^\+/, "");
			return send(res, 200, {
				messages: messages.filter(
					(m) => (phoneNumberId === null || m.phoneNumberId === phoneNumberId) && (!to || m.to.replace(/^\+/, "") === to),
				),
			});
		}
		if (method === "GET" && path === "/_admin/webhooks") return send(res, 200, { webhooks });
		if (method === "POST" && path === "/_admin/reset") {
			messages = [];
			webhooks = [];
			chat = [];
			rules = [];
			windows.clear();
			names.clear();
			return send(res, 200, { reset: true });
		}
		throw new AdminError(404, `No admin route for ${method} ${path}`);
	}

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		let url: URL;
		try {
			url = new URL(req.url ?? "/", "http://sandbox.invalid");
		} catch {
			return send(res, 400, new GraphError(400, 2500, "Malformed URL").envelope());
		}
		const method = req.method ?? "GET";
		const local = url.pathname === "/" || url.pathname === "/_admin" || url.pathname.startsWith("/_admin/");
		try {
			if (local && !isLoopback(req.socket.remoteAddress))
				throw new AdminError(403, "The admin API answers loopback clients only");
			if (url.pathname === "/") {
				if (method !== "GET") throw new AdminError(405, "GET only");
				const html = chatPage();
				res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
				res.end(html);
				return;
			}
			if (local) return await adminApi(req, res, method, url);
			return await graph(req, res, method, url.pathname);
		} catch (error) {
			if (error instanceof GraphError) return send(res, error.status, error.envelope());
			if (error instanceof AdminError) return send(res, error.status, { error: error.message });
			throw error;
		}
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			console.error("whatsapp sandbox: internal error", error);
			if (res.headersSent) res.destroy();
			else send(res, 500, graphError(500, 131000).envelope());
		});
	});
	server.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const { port } = server.address() as AddressInfo;
	// A wildcard bind is reached through loopback; a named host as itself.
	const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
	const base = `http://${reachable}:${port}`;

	return {
		url: base,
		adminUrl: `${base}/_admin`,
		close: () =>
			new Promise<void>((resolve) => {
				closed = true;
				for (const timer of timers) clearTimeout(timer);
				timers.clear();
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
