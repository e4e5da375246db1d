import { CreateVariantInput, ProductParams, UpdateVariantInput, Variant, VariantParams } from "@oja/contracts";
import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { storeRoute } from "../middleware/store-access.ts";
import { defineRoute } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { jsonBody, pathParams, sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;
const BASE = "/v1/stores/:storeId/products/:productId/variants";

const list = defineRoute({
	method: "get",
	path: BASE,
	operationId: "listVariants",
	summary: "A product's variants with stock",
	tags: ["catalog"],
	params: ProductParams,
	responses: { 200: { description: "The variants, in display order", schema: z.object({ items: z.array(Variant) }) } },
	problems: [...PROBLEMS],
});

const create = defineRoute({
	method: "post",
	path: BASE,
	operationId: "createVariant",
	summary: "Add a variant (one value per product option; SKU unique in the store)",
	tags: ["catalog"],
	params: ProductParams,
	body: CreateVariantInput,
	responses: { 201: { description: "The variant", schema: Variant } },
	problems: [...PROBLEMS, "conflict"],
});

const get = defineRoute({
	method: "get",
	path: `${BASE}/:variantId`,
	operationId: "getVariant",
	summary: "One variant with stock",
	tags: ["catalog"],
	params: VariantParams,
	responses: { 200: { description: "The variant", schema: Variant } },
	problems: [...PROBLEMS],
});

const update = defineRoute({
	method: "patch",
	path: `${BASE}/:variantId`,
	operationId: "updateVariant",
	summary: "Change a variant's SKU, title, price, compare-at price or weight",
	tags: ["catalog"],
	params: VariantParams,
	body: UpdateVariantInput,
	responses: { 200: { description: "The variant", schema: Variant } },
	problems: [...PROBLEMS, "conflict"],
});

const remove = defineRoute({
	method: "delete",
	path: `${BASE}/:variantId`,
	operationId: "deleteVariant",
	summary: "Delete a variant (not the last one, not while units are reserved)",
	tags: ["catalog"],
	params: VariantParams,
	responses: { 204: { description: "Deleted" } },
	problems: [...PROBLEMS, "conflict"],
});

export const variantRoutes = new Hono<GatewayEnv>()
	.get(list.path, storeRoute("store:read"), async (c) => {
		const { productId } = pathParams(c, list.params);
		return sendResult(c, await c.env.CATALOG.listVariants(storeAccessOf(c), productId, rpcContext(c)));
	})
	.post(create.path, storeRoute("catalog:manage"), async (c) => {
		const { productId } = pathParams(c, create.params);
		const input = await jsonBody(c, create.body);
		return sendResult(c, await c.env.CATALOG.addVariant(storeAccessOf(c), productId, input, rpcContext(c)), 201);
	})
	.get(get.path, storeRoute("store:read"), async (c) => {
		const { productId, variantId } = pathParams(c, get.params);
		return sendResult(c, await c.env.CATALOG.getVariant(storeAccessOf(c), productId, variantId, rpcContext(c)));
	})
	.patch(update.path, storeRoute("catalog:manage"), async (c) => {
		const { productId, variantId } = pathParams(c, update.params);
		const input = await jsonBody(c, update.body);
		return sendResult(c, await c.env.CATALOG.updateVariant(storeAccessOf(c), productId, variantId, input, rpcContext(c)));
	})
	.delete(remove.path, storeRoute("catalog:manage"), async (c) => {
		const { productId, variantId } = pathParams(c, remove.params);
		unwrap(await c.env.CATALOG.deleteVariant(storeAccessOf(c), productId, variantId, rpcContext(c)));
		return c.body(null, 204);
	});
