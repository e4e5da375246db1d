// @oja/delivery-sandbox: a local stand-in for a Kwik-style courier API, so tests and
// `npm start` book deliveries without a network. It serves exactly what @oja/delivery's
// KwikLikeClient speaks (requests are parsed with the same zod schemas), plus an admin API
// that plays the courier's side: riders being assigned, picking up, delivering.
//
//   POST /v1/quotes                 {pickup, dropoff, parcel} → {feeMinor, currency, etaMinutes}
//   POST /v1/tasks                  {reference, …, callbackUrl} → 201 task; the same reference and
//                                   body again → 200, the same task (idempotent-replay: true);
//                                   the same reference with a different body → 409 reference_conflict
//   GET  /v1/tasks/{id}             → task
//   POST /v1/tasks/{id}/cancel      → task (pending/assigned only; repeatable; no callback is sent)
//   GET  /track/{id}                → a tiny tracking page (the task's trackingUrl)
//   Every /v1 call needs `Authorization: Bearer <apiKey>` (default "kwik_sandbox_key"); errors are
//   {"error":{"code","message"}}: 401 unauthorized, 404 not_found, 400 invalid_json,
//   422 invalid_request / unsupported_route, 409 reference_conflict / not_cancellable.
//
//   Admin (no auth; loopback only), for tests:
//   POST /_admin/tasks/{id}/advance {status?, rider?, deliver?} → moves the task (default: next step of
//        pending → assigned → picked_up → delivered; or cancelled/failed) and POSTs the signed callback;
//        answers {task, webhook: {url, body, signature, status, error}} with the target's status code
//   POST /_admin/fail {path, method?, status?, delayMs?, drop?, retryAfter?, times?} → the next `times`
//        matching /v1 calls fail that way (to test retries and timeouts)
//   GET  /_admin/tasks[?reference=…]  GET /_admin/requests  POST /_admin/reset
//
// Fees are deterministic: a base plus a per-km rate, by great-circle distance when both ends
// have coordinates, else 8 km within a city and 30 km between cities; same country only.
// Callbacks are signed here with node:crypto, independently of the client's WebCrypto
// verifier, so the two check each other in tests.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTaskRequest, type DeliveryAddress, QuoteRequest, TaskStatus, WEBHOOK_SIGNATURE_HEADER } from "@oja/delivery";
import { BodyTooLarge, escapeHtml, readBody, sendJson as send } from "@oja/sandbox-http";
import { z } from "zod";
import type { FailureRule, LoggedRequest, SandboxTask, WebhookDelivery } from "./admin.ts";

export type { FailureRule, LoggedRequest, SandboxTask, WebhookDelivery } from "./admin.ts";

/** The API key the sandbox accepts unless told otherwise (also what `npm start` configures). */
export const SANDBOX_API_KEY = "kwik_sandbox_key";
/** The webhook secret `npm start` uses; tests generate a fresh one per run. Local only, never a real secret. */
export const SANDBOX_WEBHOOK_SECRET = "whsec_oja_local_delivery_sandbox";
/** Where `npm start` runs it (DELIVERY_SANDBOX_PORT overrides). */
export const DELIVERY_SANDBOX_PORT = 5454;

export interface DeliverySandboxOptions {
	/** 0 or absent: any free port. */
	port?: number;
	/** Signs every callback: hex(HMAC-SHA256(body, webhookSecret)) in x-kwik-signature. */
	webhookSecret: string;
	apiKey?: string;
	/** When set, every open task moves one step along pending → … → delivered after this long (for `npm start`). */
	autoAdvanceMs?: number;
	/** How long a callback target gets to answer. Default 5 s. */
	webhookTimeoutMs?: number;
}

