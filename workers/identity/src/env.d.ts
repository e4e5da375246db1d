// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface IdentityEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** `{"keys":[privateJwk, …]}`: the first signs access tokens, all verify. */
	AUTH_SIGNING_KEYS: string;
	/** base64 AES-256 key sealing operators' TOTP seeds (the CLI uses the same key). */
	OPERATOR_TOTP_KEY: string;
}
