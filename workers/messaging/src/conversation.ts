import { DurableObject } from "cloudflare:workers";
import { type Classifier, createAiClassifier, createRuleClassifier, HANDOFF_CONFIDENCE, type Intent } from "@oja/assistant";
import type { Cart, DeliveryOptionList, Order, RequestContext, Result, StorefrontProduct } from "@oja/contracts";
import { createDb } from "@oja/db";
import type { InboundMessage, OutboundContent } from "@oja/whatsapp";
import { sql } from "drizzle-orm";
import type { ChannelStore } from "./channels.ts";
import { getConversation } from "./inbox.ts";
import { messageIdFor } from "./message-ids.ts";
import { shopperLink } from "./order-emails.ts";
import { outboundBody } from "./outbound.ts";
import * as reply from "./replies.ts";
import { type QueuedMessage, queueOutbound, recordInbound } from "./threads.ts";

// One WhatsApp customer at one store, addressed by `${storeId}:${waId}`: the single writer of
// that conversation. It keeps what the chat needs between messages (the customer's cart id,
// the products just shown, a checkout waiting for an address, who is answering) in its own
// storage, and the thread itself in Postgres for the inbox.
//
// Messages are handled one at a time, in arrival order (a promise chain: the handler awaits
// other Workers, and Durable Object input gates do not hold across those calls). Each inbound
// wamid is acted on once: the replies get ids derived from it, so a retry queues the same rows
// (inserted once) and the outbound consumer sends each row once.

const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Longer than Meta's 7 days of webhook retries. */
const HANDLED_KEEP_MS = 8 * 24 * 60 * 60 * 1000;
/** A handled row whose answer was started and never recorded. */
const ACTING = "acting";

interface State {
	storeId: string;
	waId: string;
	conversationId: string | null;
	customerName: string | null;
	handler: "assistant" | "staff";
	assignedUserId: string | null;
	cartId: string | null;
	/** The last products listed, so "how much be this" and "add 2" know what "this" is. */
	shown: reply.ShownVariant[];
	pending: { kind: "address"; deliveryOptionId: string } | null;
	/** An order placed in chat whose payment link could not be made yet ("pay" retries). */
	unpaidOrderId: string | null;
	lastInboundAt: number | null;
}

export type ReceiveOutcome = "handled" | "duplicate" | "staff";

export interface NoticeInput {
	store: ChannelStore;
	/** Event id: the notice's message id derives from it, so a redelivered event queues nothing new. */
	key: string;
	text: OutboundContent;
	template: OutboundContent;
}

export class Conversation extends DurableObject<MessagingEnv> {
	#chain: Promise<unknown> = Promise.resolve();

	constructor(ctx: DurableObjectState, env: MessagingEnv) {
		super(ctx, env);
		ctx.storage.sql.exec(
			"CREATE TABLE IF NOT EXISTS handled (wamid TEXT PRIMARY KEY, replies TEXT NOT NULL, at INTEGER NOT NULL)",
		);
	}

