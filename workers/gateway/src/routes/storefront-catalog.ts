import {
	handle,
	StorefrontCollection,
	StorefrontListQuery,
	StorefrontProduct,
	StorefrontProductList,
	StorefrontSearchQuery,
	slug,
} from "@oja/contracts";
import { z } from "zod";
import { routeGroup } from "../openapi/registry.ts";
import { cachedRead } from "../storefront-cache.ts";
import { sendResult } from "../validate.ts";

// Public catalog reads. Each is served from the edge cache (see @oja/edge-cache);
// on a miss the catalog Worker answers with one SQL round trip.

const CACHED = "Served from the edge cache with an ETag (send If-None-Match for a 304).";

export const storefrontCatalogRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/products",
			operationId: "storefrontProducts",
			summary: "A store's active products: newest first, by price or title, or a collection's own order",
			description: CACHED,
			tags: ["storefront"],
			params: z.object({ slug }),
			query: StorefrontListQuery,
			responses: { 200: { description: "A page of products", schema: StorefrontProductList } },
			problems: ["not-found", "validation-failed", "rate-limited"],
		},
		[],
		async (c, { params, query }) => {
			const { slug: storeSlug } = params;
			return cachedRead(c, { slug: storeSlug, list: true }, async () =>
				sendResult(c, await c.env.CATALOG.storefrontProducts(storeSlug, query, { requestId: c.get("requestId") })),
			);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/products/:handle",
			operationId: "storefrontProduct",
			summary: "One active product by handle",
			description: CACHED,
			tags: ["storefront"],
			params: z.object({ slug, handle }),
			responses: { 200: { description: "The product", schema: StorefrontProduct } },
			problems: ["not-found", "rate-limited"],
		},
		[],
		async (c, { params }) => {
			const { slug: storeSlug, handle: productHandle } = params;
			return cachedRead(c, { slug: storeSlug, product: productHandle }, async () =>
				sendResult(c, await c.env.CATALOG.storefrontProduct(storeSlug, productHandle, { requestId: c.get("requestId") })),
			);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/collections/:handle",
			operationId: "storefrontCollection",
			summary: "A collection and a page of its active products (its own order unless sorted)",
			description: CACHED,
			tags: ["storefront"],
			params: z.object({ slug, handle }),
			query: StorefrontListQuery.omit({ collection: true }),
			responses: { 200: { description: "The collection", schema: StorefrontCollection } },
			problems: ["not-found", "validation-failed", "rate-limited"],
		},
		[],
		async (c, { params, query }) => {
			const { slug: storeSlug, handle: collectionHandle } = params;
			return cachedRead(c, { slug: storeSlug, list: true }, async () =>
				sendResult(
					c,
					await c.env.CATALOG.storefrontCollection(storeSlug, collectionHandle, query, { requestId: c.get("requestId") }),
				),
			);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/search",
			operationId: "storefrontSearch",
			summary: "Search active products: prefix matching, ranked title > tags > description, typo-tolerant titles",
			description: CACHED,
			tags: ["storefront"],
			params: z.object({ slug }),
			query: StorefrontSearchQuery,
			responses: { 200: { description: "Matches, best first", schema: z.object({ items: z.array(StorefrontProduct) }) } },
			problems: ["not-found", "validation-failed", "rate-limited"],
		},
		[],
		async (c, { params, query }) => {
			const { slug: storeSlug } = params;
			return cachedRead(c, { slug: storeSlug, list: true }, async () =>
				sendResult(c, await c.env.CATALOG.storefrontSearch(storeSlug, query, { requestId: c.get("requestId") })),
			);
		},
	).app;
