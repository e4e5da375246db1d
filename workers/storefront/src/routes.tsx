import { ProblemError, problem } from "@oja/contracts";
import { type CacheScope, CUSTOM_DOMAIN_HEADER, edgeCached as sharedEdgeCache } from "@oja/edge-cache";
import { type Context, Hono } from "hono";
import { accountPageRoutes } from "./account-pages.tsx";
import type { StorefrontEnv } from "./app-env.ts";
import { cartPageRoutes } from "./cart-pages.tsx";
import { limitPublic } from "./http.ts";
import { htmlPage, view } from "./page-kit.tsx";
import { ListingPage } from "./pages/listing.tsx";
import { ProductPage, selectVariant } from "./pages/product.tsx";

// Server-rendered storefront pages under /s/{slug}/…, and at the root of a merchant's custom
// domain (custom-domains.ts rewrites those requests to here). Catalog pages are edge-cached
// like the storefront API (@oja/edge-cache, shared with the gateway); the cart and checkout
// are per shopper and never cached.

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
	.route("/", cartPageRoutes)
	.route("/", accountPageRoutes);
