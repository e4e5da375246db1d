import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { BUILD_DIR } from "./scripts/build-workers.ts";
import { changesSharedSandbox, databaseFor, integrationFiles, PARALLEL_FILES, UNIT_GLOB } from "./scripts/test-projects.ts";
import { DOMAIN_WORKERS } from "./scripts/workers.ts";

// `npm test` (scripts/test.ts) starts neon-local, migrates a template database, clones one
// database per integration file from it, builds the domain Workers, then runs Vitest.
const endpoint = process.env.OJA_TEST_NEON_ENDPOINT;
if (!endpoint) {
	console.warn("vitest: no local database endpoint, so only the unit project runs. `npm test` runs everything.");
}

type PoolOptions = Exclude<Parameters<typeof cloudflareTest>[0], (...args: never[]) => unknown>;
type AuxiliaryWorker = NonNullable<NonNullable<PoolOptions["miniflare"]>["workers"]>[number];

// Per-file binding overrides for tests that need a broken dependency.
const OVERRIDES: Record<string, Record<string, string>> = {
	// Nothing listens on port 9 (discard): the database is unreachable.
	"health-database-down.test.ts": { NEON_LOCAL_ENDPOINT: "http://127.0.0.1:9/sql" },
	// Carts are abandoned after two idle seconds instead of seven days.
	"cart-abandonment.test.ts": { CART_IDLE_SECONDS: "2" },
	"whatsapp-reminders.test.ts": { CART_IDLE_SECONDS: "2" },
};

const signingKeys = process.env.OJA_TEST_SIGNING_KEYS ?? "";
const totpKey = process.env.OJA_TEST_TOTP_KEY ?? "";
// Any fixed key will do for order tokens in tests (each file has its own database).
const orderTokenSecret = "test-order-token-secret-0123456789abcdef";
// The DNS sandbox scripts/test.ts started: identity resolves through it, tests set records.
const dnsUrl = process.env.OJA_TEST_DNS_URL ?? "";
const dnsAdmin = process.env.OJA_TEST_DNS_ADMIN ?? "";
// The delivery sandbox scripts/test.ts started: commerce books couriers through it; tests
// advance its tasks and POST the signed callbacks to the gateway themselves.
const deliveryUrl = process.env.OJA_TEST_DELIVERY_URL ?? "";
const deliveryAdmin = process.env.OJA_TEST_DELIVERY_ADMIN ?? "";
const deliveryWebhookSecret = process.env.OJA_TEST_DELIVERY_WEBHOOK_SECRET ?? "";
// The Paystack sandbox scripts/test.ts started: payments initialises and verifies through it;
// tests press its hosted page's buttons and POST the signed webhooks to the gateway themselves.
const paystackUrl = process.env.OJA_TEST_PAYSTACK_URL ?? "";
const paystackAdmin = process.env.OJA_TEST_PAYSTACK_ADMIN ?? "";
const paystackSecret = process.env.OJA_TEST_PAYSTACK_SECRET ?? "";
// The WhatsApp sandbox: messaging sends through its Graph API; tests register numbers, read what
// was sent and POST the signed webhooks (its app secret) to the gateway themselves.
const whatsappUrl = process.env.OJA_TEST_WHATSAPP_URL ?? "";
const whatsappAdmin = process.env.OJA_TEST_WHATSAPP_ADMIN ?? "";
const whatsappAppSecret = process.env.OJA_TEST_WHATSAPP_APP_SECRET ?? "";
const messagingKey = process.env.OJA_TEST_MESSAGING_KEY ?? "";
// Merchants' webhook endpoint (a recorder on loopback). Loopback is refused as a webhook target
// except for exactly this host:port, through the messaging Worker's test-only WEBHOOK_ALLOWED_HOSTS.
const receiverUrl = process.env.OJA_TEST_WEBHOOK_RECEIVER_URL ?? "";
const receiverHost = process.env.OJA_TEST_WEBHOOK_RECEIVER_HOST ?? "";
const receiverAdmin = process.env.OJA_TEST_WEBHOOK_RECEIVER_ADMIN ?? "";
// The Resend sandbox: messaging sends email through it; tests read what was sent and POST its
// Svix-signed bounce webhooks to the gateway themselves.
const resendUrl = process.env.OJA_TEST_RESEND_URL ?? "";
const resendAdmin = process.env.OJA_TEST_RESEND_ADMIN ?? "";
const resendApiKey = process.env.OJA_TEST_RESEND_API_KEY ?? "";
const resendWebhookSecret = process.env.OJA_TEST_RESEND_WEBHOOK_SECRET ?? "";

