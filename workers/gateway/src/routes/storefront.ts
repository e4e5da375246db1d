import { PublicStore, slug } from "@oja/contracts";
import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { defineRoute } from "../openapi/registry.ts";
import { pathParams, sendResult } from "../validate.ts";

const storeBySlug = defineRoute({
	method: "get",
	path: "/v1/storefront/:slug",
	operationId: "storefrontStore",
	summary: "A store's public profile",
	tags: ["storefront"],
	params: z.object({ slug }),
	responses: { 200: { description: "The store", schema: PublicStore } },
	problems: ["not-found"],
});

export const storefrontRoutes = new Hono<GatewayEnv>().get(storeBySlug.path, async (c) => {
	const { slug: storeSlug } = pathParams(c, storeBySlug.params);
	const result = await c.env.IDENTITY.storeBySlug(storeSlug, { requestId: c.get("requestId") });
	if (result.ok) c.set("storeId", result.value.id);
	return sendResult(c, result);
});
