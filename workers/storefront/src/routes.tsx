import {
	CheckoutDetails,
	handle,
	ProblemError,
	prefixedId,
	problem,
	type StorefrontView,
	type StorefrontViewQuery,
	slug,
} from "@oja/contracts";
import { type CacheScope, CUSTOM_DOMAIN_HEADER, edgeCached as sharedEdgeCache } from "@oja/edge-cache";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { StorefrontEnv } from "./app-env.ts";
import { limitPublic, unwrap } from "./http.ts";
import { type CartLine, CartPage } from "./pages/cart.tsx";
import { CheckoutPage, type CheckoutValues } from "./pages/checkout.tsx";
import { ErrorPage } from "./pages/error.tsx";
import { ListingPage } from "./pages/listing.tsx";
import { ProductPage, selectVariant } from "./pages/product.tsx";

// Server-rendered storefront pages under /s/{slug}/…, and at the root of a merchant's custom
// domain (custom-domains.ts rewrites those requests to here). Catalog pages are edge-cached
// like the storefront API (@oja/edge-cache, shared with the gateway); the cart and checkout
// are per shopper and never cached.

const PageParams = z.object({ slug, handle: handle.optional() });
const CART_COOKIE = "oja_cart";
const CART_MAX_LINES = 50;
const CartCookie = z.array(z.tuple([prefixedId("var"), z.number().int().min(1).max(99)])).max(CART_MAX_LINES);
const AddToCart = z.object({
	variantId: prefixedId("var"),
	quantity: z.coerce.number().int().min(1).max(99).default(1),
});
const RemoveFromCart = z.object({ variantId: prefixedId("var") });

interface PageContext {
	slug: string;
	/** `/s/{slug}` on the platform host; "" on the store's own domain. */
	base: string;
	origin: string;
}

function pageContext(c: Context<StorefrontEnv>): PageContext {
	const params = PageParams.safeParse(c.req.param());
	if (!params.success) throw new ProblemError(problem("not-found", "No such page."));
	const customDomain = c.req.header(CUSTOM_DOMAIN_HEADER) !== undefined;
	return { slug: params.data.slug, base: customDomain ? "" : `/s/${params.data.slug}`, origin: new URL(c.req.url).origin };
}

async function view(c: Context<StorefrontEnv>, storeSlug: string, query: StorefrontViewQuery): Promise<StorefrontView> {
	const result = await c.env.CATALOG.storefrontView(storeSlug, query, { requestId: c.get("requestId") });
	if (result.ok) c.set("storeId", result.value.store.id);
	return unwrap(result);
}

/** Renders a page; a problem (unknown store or product, bad input) becomes an HTML error page. */
async function htmlPage(c: Context<StorefrontEnv>, render: (page: PageContext) => Promise<Response>): Promise<Response> {
	try {
		return await render(pageContext(c));
	} catch (error) {
		if (!(error instanceof ProblemError) || error.problem.status >= 500) throw error;
		const retryAfter = error.problem.extensions?.retryAfter;
		if (typeof retryAfter === "number") c.header("retry-after", String(retryAfter));
		return c.html(<ErrorPage status={error.problem.status} title={error.problem.title} />, error.problem.status as 404);
	}
}

function readCart(c: Context<StorefrontEnv>): CartLine[] {
	const raw = getCookie(c, CART_COOKIE);
	if (!raw) return [];
	try {
		const parsed = CartCookie.safeParse(JSON.parse(atob(raw.replace(/-/g, "+").replace(/_/g, "/"))));
		return parsed.success ? parsed.data.map(([variantId, quantity]) => ({ variantId, quantity })) : [];
	} catch {
		return [];
	}
}

function writeCart(c: Context<StorefrontEnv>, page: PageContext, lines: CartLine[]): void {
	const value = btoa(JSON.stringify(lines.map((l) => [l.variantId, l.quantity])))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
	setCookie(c, CART_COOKIE, value, {
		path: page.base || "/",
		httpOnly: true,
		sameSite: "Lax",
		secure: page.origin.startsWith("https:"),
		maxAge: 30 * 24 * 3600,
	});
}

