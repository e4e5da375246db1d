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
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const catalogRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/products",
			operationId: "createProduct",
			summary: "Create a product with its options, variants and opening stock",
			tags: ["catalog"],
			params: StoreIdParam,
			body: CreateProductInput,
			responses: { 201: { description: "The product", schema: Product } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { body }) => sendResult(c, await c.env.CATALOG.createProduct(storeAccessOf(c), body, rpcContext(c)), 201),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/products",
			operationId: "listProducts",
			summary: "Products, newest first (cursor pagination; filter by status or title text)",
			tags: ["catalog"],
			params: StoreIdParam,
			query: ProductListQuery,
			responses: { 200: { description: "A page of products", schema: ProductList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { query }) => sendResult(c, await c.env.CATALOG.listProducts(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/products/:productId",
			operationId: "getProduct",
			summary: "One product with variants and stock",
			tags: ["catalog"],
			params: ProductParams,
			responses: { 200: { description: "The product", schema: Product } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { params }) => sendResult(c, await c.env.CATALOG.getProduct(storeAccessOf(c), params.productId, rpcContext(c))),
	)
	.declare(
		{
			method: "patch",
			path: "/v1/stores/:storeId/products/:productId",
			operationId: "updateProduct",
			summary: "Change a product's title, handle, description, status, tags or images",
			tags: ["catalog"],
			params: ProductParams,
			body: UpdateProductInput,
			responses: { 200: { description: "The product", schema: Product } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.CATALOG.updateProduct(storeAccessOf(c), params.productId, body, rpcContext(c))),
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/products/:productId",
			operationId: "deleteProduct",
			summary: "Delete a product and its variants",
			tags: ["catalog"],
			params: ProductParams,
			responses: { 204: { description: "Deleted" } },
			problems: [...PROBLEMS],
		},
		[storeRoute("catalog:manage")],
		async (c, { params }) => {
			unwrap(await c.env.CATALOG.deleteProduct(storeAccessOf(c), params.productId, rpcContext(c)));
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "put",
			path: "/v1/stores/:storeId/inventory/:variantId",
			operationId: "setInventory",
			summary: "Set a variant's on-hand count (never below what is reserved)",
			tags: ["catalog"],
			params: InventoryParams,
			body: SetInventoryInput,
			responses: { 200: { description: "The new level", schema: InventoryLevel } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.CATALOG.setInventory(storeAccessOf(c), params.variantId, body, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/inventory/:variantId/adjustments",
			operationId: "adjustInventory",
			summary: "Move a variant's stock by a delta, with a reason (kept in the history)",
			tags: ["catalog"],
			params: InventoryParams,
			body: AdjustInventoryInput,
			responses: { 201: { description: "The new level", schema: InventoryLevel } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.CATALOG.adjustInventory(storeAccessOf(c), params.variantId, body, rpcContext(c)), 201),
	).app;
