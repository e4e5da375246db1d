import type { Hono } from "hono";

/** What the gateway's handlers can read from `c.var`. */
export interface GatewayVariables {
	requestId: string;
	/** Set by routes that resolve a store, so the request log line carries it. */
	storeId?: string;
}

export interface GatewayEnv {
	Bindings: GatewayBindings;
	Variables: GatewayVariables;
}

export type GatewayApp = Hono<GatewayEnv>;