export interface DeliverySandbox {
	/** The API base to give the client (KwikLikeClient's baseUrl; DELIVERY_API_URL). */
	url: string;
	/** Where the admin endpoint lives (…/_admin). */
	adminUrl: string;
	close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const MAX_TASKS = 10_000;
const NEXT: Partial<Record<TaskStatus, TaskStatus>> = { pending: "assigned", assigned: "picked_up", picked_up: "delivered" };
const PROGRESS: Record<TaskStatus, number> = { pending: 0, assigned: 1, picked_up: 2, delivered: 3, cancelled: 9, failed: 9 };
const TERMINAL = new Set<TaskStatus>(["delivered", "cancelled", "failed"]);
const RIDERS = [
	{ name: "Tunde Bakare", phone: "+2348030000001" },
	{ name: "Amaka Obi", phone: "+2348030000002" },
	{ name: "Musa Ibrahim", phone: "+2348030000003" },
];
/** Base fee and per-km rate in minor units, per country served. */
const TARIFF: Record<string, { currency: "NGN" | "GHS" | "KES" | "ZAR"; base: number; perKm: number }> = {
	NG: { currency: "NGN", base: 100_000, perKm: 15_000 },
	GH: { currency: "GHS", base: 2_000, perKm: 300 },
	KE: { currency: "KES", base: 20_000, perKm: 3_000 },
	ZA: { currency: "ZAR", base: 3_000, perKm: 500 },
};

const AdvanceBody = z.object({
	status: TaskStatus.exclude(["pending"]).optional(),
	rider: z.object({ name: z.string().min(1).max(200), phone: z.string().min(1).max(40) }).optional(),
	deliver: z.boolean().default(true),
});
const FailBody = z
	.object({
		path: z.string().regex(/^\/v1\//, { message: "path must start with /v1/" }),
		method: z.enum(["GET", "POST"]).optional(),
		status: z.number().int().min(400).max(599).optional(),
		delayMs: z.number().int().positive().max(60_000).optional(),
		drop: z.boolean().optional(),
		retryAfter: z.number().int().nonnegative().max(3600).optional(),
		times: z.number().int().positive().max(1000).default(1),
	})
	.refine((r) => r.status !== undefined || r.delayMs !== undefined || r.drop === true, {
		message: "give status, delayMs or drop",
	});

interface StoredTask {
	task: SandboxTask;
	/** The parsed create request, serialised: a replay must match it exactly. */
	fingerprint: string;
}

class HttpError extends Error {
	readonly status: number;
	readonly code: string;
	constructor(status: number, code: string, message: string) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

/** The body, or this provider's 413 past MAX_BODY. */
function readText(req: IncomingMessage): Promise<string> {
	return readBody(req, MAX_BODY).catch((error: unknown) => {
		throw error instanceof BodyTooLarge ? new HttpError(413, "body_too_large", error.message) : error;
	});
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const text = await readText(req);
	try {
		return JSON.parse(text);
	} catch {
		throw new HttpError(400, "invalid_json", "the request body is not JSON");
	}
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
	const parsed = schema.safeParse(value);
	if (parsed.success) return parsed.data;
	const detail = parsed.error.issues
		.slice(0, 5)
		.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
		.join("; ");
	throw new HttpError(422, "invalid_request", detail);
}

function distanceKm(a: DeliveryAddress, b: DeliveryAddress): number {
	if (a.latitude !== undefined && a.longitude !== undefined && b.latitude !== undefined && b.longitude !== undefined) {
		const rad = Math.PI / 180;
		const dLat = (b.latitude - a.latitude) * rad;
		const dLng = (b.longitude - a.longitude) * rad;
		const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLng / 2) ** 2;
		return 2 * 6371 * Math.asin(Math.sqrt(h));
	}
	return a.city.trim().toLowerCase() === b.city.trim().toLowerCase() ? 8 : 30;
}

function price(pickup: DeliveryAddress, dropoff: DeliveryAddress): { feeMinor: number; currency: string; etaMinutes: number } {
	const tariff = TARIFF[pickup.country];
	if (!tariff) throw new HttpError(422, "unsupported_route", `no service in ${pickup.country}`);
	if (dropoff.country !== pickup.country) throw new HttpError(422, "unsupported_route", "cross-border deliveries are not served");
	const km = Math.max(1, Math.ceil(distanceKm(pickup, dropoff)));
	if (km > 200) throw new HttpError(422, "unsupported_route", `${km} km is beyond same-day range`);
	return { feeMinor: tariff.base + tariff.perKm * km, currency: tariff.currency, etaMinutes: 20 + km * 3 };
}

function matches(rule: FailureRule, method: string, path: string): boolean {
	if (rule.method && rule.method !== method) return false;
	return rule.path.endsWith("*") ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
}

export async function startDeliverySandbox(options: DeliverySandboxOptions): Promise<DeliverySandbox> {
	if (!options.webhookSecret) throw new Error("startDeliverySandbox: webhookSecret is required");
	const apiKey = options.apiKey ?? SANDBOX_API_KEY;
	const webhookTimeoutMs = options.webhookTimeoutMs ?? 5_000;
	const host = "127.0.0.1";
	const tasks = new Map<string, StoredTask>();
	const byReference = new Map<string, string>();
	let rules: (FailureRule & { times: number })[] = [];
	let requests: LoggedRequest[] = [];
	const timers = new Set<ReturnType<typeof setTimeout>>();
	let base = "";
	let riderTurn = 0;

	const wait = (ms: number) =>
		new Promise<void>((resolve) => {
			const timer = setTimeout(() => {
				timers.delete(timer);
				resolve();
			}, ms);
			timers.add(timer);
		});

	const stored = (taskId: string): StoredTask => {
		const found = tasks.get(taskId);
		if (!found) throw new HttpError(404, "not_found", `no task ${taskId}`);
		return found;
	};
	const publicTask = ({ callbackUrl: _, ...task }: SandboxTask) => task;

	async function deliverWebhook(task: SandboxTask, send: boolean): Promise<WebhookDelivery> {
		const event = {
			eventId: `evt_${randomBytes(10).toString("hex")}`,
			event: `task.${task.status}`,
			taskId: task.taskId,
			reference: task.reference,
			status: task.status,
			occurredAt: task.updatedAt,
			...(task.rider ? { rider: task.rider } : {}),
		};
		const body = JSON.stringify(event);
		const signature = createHmac("sha256", options.webhookSecret).update(body).digest("hex");
		const delivery: WebhookDelivery = { url: task.callbackUrl, body, signature, status: null, error: null };
		if (!send) return delivery;
		try {
			const res = await fetch(task.callbackUrl, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					[WEBHOOK_SIGNATURE_HEADER]: signature,
					"user-agent": "oja-delivery-sandbox",
				},
				body,
				signal: AbortSignal.timeout(webhookTimeoutMs),
			});
			delivery.status = res.status;
			await res.body?.cancel();
		} catch (error) {
			delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		}
		return delivery;
	}