/**
 * Cart forms are plain POSTs, so a cross-site page could submit them; browsers say where a
 * request came from (Sec-Fetch-Site, Origin) and anything not same-origin is refused.
 */
function assertSameOrigin(c: Context<StorefrontEnv>, page: PageContext): void {
	const site = c.req.header("sec-fetch-site");
	const origin = c.req.header("origin");
	if ((site && site !== "same-origin" && site !== "none") || (origin && origin !== page.origin)) {
		throw new ProblemError(problem("forbidden", "Cart changes must come from this store's own pages."));
	}
}

async function formFields(c: Context<StorefrontEnv>): Promise<Record<string, string>> {
	const type = c.req.header("content-type") ?? "";
	if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
		throw new ProblemError(problem("unsupported-media-type", "Send the form as application/x-www-form-urlencoded."));
	}
	const body = await c.req.parseBody().catch(() => {
		throw new ProblemError(problem("bad-request", "The form could not be read."));
	});
	return Object.fromEntries(Object.entries(body).flatMap(([k, v]) => (typeof v === "string" ? [[k, v.slice(0, 1000)]] : [])));
}

/** This shopper's cart lines with live catalog data; the page built from it is never cached. */
async function liveCart(c: Context<StorefrontEnv>, page: PageContext): Promise<{ lines: CartLine[]; data: StorefrontView }> {
	const lines = readCart(c);
	const data = await view(c, page.slug, { kind: "variants", ids: lines.map((l) => l.variantId) });
	c.header("cache-control", "private, no-store");
	return { lines, data };
}

/** The checkout page for this shopper's cart, with live prices (never cached). */
async function checkoutPage(
	c: Context<StorefrontEnv>,
	page: PageContext,
	form: { values: CheckoutValues; errors: Partial<Record<keyof CheckoutValues, string>>; confirmed: boolean },
	status: 200 | 422,
): Promise<Response> {
	const { lines, data } = await liveCart(c, page);
	return c.html(
		<CheckoutPage
			store={data.store}
			base={page.base}
			origin={page.origin}
			collections={data.collections}
			lines={lines}
			products={data.items}
			{...form}
		/>,
		status,
	);
}

async function formOf<S extends z.ZodType>(c: Context<StorefrontEnv>, schema: S): Promise<z.output<S>> {
	const parsed = schema.safeParse(await formFields(c));
	if (!parsed.success) throw new ProblemError(problem("validation-failed", "That is not something we can add to a cart."));
	return parsed.data;
}

/** A page through the edge cache; a miss counts against the caller's per-IP limit. */
function edgeCached(c: Context<StorefrontEnv>, scope: CacheScope, produce: () => Promise<Response>): Promise<Response> {
	return sharedEdgeCache(
		{
			url: c.req.url,
			ifNoneMatch: c.req.header("if-none-match"),
			customDomain: c.req.header(CUSTOM_DOMAIN_HEADER) !== undefined,
			versions: c.env.STOREFRONT_VERSIONS,
			waitUntil: (promise) => c.executionCtx.waitUntil(promise),
			beforeOrigin: () => limitPublic(c),
		},
		scope,
		produce,
	);
}

const home = (c: Context<StorefrontEnv>) =>
	htmlPage(c, async (page) =>
		edgeCached(c, { slug: page.slug, list: true }, async () => {
			const cursor = c.req.query("cursor");
			const data = await view(c, page.slug, { kind: "home", cursor, limit: 24 });
			return c.html(
				<ListingPage
					store={data.store}
					base={page.base}
					origin={page.origin}
					path="/"
					collections={data.collections}
					heading={data.store.name}
					products={data.items}
					more={data.nextCursor ? `${page.base}/?cursor=${data.nextCursor}` : null}
					empty="This store has no products yet."
				/>,
			);
		}),
	);

