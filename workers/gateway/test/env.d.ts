// Bindings that exist only in the test run (see vitest.config.ts).
declare namespace Cloudflare {
	interface Env {
		DATABASE_URL: string;
		NEON_LOCAL_ENDPOINT?: string;
		/** A producer onto oja-events, for hand-made (duplicate, poison) messages. */
		TEST_EVENTS: Queue;
		/** A producer onto oja-email, to put several emails in one consumer batch. */
		TEST_EMAIL: Queue;
		/** The identity Worker's signing keys, so tests can mint tokens of every kind. */
		TEST_SIGNING_KEYS: string;
		/** The key sealing operators' TOTP seeds, so tests can provision operators like the CLI does. */
		TEST_OPERATOR_TOTP_KEY: string;
		/** The route fuzzer's seed and runs per operation; empty for its defaults. */
		FUZZ_SEED: string;
		FUZZ_RUNS: string;
		/** The DNS sandbox's admin endpoint (…/_admin), where tests publish TXT records. */
		TEST_DNS_ADMIN: string;
		/** The delivery sandbox's admin endpoint (list and advance courier tasks). */
		TEST_DELIVERY_ADMIN: string;
		/** The Paystack sandbox's admin API: press its hosted page's buttons, read the webhooks it signed. */
		TEST_PAYSTACK_ADMIN: string;
		/** The WhatsApp sandbox's admin API: numbers, windows, failures, and every message sent. */
		TEST_WHATSAPP_ADMIN: string;
		/** The webhook receiver standing in for merchants' endpoints (http://127.0.0.1:<port>), and its admin API. */
		TEST_WEBHOOK_RECEIVER_URL: string;
		TEST_WEBHOOK_RECEIVER_ADMIN: string;
		/** The Resend sandbox's admin API: every email sent, failures, bouncing addresses, webhooks. */
		TEST_RESEND_ADMIN: string;
		/** identity's LoginThrottle namespace, to read a window's counts (reserve/settle stay identity's). */
		TEST_LOGIN_THROTTLE: DurableObjectNamespace<import("../../identity/src/login-throttle.ts").LoginThrottle>;
	}
}
