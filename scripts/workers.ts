// The one list of Oja's Workers. `npm start`, the test build, type generation and the
// benchmarks all read it, so adding a Worker means adding one line here.

export interface WorkerManifest {
	/** Folder under workers/. */
	dir: string;
	/** The Worker's name in its wrangler config. */
	name: string;
	/** Its wrangler config, relative to the repo root. */
	config: string;
	/** Name of its generated env interface (distinct per Worker so the gateway can see all of them). */
	envInterface: string;
	/** Whether it talks to Postgres (gets DATABASE_URL / NEON_LOCAL_ENDPOINT locally). */
	database: boolean;
	/** Folders of the Workers its service bindings call, so `npm run types` types them with their RPC methods. */
	calls?: string[];
}

export const GATEWAY: WorkerManifest = {
	dir: "gateway",
	name: "oja-gateway",
	config: "wrangler.toml",
	envInterface: "GatewayBindings",
	database: true,
};

export const DOMAIN_WORKERS: WorkerManifest[] = [
	{
		dir: "identity",
		name: "oja-identity",
		config: "workers/identity/wrangler.toml",
		envInterface: "IdentityEnv",
		database: true,
	},
	{ dir: "catalog", name: "oja-catalog", config: "workers/catalog/wrangler.toml", envInterface: "CatalogEnv", database: true },
	{
		dir: "commerce",
		name: "oja-commerce",
		config: "workers/commerce/wrangler.toml",
		envInterface: "CommerceEnv",
		database: true,
	},
	{ dir: "ops", name: "oja-ops", config: "workers/ops/wrangler.toml", envInterface: "OpsEnv", database: true },
	{ dir: "ledger", name: "oja-ledger", config: "workers/ledger/wrangler.toml", envInterface: "LedgerEnv", database: true },
	{
		dir: "payments",
		name: "oja-payments",
		config: "workers/payments/wrangler.toml",
		envInterface: "PaymentsEnv",
		database: true,
		calls: ["commerce"],
	},
	{
		dir: "messaging",
		name: "oja-messaging",
		config: "workers/messaging/wrangler.toml",
		envInterface: "MessagingEnv",
		database: true,
		calls: ["catalog", "commerce", "payments"],
	},
	// Not a domain Worker but behind the gateway the same way: the shopper pages, forwarded to it.
	{
		dir: "storefront",
		name: "oja-storefront",
		config: "workers/storefront/wrangler.toml",
		envInterface: "StorefrontBindings",
		database: false,
		calls: ["catalog", "commerce", "payments"],
	},
	// The merchant web app (for now the account pages behind merchants' emails), forwarded likewise.
	{
		dir: "dashboard",
		name: "oja-dashboard",
		config: "workers/dashboard/wrangler.toml",
		envInterface: "DashboardBindings",
		database: false,
	},
];

export const ALL_WORKERS: WorkerManifest[] = [GATEWAY, ...DOMAIN_WORKERS];