	#serial<T>(fn: () => Promise<T>): Promise<T> {
		const run = this.#chain.then(fn, fn);
		this.#chain = run.catch(() => undefined);
		return run;
	}

	#state(storeId: string, waId: string): State {
		const state = this.ctx.storage.kv.get<State>("state");
		if (state) {
			// The object's name is `${storeId}:${waId}`; a caller naming another pair is a bug.
			if (state.storeId !== storeId || state.waId !== waId)
				throw new Error("conversation addressed with another store or customer");
			return state;
		}
		return {
			storeId,
			waId,
			conversationId: null,
			customerName: null,
			handler: "assistant",
			assignedUserId: null,
			cartId: null,
			shown: [],
			pending: null,
			unpaidOrderId: null,
			lastInboundAt: null,
		};
	}

	#save(state: State): void {
		this.ctx.storage.kv.put("state", state);
	}

	/** An inbound message: recorded, then answered by the assistant unless staff hold the chat. */
	receive(store: ChannelStore, message: InboundMessage): Promise<{ outcome: ReceiveOutcome; queued: string[] }> {
		return this.#serial(async () => {
			const db = createDb(this.env);
			const state = this.#state(store.storeId, message.waId);
			const done = this.ctx.storage.sql
				.exec<{ replies: string }>("SELECT replies FROM handled WHERE wamid = ?", message.wamid)
				.toArray()[0];
			if (done) {
				if (done.replies === ACTING || !state.conversationId) {
					// The assistant was interrupted mid-answer (the Worker died): what it did (a cart
					// add) may have happened, so it is not done twice. The customer can write again.
					console.warn(JSON.stringify({ level: "warn", msg: "messaging.inbound_interrupted", storeId: store.storeId }));
					return { outcome: "duplicate", queued: [] };
				}
				// Answered before; the replies may not have reached Postgres or the queue: queue them
				// again (same ids: inserted and sent once).
				const messages = JSON.parse(done.replies) as QueuedMessage[];
				await queueOutbound(db, { storeId: store.storeId, conversationId: state.conversationId, author: "assistant", messages });
				const ids = messages.map((m) => m.id);
				await this.#enqueue(state.conversationId, ids);
				return { outcome: "duplicate", queued: ids };
			}
			const recorded = await recordInbound(db, {
				storeId: store.storeId,
				waId: message.waId,
				name: message.name,
				wamid: message.wamid,
				at: message.at,
				content: message.content,
			});
			// Recorded long ago and forgotten here (Meta redelivers for up to 7 days): not again.
			if (!recorded.fresh && Date.now() - message.at.getTime() > HANDLED_KEEP_MS) return { outcome: "duplicate", queued: [] };
			state.conversationId = recorded.conversationId;
			state.customerName = message.name ?? state.customerName;
			state.lastInboundAt = Math.max(state.lastInboundAt ?? 0, message.at.getTime());
			this.ctx.storage.sql.exec(
				"INSERT OR REPLACE INTO handled (wamid, replies, at) VALUES (?, ?, ?)",
				message.wamid,
				ACTING,
				Date.now(),
			);
			let replies: OutboundContent[] = [];
			if (state.handler === "assistant") {
				try {
					replies = await new Assistant(this.env, store, state, message.wamid).answer(message);
				} catch (error) {
					// A dependency failed mid-answer: say so rather than retry an answer whose effects
					// may have half happened.
					console.error(
						JSON.stringify({
							level: "error",
							msg: "messaging.assistant_failed",
							storeId: store.storeId,
							error: error instanceof Error ? error.name : "unknown",
						}),
					);
					replies = [reply.plain("Sorry, something went wrong on our side. Please send that again in a moment.")];
				}
			}
			const messages: QueuedMessage[] = await Promise.all(
				replies.map(async (content, i) => ({ id: await messageIdFor(`reply:${message.wamid}:${i}`), content })),
			);
			this.#save(state);
			this.ctx.storage.sql.exec("UPDATE handled SET replies = ? WHERE wamid = ?", JSON.stringify(messages), message.wamid);
			this.ctx.storage.sql.exec("DELETE FROM handled WHERE at < ?", Date.now() - HANDLED_KEEP_MS);
			await queueOutbound(db, { storeId: store.storeId, conversationId: recorded.conversationId, author: "assistant", messages });
			const ids = messages.map((m) => m.id);
			await this.#enqueue(recorded.conversationId, ids);
			this.#pushFeed(store.storeId, recorded.conversationId);
			return { outcome: replies.length === 0 ? "staff" : "handled", queued: ids };
		});
	}

	/** A staff member takes the chat: the assistant stops answering until it is released. */
	assign(storeId: string, waId: string, userId: string): Promise<{ handler: "staff"; assignedUserId: string }> {
		return this.#serial(async () => {
			const state = this.#state(storeId, waId);
			await setHandler(createDb(this.env), state, "staff", userId, "assigned");
			this.#save(state);
			this.#pushFeed(storeId, state.conversationId);
			return { handler: "staff" as const, assignedUserId: userId };
		});
	}

	release(storeId: string, waId: string): Promise<{ handler: "assistant" }> {
		return this.#serial(async () => {
			const state = this.#state(storeId, waId);
			await setHandler(createDb(this.env), state, "assistant", null, null);
			this.#save(state);
			this.#pushFeed(storeId, state.conversationId);
			return { handler: "assistant" as const };
		});
	}

	/**
	 * A staff reply: free text inside the 24-hour window; outside it Meta accepts only templates,
	 * so it is refused here rather than failing later. `key` makes a retried request queue once.
	 */
	staffReply(
		storeId: string,
		waId: string,
		conversationId: string,
		userId: string,
		text: string,
		key: string,
	): Promise<{ ok: true; messageId: string } | { ok: false; reason: "window-closed" }> {
		return this.#serial(async () => {
			const state = this.#state(storeId, waId);
			const last = state.lastInboundAt;
			if (last === null || Date.now() - last >= WINDOW_MS) return { ok: false as const, reason: "window-closed" as const };
			state.conversationId = conversationId;
			const id = await messageIdFor(`staff:${conversationId}:${key}`);
			await queueOutbound(createDb(this.env), {
				storeId,
				conversationId,
				author: "staff",
				authorUserId: userId,
				messages: [{ id, content: reply.plain(text) }],
			});
			this.#save(state);
			await this.#enqueue(conversationId, [id]);
			this.#pushFeed(storeId, conversationId);
			return { ok: true as const, messageId: id };
		});
	}

	/**
	 * An order notice, only to a customer who has chatted with this store (they opted in by
	 * writing first): text inside the window, the approved template outside it.
	 */
	notify(storeId: string, waId: string, notice: NoticeInput): Promise<{ queued: string | null }> {
		return this.#serial(async () => {
			const state = this.#state(storeId, waId);
			if (!state.conversationId) return { queued: null };
			const open = state.lastInboundAt !== null && Date.now() - state.lastInboundAt < WINDOW_MS;
			const id = await messageIdFor(`notice:${notice.key}`);
			await queueOutbound(createDb(this.env), {
				storeId,
				conversationId: state.conversationId,
				author: "system",
				messages: [{ id, content: open ? notice.text : notice.template }],
			});
			await this.#enqueue(state.conversationId, [id]);
			return { queued: id };
		});
	}

	/** The store's live feed gets the conversation's new inbox row (best effort, after the work). */
	#pushFeed(storeId: string, conversationId: string | null): void {
		if (!conversationId) return;
		this.ctx.waitUntil(
			(async () => {
				const row = await getConversation(createDb(this.env), storeId, conversationId);
				if (row) await this.env.COMMERCE.pushConversation(storeId, row, { requestId: `feed-${conversationId}` });
			})().catch((error: unknown) =>
				console.warn(
					JSON.stringify({
						level: "warn",
						msg: "messaging.feed_push_failed",
						error: error instanceof Error ? error.name : "unknown",
					}),
				),
			),
		);
	}

	/**
	 * The chat cart was left (commerce's cart.abandoned, after days idle): one reminder, only for
	 * this conversation's own cart (the customer opted in by writing to the store). The cart is
	 * gone afterwards, so the next "add" starts a new one.
	 */
	cartReminder(
		storeId: string,
		waId: string,
		reminder: { store: ChannelStore; cartId: string; itemCount: number; subtotalMinor: number; currency: string },
	): Promise<{ queued: string | null }> {
		return this.#serial(async () => {
			const state = this.#state(storeId, waId);
			if (!state.conversationId || state.cartId !== reminder.cartId) return { queued: null };
			const open = state.lastInboundAt !== null && Date.now() - state.lastInboundAt < WINDOW_MS;
			const id = await messageIdFor(`cart-reminder:${reminder.cartId}`);
			const content = reply.cartReminder(
				reminder.store.name,
				reminder.itemCount,
				reminder.subtotalMinor,
				reminder.currency,
				open,
			);
			await queueOutbound(createDb(this.env), {
				storeId,
				conversationId: state.conversationId,
				author: "system",
				messages: [{ id, content }],
			});
			const conversationId = state.conversationId;
			state.cartId = null;
			this.#save(state);
			await this.#enqueue(conversationId, [id]);
			return { queued: id };
		});
	}

	/** One customer's messages carry their conversation, so the consumer sends a batch's in order. */
	async #enqueue(conversationId: string, ids: string[]): Promise<void> {
		if (ids.length === 0) return;
		await this.env.WHATSAPP_OUTBOUND.sendBatch(ids.map((id) => ({ body: outboundBody(id, conversationId) })));
	}
}

