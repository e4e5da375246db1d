import {
	Collection,
	CollectionInput,
	CollectionList,
	CollectionListQuery,
	CollectionParams,
	StoreIdParam,
	UpdateCollectionInput,
} from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const collectionRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/collections",
			operationId: "createCollection",
			summary: "Create a manual collection (products in the order given)",
			tags: ["catalog"],
			params: StoreIdParam,
			body: CollectionInput,
			responses: { 201: { description: "The collection", schema: Collection } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { body }) => {
			return sendResult(c, await c.env.CATALOG.createCollection(storeAccessOf(c), body, rpcContext(c)), 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/collections",
			operationId: "listCollections",
			summary: "Collections, newest first (cursor pagination)",
			tags: ["catalog"],
			params: StoreIdParam,
			query: CollectionListQuery,
			responses: { 200: { description: "A page of collections", schema: CollectionList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { query }) => sendResult(c, await c.env.CATALOG.listCollections(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/collections/:collectionId",
			operationId: "getCollection",
			summary: "One collection with its products in order",
			tags: ["catalog"],
			params: CollectionParams,
			responses: { 200: { description: "The collection", schema: Collection } },
			problems: [...PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c, { params }) => {
			const { collectionId } = params;
			return sendResult(c, await c.env.CATALOG.getCollection(storeAccessOf(c), collectionId, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "patch",
			path: "/v1/stores/:storeId/collections/:collectionId",
			operationId: "updateCollection",
			summary: "Change a collection; productIds replaces its products and their order",
			tags: ["catalog"],
			params: CollectionParams,
			body: UpdateCollectionInput,
			responses: { 200: { description: "The collection", schema: Collection } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("catalog:manage")],
		async (c, { params, body }) => {
			const { collectionId } = params;
			return sendResult(c, await c.env.CATALOG.updateCollection(storeAccessOf(c), collectionId, body, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/collections/:collectionId",
			operationId: "deleteCollection",
			summary: "Delete a collection (its products stay)",
			tags: ["catalog"],
			params: CollectionParams,
			responses: { 204: { description: "Deleted" } },
			problems: [...PROBLEMS],
		},
		[storeRoute("catalog:manage")],
		async (c, { params }) => {
			const { collectionId } = params;
			unwrap(await c.env.CATALOG.deleteCollection(storeAccessOf(c), collectionId, rpcContext(c)));
			return c.body(null, 204);
		},
	).app;
