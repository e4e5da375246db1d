import {
	AdjustInventoryInput,
	CreateProductInput,
	InventoryLevel,
	InventoryParams,
	Product,
	ProductList,
	ProductListQuery,
	ProductParams,
	SetInventoryInput,
	StoreIdParam,
	UpdateProductInput,
} from "@oja/contracts";
import { Hono } from "hono";
import type { GatewayEnv } from "../app-env.ts";
import { storeRoute } from "../middleware/store-access.ts";
import { defineRoute } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { jsonBody, pathParams, sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

const create = defineRoute({
	method: "post",
	path: "/v1/stores/:storeId/products",
	operationId: "createProduct",
	summary: "Create a product with its options, variants and opening stock",
	tags: ["catalog"],
	params: StoreIdParam,
	body: CreateProductInput,
	responses: { 201: { description: "The product", schema: Product } },
	problems: [...PROBLEMS, "conflict"],
});

const list = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/products",
	operationId: "listProducts",
	summary: "Products, newest first (cursor pagination; filter by status or title text)",
	tags: ["catalog"],
	params: StoreIdParam,
	query: ProductListQuery,
	responses: { 200: { description: "A page of products", schema: ProductList } },
	problems: [...PROBLEMS],
});

const get = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/products/:productId",
	operationId: "getProduct",
	summary: "One product with variants and stock",
	tags: ["catalog"],
	params: ProductParams,
	responses: { 200: { description: "The product", schema: Product } },
	problems: [...PROBLEMS],
});

const update = defineRoute({
	method: "patch",
	path: "/v1/stores/:storeId/products/:productId",
	operationId: "updateProduct",
	summary: "Change a product's title, handle, description, status, tags or images",
	tags: ["catalog"],
	params: ProductParams,
	body: UpdateProductInput,
	responses: { 200: { description: "The product", schema: Product } },
	problems: [...PROBLEMS, "conflict"],
});

const remove = defineRoute({
	method: "delete",
	path: "/v1/stores/:storeId/products/:productId",
	operationId: "deleteProduct",
	summary: "Delete a product and its variants",
	tags: ["catalog"],
	params: ProductParams,
	responses: { 204: { description: "Deleted" } },
	problems: [...PROBLEMS],
});

const setStock = defineRoute({
	method: "put",
	path: "/v1/stores/:storeId/inventory/:variantId",
	operationId: "setInventory",
	summary: "Set a variant's on-hand count (never below what is reserved)",
	tags: ["catalog"],
	params: InventoryParams,
	body: SetInventoryInput,
	responses: { 200: { description: "The new level", schema: InventoryLevel } },
	problems: [...PROBLEMS, "conflict"],
});

const adjustStock = defineRoute({
	method: "post",
	path: "/v1/stores/:storeId/inventory/:variantId/adjustments",
	operationId: "adjustInventory",
	summary: "Move a variant's stock by a delta, with a reason (kept in the history)",
	tags: ["catalog"],
	params: InventoryParams,
	body: AdjustInventoryInput,
	responses: { 201: { description: "The new level", schema: InventoryLevel } },
	problems: [...PROBLEMS, "conflict"],
});

export const catalogRoutes = new Hono<GatewayEnv>()
	.post(create.path, storeRoute("catalog:manage"), async (c) => {
		const input = await jsonBody(c, create.body);
		return sendResult(c, await c.env.CATALOG.createProduct(storeAccessOf(c), input, rpcContext(c)), 201);
	})
	.get(list.path, storeRoute("store:read"), async (c) =>
		sendResult(c, await c.env.CATALOG.listProducts(storeAccessOf(c), { ...c.req.query() }, rpcContext(c))),
	)
	.get(get.path, storeRoute("store:read"), async (c) => {
		const { productId } = pathParams(c, get.params);
		return sendResult(c, await c.env.CATALOG.getProduct(storeAccessOf(c), productId, rpcContext(c)));
	})
	.patch(update.path, storeRoute("catalog:manage"), async (c) => {
		const { productId } = pathParams(c, update.params);
		const input = await jsonBody(c, update.body);
		return sendResult(c, await c.env.CATALOG.updateProduct(storeAccessOf(c), productId, input, rpcContext(c)));
	})
	.delete(remove.path, storeRoute("catalog:manage"), async (c) => {
		const { productId } = pathParams(c, remove.params);
		unwrap(await c.env.CATALOG.deleteProduct(storeAccessOf(c), productId, rpcContext(c)));
		return c.body(null, 204);
	})
	.put(setStock.path, storeRoute("catalog:manage"), async (c) => {
		const { variantId } = pathParams(c, setStock.params);
		const input = await jsonBody(c, setStock.body);
		return sendResult(c, await c.env.CATALOG.setInventory(storeAccessOf(c), variantId, input, rpcContext(c)));
	})
	.post(adjustStock.path, storeRoute("catalog:manage"), async (c) => {
		const { variantId } = pathParams(c, adjustStock.params);
		const input = await jsonBody(c, adjustStock.body);
		return sendResult(c, await c.env.CATALOG.adjustInventory(storeAccessOf(c), variantId, input, rpcContext(c)), 201);
	});
