import { WorkerEntrypoint } from "cloudflare:workers";
import type { PricedCart, VariantSnapshot } from "@oja/cart";
import {
	AddCartLineInput,
	ApplyDiscountInput,
	CancelOrderInput,
	CheckoutInput,
	type CheckoutResult,
	Conversation as ConversationView,
	CreateDiscountInput,
	CreateRefundInput,
	cartId as cartIdSchema,
	type DeliveryOptionList,
	type Discount,
	type DiscountList,
	DiscountListQuery,
	FulfilmentInput,
	idempotencyKey as idempotencyKeySchema,
	type Order,
	type OrderList,
	OrderListQuery,
	orderId as orderIdSchema,
	type PaymentApplied,
	ProblemError,
	PutDeliveryOptionsInput,
	parseOrThrow,
	prefixedId,
	problem,
	type RefundList,
	type RefundOutcome,
	type RefundOutcomeApplied,
	type RequestContext,
	type Result,
	refundId as refundIdSchema,
	runRpc,
	type StoreAccess,
	UpdateCartLineInput,
	UpdateDiscountInput,
	type VerifiedPayment,
} from "@oja/contracts";
import { createDb, newId } from "@oja/db";
import { type OutboxRow, relayAfterResponse } from "@oja/events";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { cartStub, discountTerms, editOutcome, notFound, priced } from "./carts.ts";
import { checkout, replay } from "./checkout.ts";
import { bookCouriers, deliveryProvider, recordingBatch, settle } from "./delivery-booking.ts";
import { consumeDeliveryEvents } from "./delivery-events.ts";
import { listDeliveryOptions, putDeliveryOptions } from "./delivery-options.ts";
import { createDiscount, deleteDiscount, getDiscount, listDiscounts, updateDiscount } from "./discounts.ts";
import { liveFetch, pushOrderChanges } from "./live.ts";
import { orderToken } from "./order-token.ts";
import { isOrderToken, loadOrdersWithToken, loadOrderWithToken, orderTokenHashes, tokenMatches } from "./order-view.ts";
import { cancelOrder, expireDueOrders, fulfilOrder, listOrders, loadOrder, markDelivered } from "./orders.ts";
import { applyOnlinePayment, recordCashCollected } from "./payments.ts";
import { applyRefundOutcome, createRefund, listRefunds, type RefundCreated } from "./refunds.ts";

const WORKER = "commerce";
const StoreId = prefixedId("st");
const DiscountId = prefixedId("dsc");
/** What the payments Worker hands over (it parsed the provider's answer; this is RPC input all the same). */
const VerifiedPaymentInput = z.object({
	storeId: prefixedId("st"),
	orderId: prefixedId("ord"),
	paymentId: prefixedId("pay"),
	reference: z.string().min(1).max(100),
	amountMinor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
	currency: z.string().regex(/^[A-Z]{3}$/),
	providerFeeMinor: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
	eventKey: z.string().min(1).max(200),
}) satisfies z.ZodType<VerifiedPayment>;

const RefundOutcomeInput = z.object({
	storeId: prefixedId("st"),
	refundId: refundIdSchema,
	outcome: z.enum(["processed", "failed"]),
	eventKey: z.string().min(1).max(200),
}) satisfies z.ZodType<RefundOutcome>;

const LineId = z.string().regex(/^ln_[0-9a-z]{1,12}$/, { message: "Must be a cart line id" });
const Snapshot = z.object({
	variantId: prefixedId("var"),
	productId: prefixedId("prd"),
	handle: z.string(),
	title: z.string(),
	variantTitle: z.string(),
	image: z.string().nullable(),
	priceMinor: z.number().int().nonnegative(),
	currency: z.string().length(3),
	available: z.number().int(),
});

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The commerce Worker's RPC surface. Merchant methods take the StoreAccess the gateway
 * verified; storefront methods take the store the gateway resolved from the public slug.
 */
export default class CommerceService extends WorkerEntrypoint<CommerceEnv> {
	/** Only WebSocket upgrades for the live order feeds arrive here (see live.ts). */
	override async fetch(request: Request): Promise<Response> {
		return liveFetch(request, this.env);
	}

