// Bindings that exist only in the test run (see vitest.config.ts): the ones @oja/test-helpers
// reads (the gateway's test/env.d.ts has the full list).
declare namespace Cloudflare {
	interface Env {
		DATABASE_URL: string;
		NEON_LOCAL_ENDPOINT?: string;
		/** The key sealing operators' TOTP seeds, so tests can provision operators like the CLI does. */
		TEST_OPERATOR_TOTP_KEY: string;
		/** The DNS sandbox's admin endpoint (…/_admin), where tests publish TXT records. */
		TEST_DNS_ADMIN: string;
	}
}
