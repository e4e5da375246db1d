// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface MessagingEnv {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** AES-GCM key (32 bytes, base64) sealing stores' WhatsApp access tokens and webhook signing secrets. */
	MESSAGING_SECRET_KEY: string;
	/**
	 * Optional: a Workers AI binding (`[ai] binding = "AI"`) and the model the assistant's
	 * classifier asks (e.g. "@cf/meta/llama-3.1-8b-instruct"). Both absent by default.
	 */
	AI?: import("@oja/assistant").AiBinding;
	ASSISTANT_AI_MODEL?: string;
	/** Resend's API key (sends oja-email). */
	RESEND_API_KEY: string;
}