// Integration tests make many requests from one "client", so rate limits are raised in
// every file except the one that tests them (which gets the real limits from wrangler.toml).
const RELAXED_RATE_LIMITS = Object.fromEntries(
	(
		[
			["PUBLIC_RATE_LIMITER", "1001"],
			["AUTH_RATE_LIMITER", "1002"],
			["API_KEY_RATE_LIMITER", "1003"],
			["CREDENTIAL_FAILURE_RATE_LIMITER", "1004"],
		] as const
	).map(([name, namespace_id]) => [name, { namespace_id, simple: { limit: 1_000_000, period: 60 as const } }]),
);
const REAL_RATE_LIMITS_IN = "rate-limits.test.ts";

function databaseBindings(file: string): Record<string, string> {
	const base = file.split("/").pop() ?? file;
	return {
		DATABASE_URL: `postgres://oja:oja@neon-local.test/${databaseFor(file)}`,
		NEON_LOCAL_ENDPOINT: endpoint as string,
		...OVERRIDES[base],
	};
}

/** The domain Workers as prebuilt bundles, configured from their own wrangler.toml. */
function auxiliaryWorkers(file: string): AuxiliaryWorker[] {
	return DOMAIN_WORKERS.map((worker) => {
		// Typed loosely by wrangler; the fields used below are Miniflare worker options.
		const { workerOptions } = unstable_getMiniflareWorkerOptions(worker.config) as unknown as {
			workerOptions: AuxiliaryWorker & { bindings?: Record<string, string> };
		};
		return {
			name: worker.name,
			modules: true,
			scriptPath: `${BUILD_DIR}/${worker.dir}/index.js`,
			compatibilityDate: workerOptions.compatibilityDate,
			compatibilityFlags: workerOptions.compatibilityFlags,
			bindings: {
				...workerOptions.bindings,
				...databaseBindings(file),
				...(worker.dir === "identity"
					? {
							AUTH_SIGNING_KEYS: signingKeys,
							OPERATOR_TOTP_KEY: totpKey,
							DNS_RESOLVER_URL: dnsUrl,
							// Every verified domain is due at each re-check a test runs.
							DOMAIN_RECHECK_SECONDS: "0",
							PUBLIC_BASE_URL: "http://127.0.0.1:8787",
						}
					: {}),
				...(worker.dir === "commerce"
					? {
							ORDER_TOKEN_SECRET: orderTokenSecret,
							DELIVERY_API_URL: deliveryUrl,
							DELIVERY_API_KEY: "kwik_sandbox_key",
							DELIVERY_WEBHOOK_SECRET: deliveryWebhookSecret,
							// Nothing listens on port 9: the sandbox's own callbacks fail, tests replay them.
							DELIVERY_CALLBACK_URL: "http://127.0.0.1:9/webhooks/delivery",
						}
					: {}),
				...(worker.dir === "payments" ? { PAYSTACK_API_URL: paystackUrl, PAYSTACK_SECRET_KEY: paystackSecret } : {}),
				...(worker.dir === "messaging"
					? {
							MESSAGING_SECRET_KEY: messagingKey,
							WHATSAPP_GRAPH_URL: whatsappUrl,
							// Where checkout links from a chat send the shopper back.
							PUBLIC_BASE_URL: "http://127.0.0.1:8787",
							// Webhooks: http allowed, the receiver's loopback host:port exempt, hosts resolved
							// through the DNS sandbox, retries at once (the schedule is unit-tested).
							ALLOW_HTTP_WEBHOOKS: "true",
							WEBHOOK_ALLOWED_HOSTS: receiverHost,
							DNS_RESOLVER_URL: dnsUrl,
							WEBHOOK_RETRY_SCALE: "0",
							RESEND_API_URL: resendUrl,
							RESEND_API_KEY: resendApiKey,
						}
					: {}),
				// Every sale is due for settlement as soon as it is posted.
				...(worker.dir === "ledger" ? { SETTLEMENT_DELAY_SECONDS: "0" } : {}),
				// Retries happen at once in tests; the backoff curve itself is unit-tested.
				QUEUE_RETRY_BASE_SECONDS: "0",
			},
			queueProducers: workerOptions.queueProducers,
			kvNamespaces: workerOptions.kvNamespaces,
			queueConsumers: workerOptions.queueConsumers,
			serviceBindings: workerOptions.serviceBindings,
			durableObjects: workerOptions.durableObjects,
			// The storefront's per-IP limit: relaxed like the gateway's, real in the rate-limit test.
			...(workerOptions.ratelimits
				? {
						ratelimits: file.endsWith(REAL_RATE_LIMITS_IN)
							? workerOptions.ratelimits
							: Object.fromEntries(
									Object.keys(workerOptions.ratelimits).flatMap((name) => {
										const relaxed = RELAXED_RATE_LIMITS[name];
										return relaxed ? [[name, relaxed]] : [];
									}),
								),
					}
				: {}),
		};
	});
}

