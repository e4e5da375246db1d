/** What the storefront's handlers can read from `c.var`. */
export interface StorefrontVariables {
	requestId: string;
	/** Set by pages that resolve a store, so the request log line carries it. */
	storeId?: string;
}

export interface StorefrontEnv {
	Bindings: StorefrontBindings;
	Variables: StorefrontVariables;
}
