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
import { z } from "zod";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

// Store-scoped routes. `storeRoute(permission)` has already authenticated the caller,
// resolved their role in the store named by the path and checked the permission; handlers
// pass that StoreAccess on, so domain code never sees a client-chosen store id.

const STORE_PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const storeRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId",
			operationId: "getStore",
			summary: "A store the caller belongs to",
			tags: ["stores"],
			params: StoreIdParam,
			responses: { 200: { description: "The store and the caller's role", schema: StoreDetails } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("store:read")],
		async (c) => sendResult(c, await c.env.IDENTITY.getStore(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "patch",
			path: "/v1/stores/:storeId",
			operationId: "updateStore",
			summary: "Rename a store (owner, admin)",
			tags: ["stores"],
			params: StoreIdParam,
			body: UpdateStoreInput,
			responses: { 200: { description: "The updated store", schema: StoreDetails } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("store:update")],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.updateStore(storeAccessOf(c), body, rpcContext(c)));
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/members",
			operationId: "listMembers",
			summary: "The store's team",
			tags: ["team"],
			params: StoreIdParam,
			responses: { 200: { description: "Members", schema: z.object({ members: z.array(Member) }) } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("team:read")],
		async (c) => {
			return c.json({ members: unwrap(await c.env.IDENTITY.listMembers(storeAccessOf(c), rpcContext(c))) }, 200);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/members",
			operationId: "addMember",
			summary: "Add an existing Oja user to the team (owner, admin; only roles below your own)",
			tags: ["team"],
			params: StoreIdParam,
			body: AddMemberInput,
			responses: { 201: { description: "The new member", schema: Member } },
			problems: [...STORE_PROBLEMS, "conflict"],
		},
		[storeRoute("team:manage")],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.addMember(storeAccessOf(c), body, rpcContext(c)), 201);
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/members/:userId",
			operationId: "removeMember",
			summary: "Remove a member (owner, admin; only roles below your own)",
			tags: ["team"],
			params: MemberParams,
			responses: { 204: { description: "Removed" } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("team:manage")],
		async (c, { params }) => {
			const { userId } = params;
			unwrap(await c.env.IDENTITY.removeMember(storeAccessOf(c), userId, rpcContext(c)));
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/api-keys",
			operationId: "createApiKey",
			summary: "Create an API key (owner, admin); the key is shown once",
			tags: ["api keys"],
			params: StoreIdParam,
			body: CreateApiKeyInput,
			responses: { 201: { description: "The key, shown only in this response", schema: CreatedApiKey } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("api_keys:manage")],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.createApiKey(storeAccessOf(c), body, rpcContext(c)), 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/api-keys",
			operationId: "listApiKeys",
			summary: "The store's active API keys, without their secrets (owner, admin)",
			tags: ["api keys"],
			params: StoreIdParam,
			responses: { 200: { description: "Keys", schema: z.object({ apiKeys: z.array(ApiKeyInfo) }) } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("api_keys:manage")],
		async (c) => {
			return c.json({ apiKeys: unwrap(await c.env.IDENTITY.listApiKeys(storeAccessOf(c), rpcContext(c))) }, 200);
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/api-keys/:keyId",
			operationId: "revokeApiKey",
			summary: "Revoke an API key (owner, admin)",
			tags: ["api keys"],
			params: ApiKeyParams,
			responses: { 204: { description: "Revoked" } },
			problems: [...STORE_PROBLEMS],
		},
		[storeRoute("api_keys:manage")],
		async (c, { params }) => {
			const { keyId } = params;
			unwrap(await c.env.IDENTITY.revokeApiKey(storeAccessOf(c), keyId, rpcContext(c)));
			return c.body(null, 204);
		},
	).app;
