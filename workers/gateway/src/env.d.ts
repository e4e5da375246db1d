// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface GatewayBindings {
	DATABASE_URL: string;
	/** Local dev and tests only: the @oja/neon-local /sql endpoint. */
	NEON_LOCAL_ENDPOINT?: string;
	/** The courier's callback signing secret (x-kwik-signature); see routes/delivery-webhooks.ts. */
	DELIVERY_WEBHOOK_SECRET: string;
	/** Paystack's secret key: its webhooks are signed with it (routes/paystack-webhooks.ts). */
	PAYSTACK_SECRET_KEY?: string;
	/** Meta app secret: WhatsApp webhooks are signed with it (routes/whatsapp-webhooks.ts). */
	WHATSAPP_APP_SECRET?: string;
	/** The token Meta echoes in its webhook subscription handshake (GET /webhooks/whatsapp). */
	WHATSAPP_VERIFY_TOKEN?: string;
	/** The `whsec_…` signing secret of Resend's webhook endpoint (routes/resend-webhooks.ts). */
	RESEND_WEBHOOK_SECRET?: string;
}
