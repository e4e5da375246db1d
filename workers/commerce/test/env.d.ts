// Bindings that exist only in the test run (see vitest.config.ts).
declare namespace Cloudflare {
	interface Env {
		DATABASE_URL: string;
		NEON_LOCAL_ENDPOINT?: string;
		/** A producer onto oja-order-events, for hand-made order events. */
		TEST_ORDER_EVENTS: Queue;
		/** The gateway's binding to ops (the test's main Worker is the gateway): the outbox relay. */
		OPS: { relayOutbox(): Promise<{ published: number }> };
		TEST_OPERATOR_TOTP_KEY: string;
		TEST_DNS_ADMIN: string;
	}
}
