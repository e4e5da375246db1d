import type { PricedCart, StorefrontVariantSnapshot } from "@oja/cart";
import {
	CheckoutInput,
	type CheckoutResult,
	type DeliveryOption,
	orderId as orderIdSchema,
	ProblemError,
	type PublicStore,
	prefixedId,
	problem,
	type Result,
} from "@oja/contracts";
import { edgeCachedValue } from "@oja/edge-cache";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { StorefrontEnv } from "./app-env.ts";
import { limitPublic, unwrap } from "./http.ts";
import { assertSameOrigin, formFields, htmlPage, type PageContext, view } from "./page-kit.tsx";
import { CartPage } from "./pages/cart.tsx";
import { type CheckoutField, CheckoutPage, type CheckoutValues } from "./pages/checkout.tsx";
import { OrderPage, type PaymentNote } from "./pages/order.tsx";

// The shopper's cart, checkout and order pages. The cart is the commerce Worker's Durable
// Object; the cookie holds only its id. The order page is readable with the order's token,
// kept in a cookie set when the order was placed, or when the shopper follows the link in their
// order email (`?token=`, moved into the cookie by a redirect). None of these pages is ever cached.

const CART_COOKIE = "oja_cart";
const cartIdSchema = prefixedId("cart");
const AddToCart = z.object({
	variantId: prefixedId("var"),
	quantity: z.coerce.number().int().min(1).max(999).default(1),
});
const LineForm = z.object({ lineId: z.string().regex(/^ln_[0-9a-z]{1,12}$/) });
const UpdateForm = LineForm.extend({ quantity: z.coerce.number().int().min(1).max(999) });

/** Where Paystack sends the shopper back: this order's page on the host they shop on. */
function orderPageUrl(page: PageContext, orderId: string): string {
	return `${page.origin}${page.base}/orders/${orderId}`;
}

function ctxOf(c: Context<StorefrontEnv>) {
	return { requestId: c.get("requestId") };
}

function cookieOptions(page: PageContext, maxAge: number) {
	return {
		path: page.base || "/",
		httpOnly: true,
		sameSite: "Lax" as const,
		secure: page.origin.startsWith("https:"),
		maxAge,
	};
}

function cartIdOf(c: Context<StorefrontEnv>): string | null {
	const parsed = cartIdSchema.safeParse(getCookie(c, CART_COOKIE));
	return parsed.success ? parsed.data : null;
}

/** The variant as this store sells it, from the edge cache (no SQL when warm). */
function snapshotOf(c: Context<StorefrontEnv>, slug: string, variantId: string): Promise<StorefrontVariantSnapshot> {
	return edgeCachedValue(
		{
			versions: c.env.STOREFRONT_VERSIONS,
			waitUntil: (p) => c.executionCtx.waitUntil(p),
			beforeOrigin: () => limitPublic(c),
		},
		{ slug, list: true },
		`/variant/${variantId}`,
		async () => unwrap(await c.env.CATALOG.storefrontVariant(slug, variantId, ctxOf(c))) as StorefrontVariantSnapshot,
	);
}

/** This shopper's cart, repriced, or null when there is none (or it was checked out). */
async function currentCart(c: Context<StorefrontEnv>, store: PublicStore): Promise<PricedCart | null> {
	const cartId = cartIdOf(c);
	if (!cartId) return null;
	const result = (await c.env.COMMERCE.cart(store.id, cartId, null, ctxOf(c))) as Result<PricedCart>;
	if (!result.ok) {
		if (result.problem.status === 404 || result.problem.status === 422) return null;
		return unwrap(result);
	}
	const cart = result.value;
	if (cart.status !== "open") return null;
	if (cart.lines.length === 0) return cart;
	const fresh = await Promise.all(
		cart.lines.map((l) =>
			snapshotOf(c, store.slug, l.variantId).then(
				(s) => s.variant,
				() => null,
			),
		),
	);
	return unwrap(
		await c.env.COMMERCE.cart(
			store.id,
			cartId,
			fresh.filter((s) => s !== null),
			ctxOf(c),
		),
	);
}

async function storeAndNav(c: Context<StorefrontEnv>, page: PageContext) {
	const data = await view(c, page.slug, { kind: "variants", ids: [] });
	c.header("cache-control", "private, no-store");
	return { store: data.store, collections: data.collections };
}

async function formOf<S extends z.ZodType>(c: Context<StorefrontEnv>, schema: S): Promise<z.output<S>> {
	const parsed = schema.safeParse(await formFields(c));
	if (!parsed.success) throw new ProblemError(problem("validation-failed", "That is not something we can do with a cart."));
	return parsed.data;
}

