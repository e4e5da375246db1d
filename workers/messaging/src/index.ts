import { WorkerEntrypoint } from "cloudflare:workers";
import {
	AssignInput,
	type ConversationList,
	ConversationListQuery,
	type Conversation as ConversationView,
	CreateWebhookEndpointInput,
	errorLogRecord,
	type MessageList,
	MessageListQuery,
	ProblemError,
	parseOrThrow,
	prefixedId,
	problem,
	type RequestContext,
	type Result,
	runRpc,
	StaffReplyInput,
	type StoreAccess,
	type WebhookDelivery,
	type WebhookDeliveryAttemptList,
	type WebhookDeliveryList,
	WebhookDeliveryListQuery,
	type WebhookEndpoint,
	type WebhookEndpointList,
	type WebhookEndpointWithSecret,
	type WhatsAppChannel,
	WhatsAppChannelInput,
} from "@oja/contracts";
import { createDb, type Database } from "@oja/db";
import { dohResolver } from "@oja/dns";
import { type EmailMessage, ResendClient } from "@oja/email";
import { consumeBatch } from "@oja/events";
import type { UrlPolicy } from "@oja/webhooks";
import { GraphClient } from "@oja/whatsapp";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { getChannel, putChannel } from "./channels.ts";
import { applyResendEvent, consumeEmail, ResendWebhookEvent } from "./email.ts";
import { consumeInbound } from "./inbound.ts";
import { getConversation, listConversations, listMessages, markRead } from "./inbox.ts";
import { type NoticeDeps, notifyDisabledEndpoints, payoutEmailsFor, perBatch, storeNoticeRecipient } from "./merchant-notices.ts";
import { orderNoticeFor, storeHasChannel } from "./notifications.ts";
import { batchOrders, orderEmailsFor } from "./order-emails.ts";
import { consumeOutbound, outboundBody } from "./outbound.ts";
import { strandedSends } from "./threads.ts";
import { consumeWebhookDeliveries, consumeWebhookEvents, strandedDeliveries } from "./webhook-delivery.ts";
import {
	createEndpoint,
	deleteEndpoint,
	enableEndpoint,
	endpointNotFound,
	getDelivery,
	getEndpoint,
	listAttempts,
	listDeliveries,
	listEndpoints,
	redeliver,
	rotateSecret,
	vetUrl,
} from "./webhook-endpoints.ts";

export { Conversation } from "./conversation.ts";

// Messaging: WhatsApp conversations (one Conversation Durable Object per store and customer),
// the merchant inbox, and the queues that carry messages in and out. Reached only through the
// gateway's service binding (RPC) and its own queues.

const WORKER = "messaging";
const log = (line: Record<string, unknown>) => console.log(JSON.stringify({ worker: WORKER, ...line }));

const ConversationId = prefixedId("cnv");
const EndpointId = prefixedId("whe");
const DeliveryId = prefixedId("whd");
/** A client's Idempotency-Key, when it sent a usable one: a retried staff reply is queued once. */
function keyOf(value: unknown): string | null {
	return typeof value === "string" && /^[\x21-\x7e]{8,100}$/.test(value) ? value : null;
}

const notFound = () => new ProblemError(problem("not-found", "No such conversation."));

