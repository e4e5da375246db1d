// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface LedgerEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
}