	function move(entry: StoredTask, to: TaskStatus, rider?: { name: string; phone: string }): void {
		const from = entry.task.status;
		if (TERMINAL.has(from)) throw new HttpError(409, "invalid_transition", `task is already ${from}`);
		if (to !== "cancelled" && to !== "failed" && PROGRESS[to] <= PROGRESS[from]) {
			throw new HttpError(409, "invalid_transition", `cannot go from ${from} to ${to}`);
		}
		if (rider) entry.task.rider = rider;
		else if (!entry.task.rider && PROGRESS[to] >= PROGRESS.assigned && to !== "cancelled" && to !== "failed") {
			entry.task.rider = RIDERS[riderTurn++ % RIDERS.length] ?? null;
		}
		entry.task.status = to;
		entry.task.updatedAt = new Date().toISOString();
	}

	async function api(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
		const log: LoggedRequest = { method, path, status: null };
		requests.push(log);
		if (requests.length > 1000) requests.shift();

		const ruleIndex = rules.findIndex((r) => matches(r, method, path));
		const rule = ruleIndex >= 0 ? rules[ruleIndex] : undefined;
		if (rule) {
			rule.times--;
			if (rule.times <= 0) rules.splice(ruleIndex, 1);
		}
		const answer = async (status: number, body: unknown, headers: Record<string, string> = {}) => {
			if (rule?.delayMs) await wait(rule.delayMs);
			log.status = status;
			send(res, status, body, headers);
		};
		if (rule?.drop) {
			req.socket.destroy();
			return;
		}
		if (rule?.status) {
			await answer(
				rule.status,
				{ error: { code: `injected_${rule.status}`, message: "failure injected through /_admin/fail" } },
				rule.retryAfter === undefined ? {} : { "retry-after": String(rule.retryAfter) },
			);
			return;
		}

		try {
			if (req.headers.authorization !== `Bearer ${apiKey}`) {
				throw new HttpError(401, "unauthorized", "missing or wrong API key (Authorization: Bearer …)");
			}
			if (method === "POST" && path === "/v1/quotes") {
				const input = parse(QuoteRequest, await readJson(req));
				return await answer(200, price(input.pickup, input.dropoff));
			}
			if (method === "POST" && path === "/v1/tasks") {
				const input = parse(CreateTaskRequest, await readJson(req));
				const fingerprint = JSON.stringify(input);
				const existingId = byReference.get(input.reference);
				if (existingId !== undefined) {
					const existing = stored(existingId);
					if (existing.fingerprint !== fingerprint) {
						throw new HttpError(409, "reference_conflict", `reference ${input.reference} was booked with different details`);
					}
					return await answer(200, publicTask(existing.task), { "idempotent-replay": "true" });
				}
				if (tasks.size >= MAX_TASKS) throw new HttpError(503, "sandbox_full", "POST /_admin/reset");
				const { feeMinor, currency } = price(input.pickup, input.dropoff);
				const taskId = `tsk_${randomBytes(10).toString("hex")}`;
				const now = new Date().toISOString();
				const task: SandboxTask = {
					taskId,
					reference: input.reference,
					status: "pending",
					trackingUrl: `${base}/track/${taskId}`,
					feeMinor,
					currency: currency as SandboxTask["currency"],
					rider: null,
					createdAt: now,
					updatedAt: now,
					callbackUrl: input.callbackUrl,
				};
				tasks.set(taskId, { task, fingerprint });
				byReference.set(input.reference, taskId);
				return await answer(201, publicTask(task));
			}
			const one = /^\/v1\/tasks\/([^/]+)(\/cancel)?$/.exec(path);
			if (one?.[1] !== undefined) {
				const entry = stored(decodeURIComponent(one[1]));
				if (method === "GET" && !one[2]) return await answer(200, publicTask(entry.task));
				if (method === "POST" && one[2]) {
					const { status } = entry.task;
					if (status !== "cancelled") {
						if (status !== "pending" && status !== "assigned") {
							throw new HttpError(409, "not_cancellable", `a task that is ${status} cannot be cancelled`);
						}
						move(entry, "cancelled");
					}
					return await answer(200, publicTask(entry.task));
				}
			}
			throw new HttpError(404, "not_found", `no route for ${method} ${path}`);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			await answer(error.status, { error: { code: error.code, message: error.message } });
		}
	}

