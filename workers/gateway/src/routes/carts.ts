import type { StorefrontVariantSnapshot } from "@oja/cart";
import {
	AddCartLineInput,
	ApplyDiscountInput,
	Cart,
	CartLineParams,
	CartParams,
	CheckoutInput,
	CheckoutResult,
	idempotencyKey,
	Order,
	OrderList,
	OrderListQuery,
	PaymentLink,
	ProblemError,
	type PublicStore,
	parseOrThrow,
	problem,
	StorefrontOrderParams,
	slug,
	UpdateCartLineInput,
} from "@oja/contracts";
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { verifyCustomer } from "../middleware/authenticate.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext } from "../route-context.ts";
import { cachedValue } from "../storefront-cache.ts";
import { sendResult, unwrap } from "../validate.ts";

// Storefront carts and checkout. The store and each variant's price and availability come
// from the edge cache (the same versioned tiers as storefront reads), so a warm add-to-cart
// reads no SQL: the cart's Durable Object is the only thing it touches. Checkout re-prices
// everything from Postgres in one transaction (commerce's checkout.ts).

const SlugParam = z.object({ slug });
const Params = CartParams.extend({ slug });
const LineParams = CartLineParams.extend({ slug });
const OrderParams = StorefrontOrderParams.extend({ slug });
const PROBLEMS = ["not-found", "rate-limited"] as const;

/**
 * A cart, a checkout's order token and an order are one shopper's: no shared cache may keep
 * them (a GET without cache-control is heuristically cacheable, and a cart id is a capability).
 */
const privateToShopper: MiddlewareHandler<GatewayEnv> = async (c, next) => {
	c.header("cache-control", "private, no-store");
	await next();
};

/** The store behind a storefront slug (cached with the store profile). */
export function storefrontStore(c: Context<GatewayEnv>, storeSlug: string): Promise<PublicStore> {
	return cachedValue(c, { slug: storeSlug }, "/store", async () =>
		unwrap(await c.env.IDENTITY.storeBySlug(storeSlug, rpcContext(c))),
	);
}

/** A variant as this store sells it, cached under the store's listing version. */
export function storefrontVariant(
	c: Context<GatewayEnv>,
	storeSlug: string,
	variantId: string,
): Promise<StorefrontVariantSnapshot> {
	return cachedValue(c, { slug: storeSlug, list: true }, `/variant/${variantId}`, async () =>
		unwrap(await c.env.CATALOG.storefrontVariant(storeSlug, variantId, rpcContext(c))),
	);
}

/** Where Paystack sends the shopper back: the order's storefront page (it reads the order cookie). */
function orderPageUrl(c: Context<GatewayEnv>, slug: string, orderId: string): string {
	return new URL(`/s/${encodeURIComponent(slug)}/orders/${orderId}`, c.req.url).href;
}

function idempotencyKeyOf(c: Context<GatewayEnv>): string {
	const raw = c.req.header("idempotency-key");
	if (raw === undefined) {
		throw new ProblemError(
			problem("validation-failed", "Send an Idempotency-Key header (a random UUID per checkout attempt).", {
				errors: [{ path: "Idempotency-Key", message: "Required", code: "required" }],
			}),
		);
	}
	return parseOrThrow(idempotencyKey, raw, "Idempotency-Key");
}

/** The order token from `Authorization: Bearer otk_…` or the order page's cookie. */
export function orderTokenOf(c: Context<GatewayEnv>, orderId: string): string | null {
	const auth = c.req.header("authorization");
	if (auth?.startsWith("Bearer otk_")) return auth.slice("Bearer ".length);
	const cookie = c.req.header("cookie") ?? "";
	const match = new RegExp(`(?:^|;\\s*)oja_order_${orderId}=(otk_[A-Za-z0-9_-]+)`).exec(cookie);
	return match?.[1] ?? null;
}