async function setHandler(
	db: ReturnType<typeof createDb>,
	state: State,
	handler: "assistant" | "staff",
	userId: string | null,
	reason: string | null,
): Promise<void> {
	state.handler = handler;
	state.assignedUserId = userId;
	if (handler === "assistant") state.pending = null;
	if (!state.conversationId) return;
	await db.execute(sql`UPDATE conversations SET handler = ${handler}, assigned_user_id = ${userId},
		handoff_reason = ${reason} WHERE id = ${state.conversationId} AND store_id = ${state.storeId}`);
}

function unwrapOr<T>(result: Result<T>): T | null {
	return result.ok ? result.value : null;
}

/** What a refused call says, for the customer (problem details are written for end users). */
function refusal(result: { ok: boolean }): string {
	const problem = (result as { problem?: { detail?: string; title?: string } }).problem;
	return problem?.detail ?? problem?.title ?? "Sorry, that didn't work. Please try again.";
}

function statusOf(result: { ok: boolean }): number {
	return (result as { problem?: { status?: number } }).problem?.status ?? 500;
}

const rules = createRuleClassifier();

/**
 * The rule-based classifier, or Workers AI in front of it when the Worker has an AI binding and
 * ASSISTANT_AI_MODEL names a model (off by default: it needs Cloudflare's network). The model only
 * classifies; prices and stock always come from the catalog, and any failure falls back to the rules.
 */
