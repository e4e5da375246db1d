// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface MessagingEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** AES-GCM key (32 bytes, base64) sealing stores' WhatsApp access tokens. */
	MESSAGING_SECRET_KEY: string;
	/** Resend's API key (sends oja-email). */
	RESEND_API_KEY: string;
}
