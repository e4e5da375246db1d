import type { RequestContext, StoreAccess } from "@oja/contracts";
import type { Context } from "hono";
import type { GatewayEnv } from "./app-env.ts";

/** The context every domain RPC gets: the request id and the principal the gateway verified. */
export function rpcContext(c: Context<GatewayEnv>): RequestContext {
	return { requestId: c.get("requestId"), principal: c.get("principal") };
}

/** The StoreAccess `storeRoute` resolved; only call from handlers mounted behind it. */
export function storeAccessOf(c: Context<GatewayEnv>): StoreAccess {
	const access = c.get("storeAccess");
	if (!access) throw new Error("storeAccessOf used on a route without storeRoute()");
	return access;
}