export const storefrontPageRoutes = new Hono<StorefrontEnv>()
	.get("/s/:slug", home)
	.get("/s/:slug/", home)
	.get("/s/:slug/collections/:handle", (c) =>
		htmlPage(c, async (page) =>
			edgeCached(c, { slug: page.slug, list: true }, async () => {
				const collectionHandle = c.req.param("handle");
				const data = await view(c, page.slug, {
					kind: "collection",
					handle: collectionHandle,
					cursor: c.req.query("cursor"),
					limit: 24,
				});
				const path = `/collections/${collectionHandle}`;
				return c.html(
					<ListingPage
						store={data.store}
						base={page.base}
						origin={page.origin}
						path={path}
						collections={data.collections}
						heading={data.collection?.title ?? ""}
						intro={data.collection?.description}
						products={data.items}
						more={data.nextCursor ? `${page.base}${path}?cursor=${data.nextCursor}` : null}
						empty="Nothing in this collection right now."
					/>,
				);
			}),
		),
	)
	.get("/s/:slug/products/:handle", (c) =>
		htmlPage(c, async (page) =>
			edgeCached(c, { slug: page.slug, product: c.req.param("handle"), nav: true }, async () => {
				const data = await view(c, page.slug, { kind: "product", handle: c.req.param("handle") });
				const product = data.items[0];
				const selected = product ? selectVariant(product, { ...c.req.query() }) : undefined;
				if (!product || !selected) throw new ProblemError(problem("not-found", "No such product."));
				return c.html(
					<ProductPage
						store={data.store}
						base={page.base}
						origin={page.origin}
						collections={data.collections}
						product={product}
						selected={selected}
					/>,
				);
			}),
		),
	)
	.get("/s/:slug/search", (c) =>
		htmlPage(c, async (page) =>
			edgeCached(c, { slug: page.slug, list: true }, async () => {
				const q = (c.req.query("q") ?? "").trim().slice(0, 100);
				const data = await view(c, page.slug, { kind: "search", q, limit: 24 });
				return c.html(
					<ListingPage
						store={data.store}
						base={page.base}
						origin={page.origin}
						path={`/search?q=${encodeURIComponent(q)}`}
						collections={data.collections}
						heading={q ? `Results for “${q}”` : "Search"}
						query={q}
						products={data.items}
						more={null}
						empty={q ? "No products match that search." : "Type what you are looking for above."}
					/>,
				);
			}),
		),
	)
	.get("/s/:slug/cart", (c) =>
		htmlPage(c, async (page) => {
			const { lines, data } = await liveCart(c, page);
			return c.html(
				<CartPage
					store={data.store}
					base={page.base}
					origin={page.origin}
					collections={data.collections}
					lines={lines}
					products={data.items}
				/>,
			);
		}),
	)
	.post("/s/:slug/cart", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const { variantId, quantity } = await formOf(c, AddToCart);
			const lines = readCart(c);
			const existing = lines.find((l) => l.variantId === variantId);
			if (existing) existing.quantity = Math.min(99, existing.quantity + quantity);
			else lines.push({ variantId, quantity });
			writeCart(c, page, lines.slice(-CART_MAX_LINES));
			return c.redirect(`${page.base}/cart`, 303);
		}),
	)
	.get("/s/:slug/checkout", (c) =>
		htmlPage(c, (page) => checkoutPage(c, page, { values: {}, errors: {}, confirmed: false }, 200)),
	)
	.post("/s/:slug/checkout", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const fields = await formFields(c);
			const parsed = CheckoutDetails.safeParse(fields);
			if (!parsed.success) {
				const errors: Partial<Record<keyof CheckoutValues, string>> = {};
				for (const issue of parsed.error.issues) {
					const field = String(issue.path[0]) as keyof CheckoutValues;
					errors[field] ??= issue.message;
				}
				return checkoutPage(c, page, { values: fields, errors, confirmed: false }, 422);
			}
			const { email, note, ...required } = parsed.data;
			return checkoutPage(
				c,
				page,
				{ values: { ...required, email: email ?? "", note: note ?? "" }, errors: {}, confirmed: true },
				200,
			);
		}),
	)
	.post("/s/:slug/cart/remove", (c) =>
		htmlPage(c, async (page) => {
			assertSameOrigin(c, page);
			const { variantId } = await formOf(c, RemoveFromCart);
			writeCart(
				c,
				page,
				readCart(c).filter((l) => l.variantId !== variantId),
			);
			return c.redirect(`${page.base}/cart`, 303);
		}),
	);
