// Bindings that exist only in the test run (see vitest.config.ts): the ones these tests and
// @oja/test-helpers read (the gateway's test/env.d.ts has the full list).
declare namespace Cloudflare {
	interface Env {
		DATABASE_URL: string;
		NEON_LOCAL_ENDPOINT?: string;
		/** A producer onto oja-order-events, for hand-made order events. */
		TEST_ORDER_EVENTS: Queue;
		/** The gateway's binding to ops (the test's main Worker is the gateway): the outbox relay. */
		OPS: { relayOutbox(): Promise<{ published: number }> };
		/** The key sealing operators' TOTP seeds, so tests can provision operators like the CLI does. */
		TEST_OPERATOR_TOTP_KEY: string;
		/** The DNS sandbox's admin endpoint (…/_admin), where tests publish TXT records. */
		TEST_DNS_ADMIN: string;
		/** The delivery sandbox's admin endpoint: tests list and advance courier tasks there. */
		TEST_DELIVERY_ADMIN: string;
		/** The gateway's copy of the courier's callback signing secret, so tests can sign callbacks. */
		DELIVERY_WEBHOOK_SECRET: string;
	}
}