export const cartRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/carts",
			operationId: "createCart",
			summary: "Start a cart at this store",
			tags: ["storefront"],
			params: SlugParam,
			responses: { 201: { description: "An empty cart", schema: Cart } },
			problems: [...PROBLEMS],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			return sendResult(c, await c.env.COMMERCE.createCart(store.id, store.currency, rpcContext(c)), 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/carts/:cartId",
			operationId: "getCart",
			summary: "A cart, every line at the price it will be charged now",
			tags: ["storefront"],
			params: Params,
			responses: { 200: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			const ctx = rpcContext(c);
			const stored = unwrap(await c.env.COMMERCE.cart(store.id, params.cartId, null, ctx));
			if (stored.lines.length === 0 || stored.status !== "open") return c.json(stored);
			// Current prices and availability, from the cache; a variant no longer sold keeps its last
			// known price here and checkout refuses it by name.
			const snapshots = await Promise.all(
				stored.lines.map((l) =>
					storefrontVariant(c, params.slug, l.variantId).then(
						(s) => s.variant,
						(error: unknown) => {
							if (error instanceof ProblemError && error.problem.status === 422) return null;
							throw error;
						},
					),
				),
			);
			const fresh = snapshots.filter((s) => s !== null);
			return sendResult(c, await c.env.COMMERCE.cart(store.id, params.cartId, fresh, ctx));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/carts/:cartId/lines",
			operationId: "addCartLine",
			summary: "Add units of a variant (merged into its line; capped by availability and 999 per line)",
			tags: ["storefront"],
			params: Params,
			body: AddCartLineInput,
			responses: { 201: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params, body }) => {
			const snapshot = await storefrontVariant(c, params.slug, body.variantId);
			return sendResult(
				c,
				await c.env.COMMERCE.addCartLine(snapshot.storeId, params.cartId, snapshot.variant, body, rpcContext(c)),
				201,
			);
		},
	)
	.declare(
		{
			method: "patch",
			path: "/v1/storefront/:slug/carts/:cartId/lines/:lineId",
			operationId: "updateCartLine",
			summary: "Change a line's quantity (capped by availability and 999)",
			tags: ["storefront"],
			params: LineParams,
			body: UpdateCartLineInput,
			responses: { 200: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params, body }) => {
			const store = await storefrontStore(c, params.slug);
			return sendResult(c, await c.env.COMMERCE.updateCartLine(store.id, params.cartId, params.lineId, body, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/storefront/:slug/carts/:cartId/lines/:lineId",
			operationId: "removeCartLine",
			summary: "Remove a line",
			tags: ["storefront"],
			params: LineParams,
			responses: { 200: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			return sendResult(c, await c.env.COMMERCE.removeCartLine(store.id, params.cartId, params.lineId, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/carts/:cartId/discount",
			operationId: "applyCartDiscount",
			summary: "Apply a discount code (checked again, atomically, at checkout)",
			tags: ["storefront"],
			params: Params,
			body: ApplyDiscountInput,
			responses: { 200: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params, body }) => {
			const store = await storefrontStore(c, params.slug);
			return sendResult(c, await c.env.COMMERCE.applyCartDiscount(store.id, params.cartId, body, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/storefront/:slug/carts/:cartId/discount",
			operationId: "removeCartDiscount",
			summary: "Remove the discount code",
			tags: ["storefront"],
			params: Params,
			responses: { 200: { description: "The cart", schema: Cart } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			return sendResult(c, await c.env.COMMERCE.removeCartDiscount(store.id, params.cartId, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/carts/:cartId/checkout",
			operationId: "checkout",
			summary: "Place the order (Idempotency-Key required): stock reserved, one database transaction",
			description:
				"Online payment: `pending_payment` until paid or expired. Pay on delivery (where the delivery option offers it): `open`, due on delivery. The same Idempotency-Key and body return the first response again; the same key with another body is a 422.",
			tags: ["storefront"],
			params: Params,
			body: CheckoutInput,
			responses: { 201: { description: "The order and its shopper token", schema: CheckoutResult } },
			problems: [...PROBLEMS, "conflict"],
		},
		[privateToShopper],
		async (c, { params, body }) => {
			const key = idempotencyKeyOf(c);
			const store = await storefrontStore(c, params.slug);
			const outcome = unwrap(await c.env.COMMERCE.checkout(store.id, params.cartId, body, key, rpcContext(c)));
			if (outcome.replayed) c.header("idempotent-replayed", "true");
			const { order } = outcome.result;
			if (order.status !== "pending_payment") return c.json(outcome.result, 201);
			// After the order's transaction committed: if Paystack is down the order stands and
			// POST …/orders/{orderId}/payment retries (same reference). A replay gets the same link.
			const payment = await c.env.PAYMENTS.initializePayment(
				store.id,
				order.id,
				orderPageUrl(c, params.slug, order.id),
				rpcContext(c),
			);
			return c.json({ ...outcome.result, payment: payment.ok ? payment.value : null }, 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/orders/:orderId",
			operationId: "storefrontOrder",
			summary: "An order, for the shopper holding its token (Bearer otk_… or the order page's cookie)",
			tags: ["storefront"],
			params: OrderParams,
			responses: { 200: { description: "The order with its timeline", schema: Order } },
			problems: [...PROBLEMS],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			const token = orderTokenOf(c, params.orderId);
			return sendResult(c, await c.env.COMMERCE.storefrontOrder(store.id, params.orderId, token, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/orders/:orderId/payment",
			operationId: "startOrderPayment",
			summary: "The hosted payment page for an online order awaiting payment (order token); idempotent",
			description:
				"Returns the link made at checkout, or makes it if the provider could not be reached then (same reference: never a second transaction). 409 once the order is paid, expired or cancelled.",
			tags: ["storefront"],
			params: OrderParams,
			responses: { 200: { description: "Where to send the shopper", schema: PaymentLink } },
			problems: [...PROBLEMS, "conflict", "service-unavailable"],
		},
		[privateToShopper],
		async (c, { params }) => {
			const store = await storefrontStore(c, params.slug);
			const ctx = rpcContext(c);
			// The token is checked first: without it, this order does not exist for the caller.
			unwrap(await c.env.COMMERCE.storefrontOrder(store.id, params.orderId, orderTokenOf(c, params.orderId), ctx));
			return sendResult(
				c,
				await c.env.PAYMENTS.initializePayment(store.id, params.orderId, orderPageUrl(c, params.slug, params.orderId), ctx),
			);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/account/orders",
			operationId: "customerOrders",
			summary: "The signed-in shopper's orders at this store, newest first",
			tags: ["storefront"],
			params: SlugParam,
			query: OrderListQuery.pick({ cursor: true, limit: true, status: true }),
			responses: { 200: { description: "A page of the shopper's orders", schema: OrderList } },
			problems: [...PROBLEMS, "unauthorized", "forbidden"],
		},
		[privateToShopper],
		async (c, { params, query }) => {
			const principal = await verifyCustomer(c);
			if (!principal) {
				throw new ProblemError(
					problem("unauthorized", "Send a storefront token as `Authorization: Bearer …`.", { extensions: { code: "missing" } }),
				);
			}
			const ctx = rpcContext(c);
			// Identity checks the session is live and belongs to this store.
			const me = unwrap(await c.env.IDENTITY.customer(params.slug, ctx));
			return sendResult(c, await c.env.COMMERCE.customerOrders(me.storeId, me.id, query, ctx));
		},
	).app;
