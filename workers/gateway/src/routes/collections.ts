import {
	Collection,
	CollectionInput,
	CollectionList,
	CollectionListQuery,
	CollectionParams,
	StoreIdParam,
	UpdateCollectionInput,
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
	path: "/v1/stores/:storeId/collections",
	operationId: "createCollection",
	summary: "Create a manual collection (products in the order given)",
	tags: ["catalog"],
	params: StoreIdParam,
	body: CollectionInput,
	responses: { 201: { description: "The collection", schema: Collection } },
	problems: [...PROBLEMS, "conflict"],
});

const list = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/collections",
	operationId: "listCollections",
	summary: "Collections, newest first (cursor pagination)",
	tags: ["catalog"],
	params: StoreIdParam,
	query: CollectionListQuery,
	responses: { 200: { description: "A page of collections", schema: CollectionList } },
	problems: [...PROBLEMS],
});

const get = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/collections/:collectionId",
	operationId: "getCollection",
	summary: "One collection with its products in order",
	tags: ["catalog"],
	params: CollectionParams,
	responses: { 200: { description: "The collection", schema: Collection } },
	problems: [...PROBLEMS],
});

const update = defineRoute({
	method: "patch",
	path: "/v1/stores/:storeId/collections/:collectionId",
	operationId: "updateCollection",
	summary: "Change a collection; productIds replaces its products and their order",
	tags: ["catalog"],
	params: CollectionParams,
	body: UpdateCollectionInput,
	responses: { 200: { description: "The collection", schema: Collection } },
	problems: [...PROBLEMS, "conflict"],
});

const remove = defineRoute({
	method: "delete",
	path: "/v1/stores/:storeId/collections/:collectionId",
	operationId: "deleteCollection",
	summary: "Delete a collection (its products stay)",
	tags: ["catalog"],
	params: CollectionParams,
	responses: { 204: { description: "Deleted" } },
	problems: [...PROBLEMS],
});

export const collectionRoutes = new Hono<GatewayEnv>()
	.post(create.path, storeRoute("catalog:manage"), async (c) => {
		const input = await jsonBody(c, create.body);
		return sendResult(c, await c.env.CATALOG.createCollection(storeAccessOf(c), input, rpcContext(c)), 201);
	})
	.get(list.path, storeRoute("store:read"), async (c) =>
		sendResult(c, await c.env.CATALOG.listCollections(storeAccessOf(c), { ...c.req.query() }, rpcContext(c))),
	)
	.get(get.path, storeRoute("store:read"), async (c) => {
		const { collectionId } = pathParams(c, get.params);
		return sendResult(c, await c.env.CATALOG.getCollection(storeAccessOf(c), collectionId, rpcContext(c)));
	})
	.patch(update.path, storeRoute("catalog:manage"), async (c) => {
		const { collectionId } = pathParams(c, update.params);
		const input = await jsonBody(c, update.body);
		return sendResult(c, await c.env.CATALOG.updateCollection(storeAccessOf(c), collectionId, input, rpcContext(c)));
	})
	.delete(remove.path, storeRoute("catalog:manage"), async (c) => {
		const { collectionId } = pathParams(c, remove.params);
		unwrap(await c.env.CATALOG.deleteCollection(storeAccessOf(c), collectionId, rpcContext(c)));
		return c.body(null, 204);
	});
