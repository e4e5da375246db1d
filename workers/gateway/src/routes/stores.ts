import {
	AddMemberInput,
	ApiKeyInfo,
	ApiKeyParams,
	CreateApiKeyInput,
	CreatedApiKey,
	Member,
	MemberParams,
	StoreDetails,
	StoreIdParam,
	UpdateStoreInput,
} from "@oja/contracts";
import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { storeRoute } from "../middleware/store-access.ts";
import { defineRoute } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { jsonBody, pathParams, sendResult, unwrap } from "../validate.ts";

// Store-scoped routes. `storeRoute(permission)` has already authenticated the caller,
// resolved their role in the store named by the path and checked the permission; handlers
// pass that StoreAccess on, so domain code never sees a client-chosen store id.

const STORE_PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

const getStore = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId",
	operationId: "getStore",
	summary: "A store the caller belongs to",
	tags: ["stores"],
	params: StoreIdParam,
	responses: { 200: { description: "The store and the caller's role", schema: StoreDetails } },
	problems: [...STORE_PROBLEMS],
});

const updateStore = defineRoute({
	method: "patch",
	path: "/v1/stores/:storeId",
	operationId: "updateStore",
	summary: "Rename a store (owner, admin)",
	tags: ["stores"],
	params: StoreIdParam,
	body: UpdateStoreInput,
	responses: { 200: { description: "The updated store", schema: StoreDetails } },
	problems: [...STORE_PROBLEMS],
});

const listMembers = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/members",
	operationId: "listMembers",
	summary: "The store's team",
	tags: ["team"],
	params: StoreIdParam,
	responses: { 200: { description: "Members", schema: z.object({ members: z.array(Member) }) } },
	problems: [...STORE_PROBLEMS],
});

const addMember = defineRoute({
	method: "post",
	path: "/v1/stores/:storeId/members",
	operationId: "addMember",
	summary: "Add an existing Oja user to the team (owner, admin; only roles below your own)",
	tags: ["team"],
	params: StoreIdParam,
	body: AddMemberInput,
	responses: { 201: { description: "The new member", schema: Member } },
	problems: [...STORE_PROBLEMS, "conflict"],
});

const removeMember = defineRoute({
	method: "delete",
	path: "/v1/stores/:storeId/members/:userId",
	operationId: "removeMember",
	summary: "Remove a member (owner, admin; only roles below your own)",
	tags: ["team"],
	params: MemberParams,
	responses: { 204: { description: "Removed" } },
	problems: [...STORE_PROBLEMS],
});

const createApiKey = defineRoute({
	method: "post",
	path: "/v1/stores/:storeId/api-keys",
	operationId: "createApiKey",
	summary: "Create an API key (owner, admin); the key is shown once",
	tags: ["api keys"],
	params: StoreIdParam,
	body: CreateApiKeyInput,
	responses: { 201: { description: "The key, shown only in this response", schema: CreatedApiKey } },
	problems: [...STORE_PROBLEMS],
});

const listApiKeys = defineRoute({
	method: "get",
	path: "/v1/stores/:storeId/api-keys",
	operationId: "listApiKeys",
	summary: "The store's active API keys, without their secrets (owner, admin)",
	tags: ["api keys"],
	params: StoreIdParam,
	responses: { 200: { description: "Keys", schema: z.object({ apiKeys: z.array(ApiKeyInfo) }) } },
	problems: [...STORE_PROBLEMS],
});

const revokeApiKey = defineRoute({
	method: "delete",
	path: "/v1/stores/:storeId/api-keys/:keyId",
	operationId: "revokeApiKey",
	summary: "Revoke an API key (owner, admin)",
	tags: ["api keys"],
	params: ApiKeyParams,
	responses: { 204: { description: "Revoked" } },
	problems: [...STORE_PROBLEMS],
});

export const storeRoutes = new Hono<GatewayEnv>()
	.get(getStore.path, storeRoute("store:read"), async (c) =>
		sendResult(c, await c.env.IDENTITY.getStore(storeAccessOf(c), rpcContext(c))),
	)
	.patch(updateStore.path, storeRoute("store:update"), async (c) => {
		const input = await jsonBody(c, updateStore.body);
		return sendResult(c, await c.env.IDENTITY.updateStore(storeAccessOf(c), input, rpcContext(c)));
	})
	.get(listMembers.path, storeRoute("team:read"), async (c) => {
		return c.json({ members: unwrap(await c.env.IDENTITY.listMembers(storeAccessOf(c), rpcContext(c))) }, 200);
	})
	.post(addMember.path, storeRoute("team:manage"), async (c) => {
		const input = await jsonBody(c, addMember.body);
		return sendResult(c, await c.env.IDENTITY.addMember(storeAccessOf(c), input, rpcContext(c)), 201);
	})
	.delete(removeMember.path, storeRoute("team:manage"), async (c) => {
		const { userId } = pathParams(c, removeMember.params);
		unwrap(await c.env.IDENTITY.removeMember(storeAccessOf(c), userId, rpcContext(c)));
		return c.body(null, 204);
	})
	.post(createApiKey.path, storeRoute("api_keys:manage"), async (c) => {
		const input = await jsonBody(c, createApiKey.body);
		return sendResult(c, await c.env.IDENTITY.createApiKey(storeAccessOf(c), input, rpcContext(c)), 201);
	})
	.get(listApiKeys.path, storeRoute("api_keys:manage"), async (c) => {
		return c.json({ apiKeys: unwrap(await c.env.IDENTITY.listApiKeys(storeAccessOf(c), rpcContext(c))) }, 200);
	})
	.delete(revokeApiKey.path, storeRoute("api_keys:manage"), async (c) => {
		const { keyId } = pathParams(c, revokeApiKey.params);
		unwrap(await c.env.IDENTITY.revokeApiKey(storeAccessOf(c), keyId, rpcContext(c)));
		return c.body(null, 204);
	});