/** Applies an edit to the shopper's cart, starting a new cart when there is none (or it was checked out). */
async function editCart(
	c: Context<StorefrontEnv>,
	page: PageContext,
	edit: (storeId: string, cartId: string) => Promise<Result<PricedCart>>,
	store: { id: string; currency: string },
): Promise<Result<PricedCart>> {
	let cartId = cartIdOf(c);
	let result = cartId ? ((await edit(store.id, cartId)) as Result<PricedCart>) : null;
	const stale = result && !result.ok && (result.problem.status === 404 || result.problem.extensions?.code === "cart-checked-out");
	if (!cartId || stale) {
		const created = unwrap(await c.env.COMMERCE.createCart(store.id, store.currency, ctxOf(c)));
		cartId = created.id;
		setCookie(c, CART_COOKIE, cartId, cookieOptions(page, 30 * 24 * 3600));
		result = await edit(store.id, cartId);
	}
	return result as Result<PricedCart>;
}

async function checkoutPage(
	c: Context<StorefrontEnv>,
	page: PageContext,
	form: { values: CheckoutValues; errors: Partial<Record<CheckoutField, string>>; message?: string; key?: string },
	status: 200 | 409 | 422,
): Promise<Response> {
	const { store, collections } = await storeAndNav(c, page);
	const [cart, options] = await Promise.all([
		currentCart(c, store),
		c.env.COMMERCE.storefrontDeliveryOptions(store.id, ctxOf(c)).then((r) => unwrap(r).items as DeliveryOption[]),
	]);
	return c.html(
		<CheckoutPage
			store={store}
			base={page.base}
			origin={page.origin}
			collections={collections}
			cart={cart}
			options={options}
			idempotencyKey={form.key ?? crypto.randomUUID()}
			{...form}
		/>,
		status,
	);
}

const FIELD_OF: Record<string, CheckoutField> = {
	name: "name",
	phone: "phone",
	email: "email",
	note: "note",
	deliveryOptionId: "deliveryOptionId",
	paymentMethod: "paymentMethod",
	"shippingAddress.address": "address",
	"shippingAddress.city": "city",
	"shippingAddress.state": "state",
	shippingAddress: "address",
};

