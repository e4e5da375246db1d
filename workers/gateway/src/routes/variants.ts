import { CreateVariantInput, ProductParams, UpdateVariantInput, Variant, VariantParams } from "@oja/contracts";
import { z } from "zod";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;
const BASE = "/v1/stores/:storeId/products/:productId/variants";

export const variantRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: BASE,
			operationId: "listVariants",
			summary: "A product's variants with stock",
			tags: ["catalog"],
			params: ProductParams,
			responses: { 200: { description: "The variants, in display order", schema: z.object({ items: z.array(Variant) }) } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { params }) => {
			const { productId } = params;
			return sendResult(c, await c.env.CATALOG.listVariants(storeAccessOf(c), productId, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "post",
			path: BASE,
			operationId: "createVariant",
			summary: "Add a variant (one value per product option; SKU unique in the store)",
			tags: ["catalog"],
			params: ProductParams,
			body: CreateVariantInput,
			responses: { 201: { description: "The variant", schema: Variant } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) => {
			const { productId } = params;
			return sendResult(c, await c.env.CATALOG.addVariant(storeAccessOf(c), productId, body, rpcContext(c)), 201);
		},
	)
	.declare(
		{
			method: "get",
			path: `${BASE}/:variantId`,
			operationId: "getVariant",
			summary: "One variant with stock",
			tags: ["catalog"],
			params: VariantParams,
			responses: { 200: { description: "The variant", schema: Variant } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { params }) => {
			const { productId, variantId } = params;
			return sendResult(c, await c.env.CATALOG.getVariant(storeAccessOf(c), productId, variantId, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "patch",
			path: `${BASE}/:variantId`,
			operationId: "updateVariant",
			summary: "Change a variant's SKU, title, price, compare-at price or weight",
			tags: ["catalog"],
			params: VariantParams,
			body: UpdateVariantInput,
			responses: { 200: { description: "The variant", schema: Variant } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) => {
			const { productId, variantId } = params;
			return sendResult(c, await c.env.CATALOG.updateVariant(storeAccessOf(c), productId, variantId, body, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "delete",
			path: `${BASE}/:variantId`,
			operationId: "deleteVariant",
			summary: "Delete a variant (not the last one, not while units are reserved)",
			tags: ["catalog"],
			params: VariantParams,
			responses: { 204: { description: "Deleted" } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params }) => {
			const { productId, variantId } = params;
			unwrap(await c.env.CATALOG.deleteVariant(storeAccessOf(c), productId, variantId, rpcContext(c)));
			return c.body(null, 204);
		},
	).app;
