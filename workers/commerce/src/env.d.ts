// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface CommerceEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** Key that order tokens are derived from (HMAC), base64 or any long random string. */
	ORDER_TOKEN_SECRET: string;
	/** The courier API's base URL (Kwik-style; the delivery sandbox locally and in tests). */
	DELIVERY_API_URL: string;
	DELIVERY_API_KEY: string;
}
