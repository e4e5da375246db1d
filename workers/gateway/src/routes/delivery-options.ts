import { DeliveryOptionList, PutDeliveryOptionsInput, StoreIdParam, slug } from "@oja/contracts";
import { z } from "zod";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const deliveryOptionRoutes = routeGroup()
	.declare(
		{
			method: "put",
			path: "/v1/stores/:storeId/delivery-options",
			operationId: "putDeliveryOptions",
			summary: "Replace the store's delivery options (order = storefront order; left-out options are retired)",
			tags: ["commerce"],
			params: StoreIdParam,
			body: PutDeliveryOptionsInput,
			responses: { 200: { description: "The store's live options", schema: DeliveryOptionList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { body }) => sendResult(c, await c.env.COMMERCE.putDeliveryOptions(storeAccessOf(c), body, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/delivery-options",
			operationId: "listDeliveryOptions",
			summary: "The store's live delivery options, in order",
			tags: ["commerce"],
			params: StoreIdParam,
			responses: { 200: { description: "The store's live options", schema: DeliveryOptionList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c) => sendResult(c, await c.env.COMMERCE.listDeliveryOptions(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/delivery-options",
			operationId: "storefrontDeliveryOptions",
			summary: "How a shopper can get their order from this store, in the merchant's order",
			tags: ["storefront"],
			params: z.object({ slug }),
			responses: { 200: { description: "The store's live options", schema: DeliveryOptionList } },
			problems: ["not-found", "rate-limited"],
		},
		[],
		async (c, { params }) => {
			const ctx = { requestId: c.get("requestId") };
			const store = unwrap(await c.env.IDENTITY.storeBySlug(params.slug, ctx));
			c.set("storeId", store.id);
			return sendResult(c, await c.env.COMMERCE.storefrontDeliveryOptions(store.id, ctx));
		},
	).app;