	/**
	 * oja-order-events: live order pages and store feeds, and courier booking (each message is
	 * acked only when both are done with it); oja-delivery-events: the courier's callbacks.
	 */
	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		const retry = { baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5), maxDelaySeconds: 15 * 60 };
		const db = createDb(this.env);
		if (batch.queue.startsWith("oja-delivery-events")) {
			await consumeDeliveryEvents(batch, { db, retry, published: (eventIds) => this.committed({ eventIds }) });
			return;
		}
		const live = recordingBatch(batch);
		const [, booking] = await Promise.all([
			pushOrderChanges(live.batch, { env: this.env, retry }),
			bookCouriers(batch.messages, {
				db,
				provider: () => deliveryProvider(this.env),
				callbackUrl: this.env.DELIVERY_CALLBACK_URL,
				retry,
			}),
		]);
		settle(batch, live.verdicts, booking);
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	// ---- Carts (storefront; the gateway resolved the store from the public slug) ------------

	async createCart(storeId: unknown, currency: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const id = newId("cart");
			return priced(await cartStub(this.env, store, id).create(id, store, parseOrThrow(z.string().length(3), currency)));
		});
	}

	/** A cart for a WhatsApp chat: its shopper's number is its contact from the start (messaging only). */
	async createChatCart(storeId: unknown, currency: unknown, phone: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const contact = { email: null, phone: parseOrThrow(z.string().regex(/^\+[1-9]\d{6,14}$/), phone, "phone") };
			const id = newId("cart");
			return priced(await cartStub(this.env, store, id).create(id, store, parseOrThrow(z.string().length(3), currency), contact));
		});
	}

	/** The cart; with `snapshots` (fresh catalog data for its lines) it is repriced first. */
	async cart(storeId: unknown, cartId: unknown, snapshots: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const stub = this.cart$(storeId, cartId);
			const fresh = snapshots === null ? null : parseOrThrow(z.array(Snapshot).max(100), snapshots, "snapshots");
			return priced(fresh ? await stub.refresh(fresh as VariantSnapshot[]) : await stub.get());
		});
	}

	async addCartLine(
		storeId: unknown,
		cartId: unknown,
		snapshot: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { quantity } = parseOrThrow(AddCartLineInput, input);
			const variant = parseOrThrow(Snapshot, snapshot, "snapshot") as VariantSnapshot;
			return editOutcome(await this.cart$(storeId, cartId).add(variant, quantity), variant.variantId);
		});
	}

	async updateCartLine(
		storeId: unknown,
		cartId: unknown,
		lineId: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { quantity } = parseOrThrow(UpdateCartLineInput, input);
			return editOutcome(await this.cart$(storeId, cartId).setQuantity(parseOrThrow(LineId, lineId, "line id"), quantity));
		});
	}

	async removeCartLine(storeId: unknown, cartId: unknown, lineId: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			editOutcome(await this.cart$(storeId, cartId).remove(parseOrThrow(LineId, lineId, "line id"))),
		);
	}

	async applyCartDiscount(storeId: unknown, cartId: unknown, input: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { code } = parseOrThrow(ApplyDiscountInput, input);
			const stub = this.cart$(storeId, cartId);
			// Existence first, so a foreign cart id is a 404 and not a discount lookup.
			if (!(await stub.get())) throw notFound();
			const terms = await discountTerms(createDb(this.env), parseOrThrow(StoreId, storeId, "store id"), code);
			return editOutcome(await stub.setDiscount(terms));
		});
	}

	async removeCartDiscount(storeId: unknown, cartId: unknown, ctx: RequestContext): Promise<Result<PricedCart>> {
		return runRpc(ctx.requestId, WORKER, async () => editOutcome(await this.cart$(storeId, cartId).setDiscount(null)));
	}

	/**
	 * Places the order (see checkout.ts): one SQL round trip, idempotent by key. `replayed` tells
	 * the gateway this is the first response again.
	 */
	async checkout(
		storeId: unknown,
		cartId: unknown,
		input: unknown,
		idempotencyKey: unknown,
		ctx: RequestContext,
	): Promise<Result<{ result: CheckoutResult; replayed: boolean }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const cart = parseOrThrow(cartIdSchema, cartId, "cart id");
			const details = parseOrThrow(CheckoutInput, input);
			const key = parseOrThrow(idempotencyKeySchema, idempotencyKey, "Idempotency-Key");
			const requestHash = await sha256Hex(JSON.stringify({ cart, details }));
			const db = createDb(this.env);
			const stub = cartStub(this.env, store, cart);
			const begin = await stub.beginCheckout({ email: details.email ?? null, phone: details.phone });
			const request = {
				storeId: store,
				idempotencyKey: key,
				requestHash,
				ctx,
				input: details,
				reservationTtlSeconds: Number(this.env.RESERVATION_TTL_SECONDS || 1800),
				tokenSecret: this.env.ORDER_TOKEN_SECRET,
			};
			if (!begin.ok) {
				if (begin.code === "not-found") throw notFound();
				if (begin.code === "empty") {
					throw new ProblemError(
						problem("validation-failed", "The cart is empty.", {
							errors: [{ path: "lines", message: "Add something first", code: "empty_cart" }],
						}),
					);
				}
				// Already checked out: the same key replays the order; anything else is a conflict.
				const known = await db.execute(
					sql`SELECT 1 FROM idempotency_keys WHERE store_id = ${store} AND cart_id = ${cart} AND key = ${key}`,
				);
				if (known.rows.length > 0) {
					const again = await replay(db, { ...request, cart: { id: cart } as never });
					return { result: again.result, replayed: true };
				}
				throw new ProblemError(
					problem("conflict", "This cart has already been checked out; start a new cart.", {
						extensions: { code: "cart-checked-out", orderId: begin.orderId },
					}),
				);
			}
			try {
				const outcome = await checkout(db, { ...request, cart: begin.cart });
				await stub.finishCheckout(outcome.result.order.id);
				this.committed({ eventIds: outcome.eventIds, ...(outcome.claimed ? { claimed: outcome.claimed } : {}) });
				return { result: outcome.result, replayed: outcome.replayed };
			} catch (error) {
				await stub.abortCheckout();
				throw error;
			}
		});
	}

	/** A shopper reading their order with its capability token. Wrong token or store: 404. */
	async storefrontOrder(storeId: unknown, orderId: unknown, token: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			// One round trip: the order and its token hash together; a wrong token is the same 404 as no
			// order, and a malformed one costs no query.
			const found = isOrderToken(token) ? await loadOrderWithToken(createDb(this.env), store, id, { timeline: true }) : null;
			const order = found && isOrderToken(token) && (await tokenMatches(found.tokenHash, token)) ? found.order : null;
			if (!order) throw new ProblemError(problem("not-found", "No such order."));
			// Staff actors are user and API key ids: the merchant's business, not the shopper's.
			const timeline = order.timeline?.map((t) =>
				t.actor === "shopper" || t.actor === "system" ? t : { ...t, actor: "merchant" },
			);
			return timeline ? { ...order, timeline } : order;
		});
	}

	/** A signed-in shopper's own orders at this store (the gateway checked their session). */
	async customerOrders(storeId: unknown, customerId: unknown, query: unknown, ctx: RequestContext): Promise<Result<OrderList>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const customer = parseOrThrow(prefixedId("cus"), customerId, "customer id");
			const db = createDb(this.env);
			// Checkout files guest orders under their email, and signing up does not prove the email:
			// until it is verified, anyone could sign up with a shopper's address and read their
			// orders (names, phone, delivery address), past and future.
			const verified = await db.execute(
				sql`SELECT 1 FROM customers WHERE id = ${customer} AND store_id = ${store} AND email_verified_at IS NOT NULL`,
			);
			if (verified.rows.length === 0) {
				throw new ProblemError(
					problem("forbidden", "Verify your email address to see the orders placed with it.", {
						extensions: { code: "email-unverified" },
					}),
				);
			}
			return listOrders(db, store, parseOrThrow(OrderListQuery, query, "query"), customer);
		});
	}

	// ---- Orders (merchant) -----------------------------------------------------------------

	// ---- Orders for messaging (WhatsApp). Only Oja's messaging Worker holds this binding besides
	// the gateway, and it reaches these for the customer whose WhatsApp number wrote to the store.

	/** A conversation changed: tell the store's live feed (the dashboard's inbox updates live). */
	async pushConversation(storeId: unknown, conversation: unknown, ctx: RequestContext): Promise<Result<{ pushed: number }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const row = parseOrThrow(ConversationView, conversation, "conversation");
			return this.env.STORE_FEED.get(this.env.STORE_FEED.idFromName(store)).conversation(store, row);
		});
	}

	/** A customer's recent orders at this store, by the phone number they gave (the chat's). */
	/**
	 * A chat customer's recent orders (messaging checked the number is theirs: Meta signed it), each
	 * with the path of its order page and capability token, as an order notice carries.
	 */
	async ordersByPhone(
		storeId: unknown,
		phone: unknown,
		ctx: RequestContext,
	): Promise<Result<{ items: (OrderList["items"][number] & { shopperPath: string | null })[] }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const db = createDb(this.env);
			const { items } = await listOrders(db, store, parseOrThrow(OrderListQuery, { phone, limit: 5 }, "query"));
			const hashes = await orderTokenHashes(
				db,
				store,
				items.map((o) => o.id),
			);
			return {
				items: await Promise.all(
					items.map(async (o) => {
						const found = hashes.get(o.id);
						return { ...o, shopperPath: found ? await this.#shopperPath(found) : null };
					}),
				),
			};
		});
	}

	/**
	 * The path of an order's page carrying its capability token (`?token=`; the storefront moves it
	 * into the order's cookie). The token is derived here, where ORDER_TOKEN_SECRET lives, and used
	 * only if it is still the order's (a rotated secret derives another): else no path, never a dead link.
	 */
	async #shopperPath(order: { id: string; slug: string; tokenHash: string }): Promise<string | null> {
		const token = await orderToken(this.env.ORDER_TOKEN_SECRET ?? "", order.id).catch(() => null);
		return token && (await tokenMatches(order.tokenHash, token))
			? `/s/${encodeURIComponent(order.slug)}/orders/${order.id}?token=${token}`
			: null;
	}

	/** An order for a notice (messaging's WhatsApp notices and order emails) or a payment link sent in a chat, with its shopper path. */
	async orderForNotice(
		storeId: unknown,
		orderId: unknown,
		ctx: RequestContext,
	): Promise<Result<Order & { shopperPath: string | null }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const store = parseOrThrow(StoreId, storeId, "store id");
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			const found = await loadOrderWithToken(createDb(this.env), store, id);
			if (!found) throw new ProblemError(problem("not-found", "No such order."));
			return { ...found.order, shopperPath: await this.#shopperPath({ id, slug: found.slug, tokenHash: found.tokenHash }) };
		});
	}

	/**
	 * orderForNotice for a queue batch's orders at once (messaging's order notices): by order id,
	 * each with its store id; an order that is not found, or not at the store named, is absent.
	 */
	async ordersForNotice(
		wanted: unknown,
		ctx: RequestContext,
	): Promise<Result<Record<string, { storeId: string; order: Order & { shopperPath: string | null } }>>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const pairs = parseOrThrow(z.array(z.object({ storeId: StoreId, orderId: orderIdSchema })).max(100), wanted, "orders");
			const found = await loadOrdersWithToken(createDb(this.env), pairs);
			const entries = await Promise.all(
				[...found].map(async ([id, f]) => [
					id,
					{
						storeId: f.storeId,
						order: { ...f.order, shopperPath: await this.#shopperPath({ id, slug: f.slug, tokenHash: f.tokenHash }) },
					},
				]),
			);
			return Object.fromEntries(entries);
		});
	}

	async listOrders(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<OrderList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listOrders(createDb(this.env), access.storeId, parseOrThrow(OrderListQuery, query, "query")),
		);
	}

	async getOrder(access: StoreAccess, orderId: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const order = await loadOrder(createDb(this.env), access.storeId, parseOrThrow(orderIdSchema, orderId, "order id"), {
				timeline: true,
			});
			if (!order) throw new ProblemError(problem("not-found", "No such order."));
			return order;
		});
	}

	async fulfilOrder(access: StoreAccess, orderId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			return this.committed(await fulfilOrder(createDb(this.env), access, id, parseOrThrow(FulfilmentInput, input), ctx)).order;
		});
	}

	async cancelOrder(access: StoreAccess, orderId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			const { reason } = parseOrThrow(CancelOrderInput, input);
			return this.committed(await cancelOrder(createDb(this.env), access, id, reason, ctx)).order;
		});
	}

	async recordPaymentCollected(access: StoreAccess, orderId: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			return this.committed(await recordCashCollected(createDb(this.env), access, id, ctx)).order;
		});
	}

	async markOrderDelivered(access: StoreAccess, orderId: unknown, ctx: RequestContext): Promise<Result<Order>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(orderIdSchema, orderId, "order id");
			return this.committed(await markDelivered(createDb(this.env), access, id, ctx)).order;
		});
	}

	/**
	 * A payment the payments Worker verified with the provider (amount and currency already
	 * checked against the order): applied once, with its ledger entry, in one batch.
	 */
	async applyOnlinePayment(payment: VerifiedPayment, ctx: RequestContext): Promise<Result<PaymentApplied>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const outcome = await applyOnlinePayment(createDb(this.env), parseOrThrow(VerifiedPaymentInput, payment, "payment"), ctx);
			return this.committed(outcome);
		});
	}

	// ---- Refunds (refunds.ts) ---------------------------------------------------------------

	async createRefund(
		access: StoreAccess,
		orderId: unknown,
		input: unknown,
		idempotencyKey: unknown,
		ctx: RequestContext,
	): Promise<Result<Omit<RefundCreated, "eventIds">>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { refund, created } = this.committed(
				await createRefund(
					createDb(this.env),
					access,
					parseOrThrow(orderIdSchema, orderId, "order id"),
					parseOrThrow(CreateRefundInput, input),
					parseOrThrow(idempotencyKeySchema, idempotencyKey, "Idempotency-Key"),
					ctx,
				),
			);
			return { refund, created };
		});
	}

	async listRefunds(access: StoreAccess, orderId: unknown, ctx: RequestContext): Promise<Result<RefundList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listRefunds(createDb(this.env), access.storeId, parseOrThrow(orderIdSchema, orderId, "order id")),
		);
	}

	/** Paystack's outcome for a refund, verified by the payments Worker: applied once. */
	async applyRefundOutcome(outcome: RefundOutcome, ctx: RequestContext): Promise<Result<RefundOutcomeApplied>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			this.committed(
				await applyRefundOutcome(createDb(this.env), parseOrThrow(RefundOutcomeInput, outcome, "refund outcome"), ctx),
			),
		);
	}

	/** Releases expired reservations (cron every minute; callable for operators and tests). */
	async expireReservations(): Promise<{ expired: number; skipped: number }> {
		const { expired, skipped, eventIds } = await expireDueOrders(createDb(this.env), {
			requestId: `cron-${crypto.randomUUID()}`,
		});
		this.committed({ eventIds });
		if (expired + skipped > 0) {
			console.log(JSON.stringify({ level: "info", msg: "reservations.expired", worker: WORKER, expired, skipped }));
		}
		return { expired, skipped };
	}

	override async scheduled(): Promise<void> {
		await this.expireReservations();
	}

	private cart$(storeId: unknown, cartId: unknown) {
		return cartStub(this.env, parseOrThrow(StoreId, storeId, "store id"), parseOrThrow(cartIdSchema, cartId, "cart id"));
	}

	/** A write's result, once its events are scheduled to publish after the response. */
	protected committed<R extends { eventIds: string[]; claimed?: OutboxRow[] }>(result: R): R {
		relayAfterResponse((p) => this.ctx.waitUntil(p), {
			db: createDb(this.env),
			queues: {
				EVENTS: this.env.EVENTS,
				STOREFRONT_CACHE: this.env.STOREFRONT_CACHE,
				ORDER_EVENTS: this.env.ORDER_EVENTS,
				MESSAGING_EVENTS: this.env.MESSAGING_EVENTS,
				WEBHOOK_EVENTS: this.env.WEBHOOK_EVENTS,
			},
			ids: result.eventIds,
			...(result.claimed ? { claimed: result.claimed } : {}),
			worker: WORKER,
		});
		return result;
	}

	// Discounts and delivery options (merchant)
	// No events: nothing downstream reacts to these; checkout reads the rows directly.

	async createDiscount(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			createDiscount(createDb(this.env), access.storeId, parseOrThrow(CreateDiscountInput, input)),
		);
	}

	async listDiscounts(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<DiscountList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listDiscounts(createDb(this.env), access.storeId, parseOrThrow(DiscountListQuery, query, "query")),
		);
	}

	async getDiscount(access: StoreAccess, discountId: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getDiscount(createDb(this.env), access.storeId, parseOrThrow(DiscountId, discountId, "discount id")),
		);
	}

	async updateDiscount(access: StoreAccess, discountId: unknown, input: unknown, ctx: RequestContext): Promise<Result<Discount>> {
		return runRpc(ctx.requestId, WORKER, () =>
			updateDiscount(
				createDb(this.env),
				access.storeId,
				parseOrThrow(DiscountId, discountId, "discount id"),
				parseOrThrow(UpdateDiscountInput, input),
			),
		);
	}

	async deleteDiscount(access: StoreAccess, discountId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			await deleteDiscount(createDb(this.env), access.storeId, parseOrThrow(DiscountId, discountId, "discount id"));
			return { ok: true as const };
		});
	}

	async putDeliveryOptions(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			putDeliveryOptions(createDb(this.env), access.storeId, parseOrThrow(PutDeliveryOptionsInput, input)),
		);
	}

	async listDeliveryOptions(access: StoreAccess, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () => listDeliveryOptions(createDb(this.env), access.storeId));
	}

	/** Public: the live options of the store the gateway resolved from the slug. */
	async storefrontDeliveryOptions(storeId: unknown, ctx: RequestContext): Promise<Result<DeliveryOptionList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listDeliveryOptions(createDb(this.env), parseOrThrow(StoreId, storeId, "store id")),
		);
	}

	// End of discounts and delivery options.
}

export { Cart } from "./cart.ts";
export { OrderLive } from "./order-live.ts";
export { StoreFeed } from "./store-feed.ts";
