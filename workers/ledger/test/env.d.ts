// Bindings that exist only in the test run (see vitest.config.ts) and that these tests read.
declare namespace Cloudflare {
	interface Env {
		DATABASE_URL: string;
		NEON_LOCAL_ENDPOINT?: string;
		/** Read by @oja/test-helpers (operators, DNS records); unused here. */
		TEST_OPERATOR_TOTP_KEY: string;
		TEST_DNS_ADMIN: string;
		/** The gateway's binding to the ledger (the test's main Worker is the gateway). */
		LEDGER: {
			settle(requestId?: string | null): Promise<{ settled: number; failedStores: number }>;
			verify(): Promise<{
				ok: boolean;
				discrepancies: unknown[];
				trialBalance: { currency: string; sumMinor: string }[];
			}>;
		};
	}
}