export default class MessagingService extends WorkerEntrypoint<MessagingEnv> {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	#secretKey(): string {
		if (!this.env.MESSAGING_SECRET_KEY) throw new ProblemError(problem("service-unavailable", "Messaging is not configured."));
		return this.env.MESSAGING_SECRET_KEY;
	}

	#graph(): GraphClient {
		return new GraphClient({ baseUrl: this.env.WHATSAPP_GRAPH_URL, version: this.env.WHATSAPP_API_VERSION });
	}

	/** Where webhooks may point: https only unless ALLOW_HTTP_WEBHOOKS, loopback only for WEBHOOK_ALLOWED_HOSTS (tests). */
	#webhookPolicy(): UrlPolicy {
		return {
			allowHttp: this.env.ALLOW_HTTP_WEBHOOKS === "true",
			allowedHosts: (this.env.WEBHOOK_ALLOWED_HOSTS ?? "")
				.split(",")
				.map((h) => h.trim())
				.filter((h) => h.length > 0),
		};
	}

	/** The webhook retry schedule's multiplier: anything but a number ≥ 0 is the real schedule, never "retry at once". */
	#retryScale(): number {
		const raw = this.env.WEBHOOK_RETRY_SCALE ?? "";
		const scale = Number(raw);
		return raw.trim() !== "" && Number.isFinite(scale) && scale >= 0 ? scale : 1;
	}

	#resolver() {
		return dohResolver(this.env.DNS_RESOLVER_URL || "https://cloudflare-dns.com/dns-query");
	}

	#conversation(storeId: string, waId: string) {
		return this.env.CONVERSATION.get(this.env.CONVERSATION.idFromName(`${storeId}:${waId}`));
	}

	/**
	 * A conversation of this store, with its Durable Object: another store's id is a 404, the
	 * same as none, before anything else is read or done.
	 */
	async #owned(db: Database, storeId: string, conversationId: unknown) {
		const id = parseOrThrow(ConversationId, conversationId, "conversation id");
		const conversation = await getConversation(db, storeId, id);
		if (!conversation) throw notFound();
		return { id, conversation, object: this.#conversation(storeId, conversation.waId) };
	}

	async putWhatsAppChannel(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<WhatsAppChannel>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			putChannel(createDb(this.env), this.#secretKey(), access.storeId, parseOrThrow(WhatsAppChannelInput, input), this.#graph()),
		);
	}

	async getWhatsAppChannel(access: StoreAccess, ctx: RequestContext): Promise<Result<WhatsAppChannel>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const channel = await getChannel(createDb(this.env), access.storeId);
			if (!channel) throw new ProblemError(problem("not-found", "No WhatsApp number is set up for this store."));
			return channel;
		});
	}

	async listConversations(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<ConversationList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listConversations(createDb(this.env), access.storeId, parseOrThrow(ConversationListQuery, query, "query")),
		);
	}

	async getConversation(access: StoreAccess, conversationId: unknown, ctx: RequestContext): Promise<Result<ConversationView>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			return (await this.#owned(createDb(this.env), access.storeId, conversationId)).conversation;
		});
	}

	async listMessages(
		access: StoreAccess,
		conversationId: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<MessageList>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			// Existence in this store first: another store's conversation id is a 404, not an empty page.
			const { id } = await this.#owned(db, access.storeId, conversationId);
			return listMessages(db, access.storeId, id, parseOrThrow(MessageListQuery, query, "query"));
		});
	}

	async markConversationRead(
		access: StoreAccess,
		conversationId: unknown,
		ctx: RequestContext,
	): Promise<Result<ConversationView>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const id = parseOrThrow(ConversationId, conversationId, "conversation id");
			if (!(await markRead(db, access.storeId, id))) throw notFound();
			return (await getConversation(db, access.storeId, id)) as ConversationView;
		});
	}

	/** A staff reply, sent through the outbound queue; refused (409) outside the 24-hour window. */
	async sendStaffReply(
		access: StoreAccess,
		conversationId: unknown,
		input: unknown,
		idempotencyKey: unknown,
		ctx: RequestContext,
	): Promise<Result<{ messageId: string; conversation: ConversationView }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { text } = parseOrThrow(StaffReplyInput, input);
			const { id, conversation, object } = await this.#owned(db, access.storeId, conversationId);
			const key = keyOf(idempotencyKey) ?? ctx.requestId;
			const sent = await object.staffReply(
				access.storeId,
				conversation.waId,
				id,
				access.userId ?? `key:${access.apiKeyId ?? "unknown"}`,
				text,
				key,
			);
			if (!sent.ok) {
				throw new ProblemError(
					problem("conflict", "The customer last wrote more than 24 hours ago: WhatsApp allows only approved templates now.", {
						extensions: { code: "window-closed" },
					}),
				);
			}
			return { messageId: sent.messageId, conversation: (await getConversation(db, access.storeId, id)) as ConversationView };
		});
	}

	/** A staff member takes the conversation over; the assistant stops replying until release. */
	async assignConversation(
		access: StoreAccess,
		conversationId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<ConversationView>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { userId } = parseOrThrow(AssignInput, input);
			const assignee = userId ?? access.userId;
			if (!assignee) {
				throw new ProblemError(
					problem("validation-failed", "Name the staff member (userId) when assigning with an API key.", {
						errors: [{ path: "userId", message: "Required", code: "required" }],
					}),
				);
			}
			const { id, conversation, object } = await this.#owned(db, access.storeId, conversationId);
			// Only a member of this store can hold its conversations (identity's memberships, read-only).
			const member = await db.execute(
				sql`SELECT 1 FROM memberships WHERE store_id = ${access.storeId} AND user_id = ${assignee}`,
			);
			if (member.rows.length === 0) {
				throw new ProblemError(
					problem("validation-failed", "That user is not on this store's team.", {
						errors: [{ path: "userId", message: "Not a member of this store", code: "not_member" }],
					}),
				);
			}
			await object.assign(access.storeId, conversation.waId, assignee);
			return (await getConversation(db, access.storeId, id)) as ConversationView;
		});
	}

	async releaseConversation(
		access: StoreAccess,
		conversationId: unknown,
		ctx: RequestContext,
	): Promise<Result<ConversationView>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { id, conversation, object } = await this.#owned(db, access.storeId, conversationId);
			await object.release(access.storeId, conversation.waId);
			return (await getConversation(db, access.storeId, id)) as ConversationView;
		});
	}

	/**
	 * A Resend webhook the gateway verified (Svix signature, timestamp): permanent bounces and
	 * complaints put the address on the suppression list. `deliveryId` is Svix's message id.
	 */
	async applyEmailWebhook(event: unknown, deliveryId: unknown, ctx: RequestContext): Promise<Result<{ suppressed: number }>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			applyResendEvent(
				createDb(this.env),
				parseOrThrow(ResendWebhookEvent, event),
				parseOrThrow(z.string().min(1).max(200), deliveryId, "delivery id"),
			),
		);
	}

	/** Merchant notices go out on oja-email like every other email. */
	#notices(db: Database): NoticeDeps {
		return {
			db,
			recipient: perBatch((storeId) => storeNoticeRecipient(db, storeId)),
			send: async (messages: EmailMessage[]) => {
				await this.env.EMAIL.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
			},
		};
	}

	/**
	 * The cron: sends that were claimed by a consumer that died, or never reached the queue, go
	 * back on it; disabled webhook endpoints whose owner was not told yet are notified.
	 */
	async tick(): Promise<{ requeued: number; deliveriesRequeued: number; disabledNotices: number }> {
		const db = createDb(this.env);
		const [sends, deliveries] = await Promise.all([strandedSends(db), strandedDeliveries(db)]);
		for (let i = 0; i < sends.length; i += 100) {
			await this.env.WHATSAPP_OUTBOUND.sendBatch(
				sends.slice(i, i + 100).map((send) => ({ body: outboundBody(send.id, send.conversationId) })),
			);
		}
		for (let i = 0; i < deliveries.length; i += 100) {
			await this.env.WEBHOOK_DELIVERY.sendBatch(
				deliveries.slice(i, i + 100).map((id) => ({ body: { id }, contentType: "json" as const })),
			);
		}
		if (sends.length > 0) log({ level: "warn", msg: "whatsapp.sends_requeued", count: sends.length });
		if (deliveries.length > 0) log({ level: "warn", msg: "webhook.deliveries_requeued", count: deliveries.length });
		// Last, and on its own: a broken email queue must not stop the requeues above, next minute either.
		let disabledNotices = 0;
		try {
			disabledNotices = await notifyDisabledEndpoints(this.#notices(db));
		} catch (error) {
			log({ level: "error", msg: "webhook.disabled_notices_failed", error: errorLogRecord(error) });
		}
		return { requeued: sends.length, deliveriesRequeued: deliveries.length, disabledNotices };
	}

	override async scheduled(): Promise<void> {
		await this.tick();
	}

	// Merchant webhooks: endpoints (a signing secret shown once), the delivery log, redelivery.

	async createWebhookEndpoint(
		access: StoreAccess,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<WebhookEndpointWithSecret>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const parsed = parseOrThrow(CreateWebhookEndpointInput, input);
			const url = await vetUrl(parsed.url, this.#webhookPolicy(), this.#resolver());
			return createEndpoint(createDb(this.env), this.#secretKey(), access.storeId, parsed, url);
		});
	}

	async listWebhookEndpoints(access: StoreAccess, ctx: RequestContext): Promise<Result<WebhookEndpointList>> {
		return runRpc(ctx.requestId, WORKER, async () => ({ items: await listEndpoints(createDb(this.env), access.storeId) }));
	}

	async getWebhookEndpoint(access: StoreAccess, endpointId: unknown, ctx: RequestContext): Promise<Result<WebhookEndpoint>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const found = await getEndpoint(createDb(this.env), access.storeId, parseOrThrow(EndpointId, endpointId, "endpoint id"));
			if (!found) throw endpointNotFound();
			return found;
		});
	}

	async deleteWebhookEndpoint(access: StoreAccess, endpointId: unknown, ctx: RequestContext): Promise<Result<null>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(EndpointId, endpointId, "endpoint id");
			if (!(await deleteEndpoint(createDb(this.env), access.storeId, id))) throw endpointNotFound();
			return null;
		});
	}

	async rotateWebhookSecret(
		access: StoreAccess,
		endpointId: unknown,
		ctx: RequestContext,
	): Promise<Result<WebhookEndpointWithSecret>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			rotateSecret(createDb(this.env), this.#secretKey(), access.storeId, parseOrThrow(EndpointId, endpointId, "endpoint id")),
		);
	}

	async enableWebhookEndpoint(access: StoreAccess, endpointId: unknown, ctx: RequestContext): Promise<Result<WebhookEndpoint>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			enableEndpoint(createDb(this.env), access.storeId, parseOrThrow(EndpointId, endpointId, "endpoint id")),
		);
	}

	async listWebhookDeliveries(
		access: StoreAccess,
		endpointId: unknown,
		query: unknown,
		ctx: RequestContext,
	): Promise<Result<WebhookDeliveryList>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const id = parseOrThrow(EndpointId, endpointId, "endpoint id");
			const parsed = parseOrThrow(WebhookDeliveryListQuery, query, "query");
			// Another store's endpoint is a 404, not an empty log.
			if (!(await getEndpoint(db, access.storeId, id))) throw endpointNotFound();
			return listDeliveries(db, access.storeId, id, parsed);
		});
	}

	/** One delivery's attempts (status, response code, duration); another store's delivery is a 404. */
	async listWebhookDeliveryAttempts(
		access: StoreAccess,
		endpointId: unknown,
		deliveryId: unknown,
		ctx: RequestContext,
	): Promise<Result<WebhookDeliveryAttemptList>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const found = await listAttempts(
				createDb(this.env),
				access.storeId,
				parseOrThrow(EndpointId, endpointId, "endpoint id"),
				parseOrThrow(DeliveryId, deliveryId, "delivery id"),
			);
			if (!found) throw new ProblemError(problem("not-found", "No such delivery."));
			return found;
		});
	}

	/** A new delivery of the same event to the same endpoint, queued now. */
	async redeliverWebhook(
		access: StoreAccess,
		endpointId: unknown,
		deliveryId: unknown,
		ctx: RequestContext,
	): Promise<Result<WebhookDelivery>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const made = await redeliver(
				db,
				access.storeId,
				parseOrThrow(EndpointId, endpointId, "endpoint id"),
				parseOrThrow(DeliveryId, deliveryId, "delivery id"),
			);
			if (made === null) throw new ProblemError(problem("not-found", "No such delivery."));
			if (made === "disabled") {
				throw new ProblemError(
					problem("conflict", "The endpoint is disabled: enable it first.", { extensions: { code: "endpoint-disabled" } }),
				);
			}
			await this.env.WEBHOOK_DELIVERY.send({ id: made.id }, { contentType: "json" });
			return (await getDelivery(db, access.storeId, made.id)) ?? made;
		});
	}

	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		const db = createDb(this.env);
		const retry = { baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5), maxDelaySeconds: 15 * 60 };
		if (batch.queue.startsWith("oja-whatsapp-inbound")) {
			await consumeInbound(batch, {
				db,
				retry,
				log,
				receive: (storeId, waId, store, message) => this.#conversation(storeId, waId).receive(store, message),
			});
		} else if (batch.queue.startsWith("oja-whatsapp-outbound")) {
			await consumeOutbound(batch, {
				db,
				retry,
				log,
				graph: this.#graph(),
				secretKey: this.#secretKey(),
				maxAttempts: Number(this.env.WHATSAPP_OUTBOUND_MAX_ATTEMPTS || 9),
			});
		} else if (batch.queue.startsWith("oja-email")) {
			if (!this.env.RESEND_API_KEY) throw new Error("RESEND_API_KEY is not configured");
			await consumeEmail(batch, {
				db,
				retry,
				log,
				resend: new ResendClient({ baseUrl: this.env.RESEND_API_URL, apiKey: this.env.RESEND_API_KEY }),
				from: this.env.EMAIL_FROM,
				maxAttempts: Number(this.env.EMAIL_MAX_ATTEMPTS || 6),
			});
		} else if (batch.queue.startsWith("oja-messaging-events")) {
			// Per batch: a burst of one store's orders looks the store up once.
			const notices = this.#notices(db);
			const hasChannel = perBatch((storeId) => storeHasChannel(db, storeId));
			// The batch's orders in one read: a burst of orders is one round trip, not one each.
			const order = await batchOrders(
				batch.messages,
				(wanted) => this.env.COMMERCE.ordersForNotice(wanted, { requestId: `queue-${batch.queue}-${crypto.randomUUID()}` }),
				(storeId, orderId, ctx) => this.env.COMMERCE.orderForNotice(storeId, orderId, ctx),
			);
			await consumeBatch(batch, {
				consumer: "messaging.order-notices",
				db,
				retry,
				log,
				handle: async (event) => {
					await orderNoticeFor(event, {
						db,
						hasChannel,
						order,
						publicBaseUrl: this.env.PUBLIC_BASE_URL,
						notify: (storeId, waId, notice) => this.#conversation(storeId, waId).notify(storeId, waId, notice),
						cartReminder: (storeId, waId, reminder) => this.#conversation(storeId, waId).cartReminder(storeId, waId, reminder),
					});
					// Queued under keys derived from the event id: a redelivery sends nothing twice.
					await orderEmailsFor(event, {
						...notices,
						order,
						publicBaseUrl: this.env.PUBLIC_BASE_URL,
					});
					await payoutEmailsFor(event, notices);
					return [];
				},
			});
		} else if (batch.queue.startsWith("oja-webhook-events")) {
			await consumeWebhookEvents(batch, { db, retry, log, queue: this.env.WEBHOOK_DELIVERY });
		} else if (batch.queue.startsWith("oja-webhook-delivery")) {
			await consumeWebhookDeliveries(batch, {
				db,
				retry,
				log,
				queue: this.env.WEBHOOK_DELIVERY,
				secretKey: this.#secretKey(),
				resolver: this.#resolver(),
				policy: this.#webhookPolicy(),
				retryScale: this.#retryScale(),
				notifyDisabled: (storeId, endpointId) => notifyDisabledEndpoints(this.#notices(db), { storeId, endpointId }),
			});
		} else {
			log({ level: "error", msg: "queue.unknown", queue: batch.queue });
			batch.retryAll();
		}
	}
}