export const cartPageRoutes = new Hono<StorefrontEnv>()
	.get("/s/:slug/cart", (c) =>
		htmlPage(c, async (page) => {
			const { store, collections } = await storeAndNav(c, page);
			const cart = await currentCart(c, store);
			return c.html(<CartPage store={store} base={page.base} origin={page.origin} collections={collections} cart={cart} />);
		}),
	)
	.post("/s/:slug/cart", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const { variantId, quantity } = await formOf(c, AddToCart);
			const snapshot = await snapshotOf(c, page.slug, variantId);
			const result = await editCart(
				c,
				page,
				(storeId, cartId) => c.env.COMMERCE.addCartLine(storeId, cartId, snapshot.variant, { variantId, quantity }, ctxOf(c)),
				{ id: snapshot.storeId, currency: snapshot.currency },
			);
			unwrap(result);
			return c.redirect(`${page.base}/cart`, 303);
		}),
	)
	.post("/s/:slug/cart/update", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const { lineId, quantity } = await formOf(c, UpdateForm);
			const { store } = await storeAndNav(c, page);
			const cartId = cartIdOf(c);
			if (cartId) await c.env.COMMERCE.updateCartLine(store.id, cartId, lineId, { quantity }, ctxOf(c));
			return c.redirect(`${page.base}/cart`, 303);
		}),
	)
	.post("/s/:slug/cart/remove", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const { lineId } = await formOf(c, LineForm);
			const { store } = await storeAndNav(c, page);
			const cartId = cartIdOf(c);
			if (cartId) await c.env.COMMERCE.removeCartLine(store.id, cartId, lineId, ctxOf(c));
			return c.redirect(`${page.base}/cart`, 303);
		}),
	)
	.get("/s/:slug/checkout", (c) => htmlPage(c, (page) => checkoutPage(c, page, { values: {}, errors: {} }, 200)))
	.post("/s/:slug/checkout", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const fields = await formFields(c);
			const values: CheckoutValues = {
				name: fields.name,
				phone: fields.phone,
				email: fields.email,
				address: fields.address,
				city: fields.city,
				state: fields.state,
				note: fields.note,
				deliveryOptionId: fields.deliveryOptionId,
				paymentMethod: fields.paymentMethod,
			};
			const key = /^[0-9a-f-]{36}$/.test(fields.idempotencyKey ?? "") ? (fields.idempotencyKey as string) : crypto.randomUUID();
			const hasAddress = Boolean(fields.address?.trim() || fields.city?.trim() || fields.state?.trim());
			const parsed = CheckoutInput.safeParse({
				name: fields.name,
				phone: fields.phone,
				email: fields.email,
				note: fields.note,
				deliveryOptionId: fields.deliveryOptionId,
				paymentMethod: fields.paymentMethod || "online",
				...(hasAddress ? { shippingAddress: { address: fields.address, city: fields.city, state: fields.state } } : {}),
			});
			const errorsOf = (issues: { path: string; message: string }[]) => {
				const errors: Partial<Record<CheckoutField, string>> = {};
				for (const issue of issues) {
					const field = FIELD_OF[issue.path];
					if (field) errors[field] ??= issue.message;
				}
				return errors;
			};
			if (!parsed.success) {
				const errors = errorsOf(parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
				return checkoutPage(c, page, { values, errors, key }, 422);
			}
			const { store } = await storeAndNav(c, page);
			const cartId = cartIdOf(c);
			if (!cartId) return checkoutPage(c, page, { values, errors: {}, message: "Your cart is empty.", key }, 422);
			const result = (await c.env.COMMERCE.checkout(store.id, cartId, parsed.data, key, ctxOf(c))) as Result<{
				result: CheckoutResult;
				replayed: boolean;
			}>;
			if (!result.ok) {
				const p = result.problem;
				if (p.status >= 500 || p.status === 404) throw new ProblemError(p);
				const errors = errorsOf(p.errors ?? []);
				const short = p.extensions?.code === "insufficient-stock";
				const message = short
					? `Some items are no longer available in the quantity you asked for. ${(p.errors ?? []).map((e) => e.message).join("; ")}. Update your cart and try again.`
					: (p.detail ?? "Please check the highlighted fields.");
				return checkoutPage(c, page, { values, errors, message, key: crypto.randomUUID() }, p.status === 409 ? 409 : 422);
			}
			const { order, orderToken } = result.value.result;
			setCookie(c, `oja_order_${order.id}`, orderToken, cookieOptions(page, 90 * 24 * 3600));
			deleteCookie(c, CART_COOKIE, { path: page.base || "/" });
			if (order.status === "pending_payment") {
				// Straight on to Paystack's page; if it cannot be reached, the order page offers "Pay now".
				const link = await c.env.PAYMENTS.initializePayment(store.id, order.id, orderPageUrl(page, order.id), ctxOf(c));
				if (link.ok) return c.redirect(link.value.authorizationUrl, 303);
			}
			return c.redirect(`${page.base}/orders/${order.id}?placed=1`, 303);
		}),
	)
	.post("/s/:slug/orders/:orderId/pay", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const id = orderIdSchema.safeParse(c.req.param("orderId"));
			if (!id.success) throw new ProblemError(problem("not-found", "No such order."));
			const { store } = await storeAndNav(c, page);
			// The order's token (its cookie) first: without it the order does not exist for this browser.
			unwrap(await c.env.COMMERCE.storefrontOrder(store.id, id.data, getCookie(c, `oja_order_${id.data}`) ?? "", ctxOf(c)));
			const link = await c.env.PAYMENTS.initializePayment(store.id, id.data, orderPageUrl(page, id.data), ctxOf(c));
			if (link.ok) return c.redirect(link.value.authorizationUrl, 303);
			return c.redirect(`${page.base}/orders/${id.data}?payment=unavailable`, 303);
		}),
	)
	.get("/s/:slug/orders/:orderId", (c) =>
		htmlPage(c, async (page) => {
			const id = orderIdSchema.safeParse(c.req.param("orderId"));
			if (!id.success) throw new ProblemError(problem("not-found", "No such order."));
			const { store, collections } = await storeAndNav(c, page);
			const offered = c.req.query("token");
			if (offered !== undefined) {
				// Before the check: its 404 page keeps the token in the address bar, so no Referer either.
				c.header("referrer-policy", "no-referrer");
				// The link in the shopper's order email: a token that is this order's goes into the order's
				// cookie, and out of the address bar (history, Referer) by a redirect; any other is a 404.
				unwrap(await c.env.COMMERCE.storefrontOrder(store.id, id.data, offered, ctxOf(c)));
				setCookie(c, `oja_order_${id.data}`, offered, cookieOptions(page, 90 * 24 * 3600));
				// Paystack's return (the payment link from a chat) adds its reference: kept, as the page reads it.
				const reference = c.req.query("reference");
				const back = reference && /^[\w.=-]{1,100}$/.test(reference) ? `?reference=${encodeURIComponent(reference)}` : "";
				return c.redirect(`${page.base}/orders/${id.data}${back}`, 303);
			}
			const token = getCookie(c, `oja_order_${id.data}`) ?? "";
			const order = unwrap(await c.env.COMMERCE.storefrontOrder(store.id, id.data, token, ctxOf(c)));
			// Back from Paystack's page (?reference=…): what happened there, until the webhook lands.
			const reference = c.req.query("reference");
			let payment: PaymentNote = c.req.query("payment") === "unavailable" ? "unavailable" : null;
			if (reference && order.status === "pending_payment") {
				const check = await c.env.PAYMENTS.checkPayment(store.id, order.id, reference, ctxOf(c));
				if (check.ok && (check.value.state === "received" || check.value.state === "failed" || check.value.state === "review")) {
					payment = check.value.state;
				}
			}
			return c.html(
				<OrderPage
					store={store}
					base={page.base}
					origin={page.origin}
					collections={collections}
					order={order}
					// The API path is the gateway's on every host (custom domains too).
					live={{ path: `/v1/storefront/${store.slug}/orders/${order.id}/live`, token }}
					placed={c.req.query("placed") === "1"}
					payment={payment}
				/>,
			);
		}),
	);