function classifierFor(env: MessagingEnv): Classifier {
	return env.AI && env.ASSISTANT_AI_MODEL
		? createAiClassifier(env.AI, { model: env.ASSISTANT_AI_MODEL, fallback: rules })
		: rules;
}

const HUMAN_WORDS = /\b(agent|human|person|someone|customer care|representative)\b/i;

/** The rule-based assistant: decides each reply from the catalog, the cart and the orders. */
class Assistant {
	readonly #ctx: RequestContext;
	private readonly env: MessagingEnv;
	private readonly store: ChannelStore;
	private readonly state: State;
	constructor(env: MessagingEnv, store: ChannelStore, state: State, wamid: string) {
		this.env = env;
		this.store = store;
		this.state = state;
		this.#ctx = { requestId: `wa-${wamid.slice(-24)}` };
	}

	async answer(message: InboundMessage): Promise<OutboundContent[]> {
		const content = message.content;
		switch (content.type) {
			case "reply":
				return this.#choice(content.id);
			case "order":
				return this.#catalogOrder(content.items);
			case "location":
				if (this.state.pending?.kind === "address" && content.address) return this.#address(content.address);
				return [reply.unreadable()];
			case "image":
			case "unsupported":
				return [reply.unreadable()];
			case "text":
				return this.#text(content.text);
		}
	}

