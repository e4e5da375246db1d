import { SignupInput, SignupResult } from "@oja/contracts";
import { Hono } from "hono";
import type { GatewayEnv } from "../app-env.ts";
import { defineRoute } from "../openapi/registry.ts";
import { jsonBody, sendResult } from "../validate.ts";

const signup = defineRoute({
	method: "post",
	path: "/v1/auth/signup",
	operationId: "signup",
	summary: "Create a merchant account and their store",
	description:
		"Creates the user, the store and the owner membership in one transaction. The email and the store slug must be unused.",
	tags: ["auth"],
	body: SignupInput,
	responses: { 201: { description: "Account and store created", schema: SignupResult } },
	problems: ["conflict"],
});

export const authRoutes = new Hono<GatewayEnv>().post(signup.path, async (c) => {
	const input = await jsonBody(c, signup.body);
	const result = await c.env.IDENTITY.signup(input, { requestId: c.get("requestId") });
	if (result.ok) c.set("storeId", result.value.store.id);
	return sendResult(c, result, 201);
});
