import type { Operator, Principal, StoreAccess } from "@oja/contracts";
import type { Hono } from "hono";

/** What the gateway's handlers can read from `c.var`. */
export interface GatewayVariables {
	requestId: string;
	/** Set by routes that resolve a store, so the request log line carries it. */
	storeId?: string;
	/** Set by `requireAuth` from a verified access token; never from a client header. */
	principal?: Principal;
	/** Set by `storeRoute`: the store from the path and the caller's verified role in it. */
	storeAccess?: StoreAccess;
	/** Set by `opsRoute`: the enabled operator behind an ops token. */
	operator?: Operator;
}

export interface GatewayEnv {
	Bindings: GatewayBindings;
	Variables: GatewayVariables;
}

export type GatewayApp = Hono<GatewayEnv>;