	async #text(text: string): Promise<OutboundContent[]> {
		const classified = await classifierFor(this.env).classify(text);
		if (this.state.pending?.kind === "address") {
			// An address is expected, but "cancel", "agent", "my cart" and the like still work.
			if (/^\s*(cancel|stop|no)\b/i.test(text)) {
				this.state.pending = null;
				return [reply.plain("OK, I've stopped the checkout. Your cart is still here: type \"checkout\" when you're ready.")];
			}
			const escapes = ["human", "show_cart", "order_status", "checkout", "greeting"];
			if (!(escapes.includes(classified.intent.kind) && classified.confidence >= 0.8) && !HUMAN_WORDS.test(text)) {
				return this.#address(text);
			}
			this.state.pending = null;
		}
		const intent = classified.intent;
		if (intent.kind === "human") return this.#handoff("asked");
		if (intent.kind === "unknown" || classified.confidence < HANDOFF_CONFIDENCE) return this.#handoff("low_confidence");
		return this.#intent(intent);
	}

	async #intent(intent: Intent): Promise<OutboundContent[]> {
		switch (intent.kind) {
			case "greeting":
				return [reply.greeting(this.store.name, this.state.customerName)];
			case "thanks":
				return [reply.thanks()];
			case "browse":
				return [intent.query.trim() ? await this.#search(intent.query) : await this.#newest()];
			case "price":
			case "sizes":
			case "availability": {
				const shown = intent.query ? await this.#find(intent.query) : this.state.shown;
				if (intent.query) this.state.shown = shown;
				if (shown.length === 0 && intent.query) return [reply.productList(this.store.name, intent.query, [])];
				const answer = { price: reply.priceAnswer, sizes: reply.sizesAnswer, availability: reply.availabilityAnswer }[
					intent.kind
				];
				return [answer(shown)];
			}
			case "add": {
				const shown = intent.query ? await this.#find(intent.query) : this.state.shown;
				if (intent.query) this.state.shown = shown;
				const buyable = shown.filter((v) => v.availability !== "sold_out");
				const first = buyable[0];
				if (!first) return [reply.productList(this.store.name, intent.query, shown)];
				// Several options of what they named: let them pick (the list adds one each).
				if (buyable.some((v) => v.productTitle !== first.productTitle || v.variantId !== first.variantId)) {
					return [reply.productList(this.store.name, intent.query, buyable)];
				}
				return [await this.#add(first.variantId, intent.quantity)];
			}
			case "show_cart":
				return [await this.#showCart()];
			case "checkout":
				return this.#checkout();
			case "order_status":
				return [await this.#orders()];
			default:
				return this.#handoff("low_confidence");
		}
	}

	async #choice(id: string): Promise<OutboundContent[]> {
		if (id.startsWith("add:")) return [await this.#add(id.slice(4), 1)];
		if (id.startsWith("dlv:")) return this.#delivery(id.slice(4));
		switch (id) {
			case "checkout":
				return this.#checkout();
			case "browse":
				return [await this.#newest()];
			case "cart":
				return [await this.#showCart()];
			case "orders":
				return [await this.#orders()];
			default:
				return this.#text(id);
		}
	}

	async #find(query: string): Promise<reply.ShownVariant[]> {
		const found = await this.env.CATALOG.storefrontSearch(this.store.slug, { q: query.slice(0, 100), limit: 5 }, this.#ctx);
		return found.ok ? reply.shownVariants(found.value.items as StorefrontProduct[]) : [];
	}

	async #search(query: string): Promise<OutboundContent> {
		this.state.shown = await this.#find(query);
		return reply.productList(this.store.name, query, this.state.shown);
	}

	async #newest(): Promise<OutboundContent> {
		const list = await this.env.CATALOG.storefrontProducts(this.store.slug, { limit: 10 }, this.#ctx);
		this.state.shown = list.ok ? reply.shownVariants(list.value.items as StorefrontProduct[]) : [];
		return reply.productList(this.store.name, null, this.state.shown);
	}

	async #cart(): Promise<Cart | null> {
		if (this.state.cartId) {
			const existing = unwrapOr(
				await this.env.COMMERCE.cart(this.store.storeId, this.state.cartId, null, this.#ctx),
			) as Cart | null;
			if (existing && existing.status === "open") return existing as Cart;
		}
		const created = unwrapOr(
			await this.env.COMMERCE.createChatCart(this.store.storeId, this.store.currency, `+${this.state.waId}`, this.#ctx),
		) as Cart | null;
		this.state.cartId = created?.id ?? null;
		return created as Cart | null;
	}

	async #add(variantId: string, quantity: number): Promise<OutboundContent> {
		const snapshot = await this.env.CATALOG.storefrontVariant(this.store.slug, variantId, this.#ctx);
		// The slug is this store's, but the store id is checked too: a cart only takes its own store's variants.
		if (!snapshot.ok || snapshot.value.storeId !== this.store.storeId) {
			return reply.plain("Sorry, that product is no longer available.");
		}
		const cart = await this.#cart();
		if (!cart) return reply.plain("Sorry, I couldn't open a cart just now. Please try again.");
		const added = await this.env.COMMERCE.addCartLine(
			this.store.storeId,
			cart.id,
			snapshot.value.variant,
			{ variantId, quantity },
			this.#ctx,
		);
		if (!added.ok) return reply.problemReply(refusal(added));
		return reply.cartSummary(added.value as Cart, "Added to your cart.");
	}

	async #catalogOrder(items: { retailerId: string; quantity: number }[]): Promise<OutboundContent[]> {
		// Meta catalog items carry the merchant's retailer id: Oja's variant id when the catalog
		// was exported from Oja. Prices come from Oja's catalog, never from the message.
		let cart = await this.#cart();
		if (!cart) return [reply.plain("Sorry, I couldn't open a cart just now. Please try again.")];
		const missing: string[] = [];
		// A chat cart is small: items past the twentieth are reported, not added.
		for (const item of items.slice(20)) missing.push(item.retailerId.slice(0, 40));
		for (const item of items.slice(0, 20)) {
			const snapshot = /^var_[0-9A-Z]{26}$/.test(item.retailerId)
				? await this.env.CATALOG.storefrontVariant(this.store.slug, item.retailerId, this.#ctx)
				: null;
			if (!snapshot?.ok || snapshot.value.storeId !== this.store.storeId) {
				missing.push(item.retailerId.slice(0, 40));
				continue;
			}
			const added = await this.env.COMMERCE.addCartLine(
				this.store.storeId,
				cart.id,
				snapshot.value.variant,
				{ variantId: item.retailerId, quantity: Math.min(item.quantity, 99) },
				this.#ctx,
			);
			if (added.ok) cart = added.value as Cart;
			else missing.push(item.retailerId.slice(0, 40));
		}
		return [
			reply.cartSummary(cart, missing.length > 0 ? `${missing.length} item(s) could not be added.` : "Added to your cart."),
		];
	}

	async #showCart(): Promise<OutboundContent> {
		if (!this.state.cartId) return reply.plain("Your cart is empty. Tell me what you're looking for.");
		const cart = await this.#cart();
		return cart ? reply.cartSummary(cart) : reply.plain("Your cart is empty. Tell me what you're looking for.");
	}

	async #checkout(): Promise<OutboundContent[]> {
		if (this.state.unpaidOrderId && !this.state.cartId) return [await this.#pay(this.state.unpaidOrderId)];
		const cart = this.state.cartId ? await this.#cart() : null;
		if (!cart || cart.lines.length === 0) return [reply.plain("Your cart is empty. Tell me what you're looking for.")];
		const options = unwrapOr(
			await this.env.COMMERCE.storefrontDeliveryOptions(this.store.storeId, this.#ctx),
		) as DeliveryOptionList | null;
		if (!options || options.items.length === 0) return this.#handoff("no_delivery_options");
		return [reply.deliveryChoice(options.items)];
	}

	async #delivery(optionId: string): Promise<OutboundContent[]> {
		const options = unwrapOr(
			await this.env.COMMERCE.storefrontDeliveryOptions(this.store.storeId, this.#ctx),
		) as DeliveryOptionList | null;
		const option = options?.items.find((o) => o.id === optionId);
		if (!option) return [reply.plain("That delivery option is no longer offered."), ...(await this.#checkout())];
		if (option.kind === "delivery") {
			this.state.pending = { kind: "address", deliveryOptionId: option.id };
			return [reply.askAddress()];
		}
		return this.#placeOrder(option.id, undefined);
	}

	async #address(text: string): Promise<OutboundContent[]> {
		const parts = text
			.split(/[,\n]/)
			.map((p) => p.trim())
			.filter(Boolean);
		if (parts.length < 3) return [reply.askAddress()];
		const state = parts.at(-1) as string;
		const city = parts.at(-2) as string;
		const address = parts.slice(0, -2).join(", ");
		const pending = this.state.pending;
		if (!pending) return [];
		return this.#placeOrder(pending.deliveryOptionId, {
			address: address.slice(0, 200),
			city: city.slice(0, 60),
			state: state.slice(0, 60),
		});
	}

	async #placeOrder(
		deliveryOptionId: string,
		shippingAddress: { address: string; city: string; state: string } | undefined,
	): Promise<OutboundContent[]> {
		const cartId = this.state.cartId;
		if (!cartId) return [reply.plain("Your cart is empty. Tell me what you're looking for.")];
		const placed = await this.env.COMMERCE.checkout(
			this.store.storeId,
			cartId,
			{
				phone: `+${this.state.waId}`,
				name: (this.state.customerName ?? "WhatsApp customer").slice(0, 100),
				deliveryOptionId,
				paymentMethod: "online",
				...(shippingAddress ? { shippingAddress } : {}),
				note: "Ordered on WhatsApp",
			},
			// One order per chat cart: a retried message replays the same order.
			`whatsapp-${cartId}`,
			this.#ctx,
		);
		if (!placed.ok) {
			if (statusOf(placed) === 422 && shippingAddress) return [reply.problemReply(refusal(placed)), reply.askAddress()];
			this.state.pending = null;
			return [reply.problemReply(refusal(placed))];
		}
		this.state.pending = null;
		this.state.cartId = null;
		const order = placed.value.result.order as Order;
		this.state.unpaidOrderId = order.status === "pending_payment" ? order.id : null;
		const shopperPath = `/s/${encodeURIComponent(this.store.slug)}/orders/${order.id}?token=${placed.value.result.orderToken}`;
		if (order.status !== "pending_payment") {
			return [reply.orderStatusAnswer([order], () => shopperLink(this.env.PUBLIC_BASE_URL, shopperPath))];
		}
		return [await this.#pay(order.id, { ...order, shopperPath })];
	}

	async #pay(orderId: string, known?: Order & { shopperPath: string | null }): Promise<OutboundContent> {
		const order =
			known ??
			(unwrapOr(await this.env.COMMERCE.orderForNotice(this.store.storeId, orderId, this.#ctx)) as
				| (Order & { shopperPath: string | null })
				| null);
		if (order?.status !== "pending_payment") {
			this.state.unpaidOrderId = null;
			return reply.plain('That order no longer needs paying. Type "my orders" to see its status.');
		}
		// Paystack sends the shopper back here after paying. A chat shopper has never opened the
		// store's pages, so no order cookie: the path carries the order's token, which the page
		// moves into its cookie (and out of the address bar) before it shows the order.
		const path = order.shopperPath ?? `/s/${encodeURIComponent(this.store.slug)}/orders/${order.id}`;
		const callback = new URL(path, this.env.PUBLIC_BASE_URL).href;
		const link = await this.env.PAYMENTS.initializePayment(this.store.storeId, order.id, callback, this.#ctx);
		return link.ok ? reply.paymentLink(order as Order, link.value.authorizationUrl) : reply.paymentUnavailable(order as Order);
	}

	async #orders(): Promise<OutboundContent> {
		const found = unwrapOr(await this.env.COMMERCE.ordersByPhone(this.store.storeId, `+${this.state.waId}`, this.#ctx)) as {
			items: (Order & { shopperPath: string | null })[];
		} | null;
		const orders = found?.items ?? [];
		// Each order's page, with its token: the chat is the customer's own (Meta signed the number),
		// as an order notice sent to it carries the same link.
		const paths = new Map(orders.map((o) => [o.id, o.shopperPath]));
		return reply.orderStatusAnswer(orders, (o) => shopperLink(this.env.PUBLIC_BASE_URL, paths.get(o.id) ?? null));
	}

	async #handoff(reason: string): Promise<OutboundContent[]> {
		this.state.handler = "staff";
		this.state.assignedUserId = null;
		this.state.pending = null;
		if (this.state.conversationId) {
			await createDb(this.env).execute(sql`UPDATE conversations SET handler = 'staff', assigned_user_id = NULL,
				handoff_reason = ${reason} WHERE id = ${this.state.conversationId} AND store_id = ${this.state.storeId}`);
		}
		return [reply.handoffNotice(this.store.name)];
	}
}