function integrationProject(file: string): TestProjectInlineConfiguration {
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					// TEST_SIGNING_KEYS lets tests mint tokens (expired, other audience, rotated key).
					bindings: {
						...databaseBindings(file),
						TEST_SIGNING_KEYS: signingKeys,
						TEST_OPERATOR_TOTP_KEY: totpKey,
						TEST_DNS_ADMIN: dnsAdmin,
						TEST_DELIVERY_ADMIN: deliveryAdmin,
						DELIVERY_WEBHOOK_SECRET: deliveryWebhookSecret,
						PAYSTACK_SECRET_KEY: paystackSecret,
						TEST_PAYSTACK_ADMIN: paystackAdmin,
						WHATSAPP_APP_SECRET: whatsappAppSecret,
						WHATSAPP_VERIFY_TOKEN: "test-verify-token-0123456789",
						TEST_WHATSAPP_ADMIN: whatsappAdmin,
						TEST_MESSAGING_KEY: messagingKey,
						TEST_WEBHOOK_RECEIVER_URL: receiverUrl,
						TEST_WEBHOOK_RECEIVER_ADMIN: receiverAdmin,
						RESEND_WEBHOOK_SECRET: resendWebhookSecret,
						TEST_RESEND_ADMIN: resendAdmin,
						// The route fuzzer's seed and run count (route-fuzz.test.ts); empty means its defaults.
						FUZZ_SEED: process.env.FUZZ_SEED ?? "",
						FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
					},
					// Test-only: lets a test put hand-made (e.g. poison) messages on the event queue.
					queueProducers: {
						TEST_EVENTS: { queueName: "oja-events" },
						TEST_ORDER_EVENTS: { queueName: "oja-order-events" },
						TEST_EMAIL: { queueName: "oja-email" },
					},
					// Test-only: identity's login throttles, so lockout tests can read each window's counts.
					durableObjects: { TEST_LOGIN_THROTTLE: { className: "LoginThrottle", scriptName: "oja-identity" } },
					...(file.endsWith(REAL_RATE_LIMITS_IN) ? {} : { ratelimits: RELAXED_RATE_LIMITS }),
					workers: auxiliaryWorkers(file),
				},
			}),
		],
		test: {
			name: file
				.replace(/^workers\//, "")
				.replace("/test/", "/")
				.replace(/\.test\.ts$/, ""),
			include: [file],
			testTimeout: 30_000,
			hookTimeout: 30_000,
			// Group 0 runs files side by side; group 1 (sandbox state) one at a time, after it.
			...(changesSharedSandbox(file)
				? { sequence: { groupOrder: 1 }, maxWorkers: 1 }
				: { sequence: { groupOrder: 0 }, maxWorkers: PARALLEL_FILES }),
		},
	};
}

export default defineConfig({
	test: {
		// Request logs are useful when a test fails and noise when it passes.
		silent: "passed-only",
		projects: [
			// Hooks start embedded PGlite instances, which take well over 10 s while integration files
			// compete for both cores.
			{
				test: {
					name: "unit",
					include: [UNIT_GLOB],
					environment: "node",
					testTimeout: 30_000,
					hookTimeout: 60_000,
					sequence: { groupOrder: 0 },
					maxWorkers: PARALLEL_FILES,
				},
			},
			...(endpoint ? integrationFiles().map(integrationProject) : []),
			// Real Chromium against the whole stack on workerd (needs the Worker bundles npm test builds).
			...(endpoint
				? [
						{
							test: {
								name: "browser",
								include: ["test/browser/**/*.test.ts"],
								environment: "node",
								testTimeout: 60_000,
								hookTimeout: 180_000,
								// Last and alone: it starts a whole stack of its own.
								sequence: { groupOrder: 2 },
								maxWorkers: 1,
							},
						},
					]
				: []),
		],
	},
});
