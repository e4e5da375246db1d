// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface PaymentsEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** Paystack's secret key (the sandbox's locally): API calls and, in the gateway, webhook signatures. */
	PAYSTACK_SECRET_KEY: string;
}