	async function adminApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
		const path = url.pathname;
		if (method === "GET" && path === "/_admin/tasks") {
			const reference = url.searchParams.get("reference");
			const list = [...tasks.values()].map((t) => t.task).filter((t) => reference === null || t.reference === reference);
			return send(res, 200, { tasks: list });
		}
		if (method === "GET" && path === "/_admin/requests") return send(res, 200, { requests });
		if (method === "POST" && path === "/_admin/reset") {
			tasks.clear();
			byReference.clear();
			rules = [];
			requests = [];
			return send(res, 200, { reset: true });
		}
		if (method === "POST" && path === "/_admin/fail") {
			const rule = parse(FailBody, await readJson(req));
			rules.push(rule);
			return send(res, 200, { rule });
		}
		const advance = /^\/_admin\/tasks\/([^/]+)\/advance$/.exec(path);
		if (method === "POST" && advance?.[1] !== undefined) {
			const text = await readText(req);
			const body = parse(AdvanceBody, text.trim() === "" ? {} : JSON.parse(text));
			const entry = stored(decodeURIComponent(advance[1]));
			const to = body.status ?? NEXT[entry.task.status];
			if (!to) throw new HttpError(409, "invalid_transition", `task is already ${entry.task.status}`);
			move(entry, to, body.rider);
			const webhook = await deliverWebhook(entry.task, body.deliver);
			return send(res, 200, { task: entry.task, webhook });
		}
		throw new HttpError(404, "not_found", `no admin route for ${method} ${path}`);
	}

	function trackingPage(res: ServerResponse, taskId: string): void {
		const entry = tasks.get(taskId);
		const html = entry
			? `<!doctype html><title>Delivery ${escapeHtml(taskId)}</title><h1>${escapeHtml(entry.task.status.replace("_", " "))}</h1><p>Reference ${escapeHtml(entry.task.reference)}${entry.task.rider ? `; rider ${escapeHtml(entry.task.rider.name)}` : ""}</p>`
			: "<!doctype html><title>Not found</title><h1>No such delivery</h1>";
		res.writeHead(entry ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
		res.end(html);
	}

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const url = new URL(req.url ?? "/", `http://${host}`);
		const method = req.method ?? "GET";
		try {
			if (url.pathname.startsWith("/v1/")) return await api(req, res, method, url.pathname);
			if (url.pathname.startsWith("/_admin/")) return await adminApi(req, res, method, url);
			const track = /^\/track\/([^/]+)$/.exec(url.pathname);
			if (method === "GET" && track?.[1] !== undefined) return trackingPage(res, decodeURIComponent(track[1]));
			throw new HttpError(404, "not_found", `no route for ${method} ${url.pathname}`);
		} catch (error) {
			if (error instanceof HttpError) return send(res, error.status, { error: { code: error.code, message: error.message } });
			if (error instanceof SyntaxError) return send(res, 400, { error: { code: "invalid_json", message: error.message } });
			throw error;
		}
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) res.destroy();
			else send(res, 500, { error: { code: "internal", message: error instanceof Error ? error.message : String(error) } });
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
	base = `http://${host}:${port}`;

	let ticker: ReturnType<typeof setInterval> | undefined;
	if (options.autoAdvanceMs) {
		const every = options.autoAdvanceMs;
		// Tick more often than the step so each task waits about `every`, not up to twice that.
		ticker = setInterval(
			() => {
				const due = Date.now() - every;
				for (const entry of tasks.values()) {
					const next = NEXT[entry.task.status];
					if (!next || Date.parse(entry.task.updatedAt) > due) continue;
					move(entry, next);
					void deliverWebhook(entry.task, true).then((d) => {
						if (d.error || (d.status !== null && d.status >= 300)) {
							console.warn(`delivery sandbox: callback for ${entry.task.taskId} → ${d.error ?? d.status}`);
						}
					});
				}
			},
			Math.max(100, Math.floor(every / 4)),
		);
		ticker.unref();
	}

	return {
		url: base,
		adminUrl: `${base}/_admin`,
		close: () =>
			new Promise<void>((resolve) => {
				if (ticker) clearInterval(ticker);
				for (const timer of timers) clearTimeout(timer);
				timers.clear();
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
