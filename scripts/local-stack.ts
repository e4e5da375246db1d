// The whole stack on workerd for benchmarks and browser tests: neon-local with a fresh,
// migrated, seeded database, the delivery sandbox, the Oja Workers through the Miniflare API,
// and (for the bench) a bare hello-world Worker as the ceiling.
//
// `wrangler dev` is deliberately not used: its proxy Worker, bundler watcher and inspector
// sit on every request and would dominate what is measured. The Workers run as the same
// bundles `wrangler deploy` would upload, configured from their own wrangler.toml.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateSecretBoxKey, generateSigningJwk } from "@oja/auth";
import { migrate } from "@oja/db/migrate";
import { SANDBOX_API_KEY, startDeliverySandbox } from "@oja/delivery-sandbox";
import { type NeonLocalAdmin, neonLocalAdmin, startNeonLocal } from "@oja/neon-local";
import { startPaystackSandbox } from "@oja/paystack-sandbox";
import { startResendSandbox } from "@oja/resend-sandbox";
import { startWebhookReceiver } from "@oja/webhook-receiver";
import { startWhatsAppSandbox } from "@oja/whatsapp-sandbox";
import { convertV4MiniflareOptions, Miniflare, type V4SharedOptions, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { descendantsNamed, type WatchedProcess } from "../bench/memory.ts";
import { BUILD_DIR } from "./build-workers.ts";
import { workerDatabaseUrl } from "./local-database.ts";
import { seedDemo } from "./seed.ts";
import { ALL_WORKERS, type WorkerManifest } from "./workers.ts";

export const BENCH_DATABASE = "oja_bench";
const COMPATIBILITY_DATE = "2026-11-01";
const HELLO_WORLD = `export default { fetch() { return new Response("ok"); } };`;

/** Everything a Worker writes to the console, counted; the last few errors kept for diagnosis. */
export class LogTap {
	lines = 0;
	readonly errors: string[] = [];

	readonly handle = (log: { level: string; message: string }): void => {
		this.lines++;
		if (log.level === "error") {
			this.errors.push(log.message);
			if (this.errors.length > 10) this.errors.shift();
		}
	};
}

export interface Stack {
	gatewayUrl: string;
	helloWorldUrl: string;
	backend: string;
	databaseUrl: string;
	sqlEndpoint: string;
	admin: NeonLocalAdmin;
	gatewayLogs: LogTap;
	/** The workerd processes, for memory readings (empty where /proc is unavailable). */
	processes: WatchedProcess[];
	/** The Oja Workers' inspector (websocket URL), when started with `inspect`. */
	inspectorUrl?: string;
	/** The delivery sandbox's admin API (advance tasks) and the secret its callbacks are signed with. */
	deliveryAdminUrl: string;
	/** The Paystack sandbox's admin API (transactions, webhooks it sent). */
	paystackAdminUrl: string;
	deliveryWebhookSecret: string;
	/** The WhatsApp sandbox's admin API, the app secret its webhooks are signed with, and the key sealing channel tokens. */
	whatsappAdminUrl: string;
	whatsappAppSecret: string;
	messagingKey: string;
	/** A stand-in merchant webhook endpoint (records what it receives) and its admin API. */
	webhookReceiverUrl: string;
	webhookReceiverAdminUrl: string;
	/** The Resend sandbox's admin API: every email the stack sent. */
	resendAdminUrl: string;
}

export type Disposer = () => Promise<void>;

/**
 * Starts the stack, registering a disposer for each part as soon as it is up, so a failure
 * half-way still lets the caller tear down what did start.
 */
export async function startStack(
	options: {
		databaseUrl: string | undefined;
		database?: string;
		inspect?: boolean;
		/**
		 * Where Miniflare keeps its local storage (Durable Objects, KV, Cache API, rate limits:
		 * one SQLite file each). Default: the system temp dir. workerd commits those files on its
		 * only thread, fsync included, so on a slow disk every Durable Object write stalls every
		 * Worker in the process; a tmpfs such as /dev/shm takes the disk out of what is measured.
		 */
		runtimeStorageDir?: string;
		/** neon-local counts round trips by statement shape (its stats' `shapes`): for investigating. */
		statementShapes?: boolean;
	},
	disposers: Disposer[],
): Promise<Stack> {
	const database = options.database ?? BENCH_DATABASE;
	// Embedded databases made by createDatabase live in memory, so nothing is written to the
	// data dir unless a request names some other database. Pointing it at a path that does not
	// exist keeps the bench off the developer's .data/ and leaves nothing behind after a kill.
	let dataDir: string | undefined;
	if (!options.databaseUrl) {
		const dir = join(tmpdir(), `oja-bench-${process.pid}`);
		dataDir = dir;
		disposers.push(() => rm(dir, { recursive: true, force: true }));
	}
	const neon = await startNeonLocal({
		port: 0,
		databaseUrl: options.databaseUrl,
		dataDir,
		statementShapes: options.statementShapes === true,
		// BENCH_SQL_LATENCY_MS: each SQL round trip as far away as Neon is from an edge location.
		roundTripDelayMs: Number(process.env.BENCH_SQL_LATENCY_MS ?? 0) || 0,
	});
	disposers.push(() => neon.close());
	const admin = neonLocalAdmin(neon.url);

	await admin.createDatabase(database, undefined, { replace: true });
	if (options.databaseUrl) {
		// A real server keeps databases; don't leave a copy of the bench's behind.
		disposers.push(async () => {
			await admin.dropDatabase(database).catch(() => false);
		});
	}
	const databaseUrl = workerDatabaseUrl(database);
	await migrate({ databaseUrl, localEndpoint: neon.sqlEndpoint, migrationsDir: "migrations" });
	await seedDemo(databaseUrl, neon.sqlEndpoint);

	const databaseBindings = { DATABASE_URL: databaseUrl, NEON_LOCAL_ENDPOINT: neon.sqlEndpoint };
	const deliveryWebhookSecret = `whsec_stack_${randomBytes(16).toString("hex")}`;
	const delivery = await startDeliverySandbox({ webhookSecret: deliveryWebhookSecret });
	disposers.push(() => delivery.close());
	const deliveryBindings = {
		DELIVERY_API_URL: delivery.url,
		DELIVERY_API_KEY: SANDBOX_API_KEY,
		DELIVERY_WEBHOOK_SECRET: deliveryWebhookSecret,
	};
	// The gateway's port is chosen first so the Paystack sandbox's Pay button can send its signed
	// charge.success to the gateway's /webhooks/paystack, as Paystack would.
	const gatewayPort = await freePort();
	const paystackSecret = `sk_test_${randomBytes(16).toString("hex")}`;
	const paystack = await startPaystackSandbox({
		secretKey: paystackSecret,
		webhookUrl: `http://127.0.0.1:${gatewayPort}/webhooks/paystack`,
	});
	disposers.push(() => paystack.close());
	const paystackBindings = { PAYSTACK_API_URL: paystack.url, PAYSTACK_SECRET_KEY: paystackSecret };
	// Meta's side of WhatsApp: signed webhooks to the gateway; messaging sends through its Graph API.
	const whatsappAppSecret = randomBytes(16).toString("hex");
	const whatsapp = await startWhatsAppSandbox({
		appSecret: whatsappAppSecret,
		webhookUrl: `http://127.0.0.1:${gatewayPort}/webhooks/whatsapp`,
	});
	disposers.push(() => whatsapp.close());
	// Resend's side of email: order emails and notices go out as in production (without it every
	// email batch failed and was retried until dead-lettered, work the bench should not be doing).
	const resendApiKey = `re_stack_${randomBytes(16).toString("hex")}`;
	const resendWebhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
	const resend = await startResendSandbox({
		apiKey: resendApiKey,
		webhookSecret: resendWebhookSecret,
		webhookUrl: `http://127.0.0.1:${gatewayPort}/webhooks/resend`,
	});
	disposers.push(() => resend.close());
	const messagingKey = generateSecretBoxKey();
	// A merchant's webhook endpoint on this machine: loopback is refused unless named, so it is.
	const receiver = await startWebhookReceiver();
	disposers.push(() => receiver.close());
	const whatsappBindings: WhatsAppBindings = {
		gateway: {
			WHATSAPP_APP_SECRET: whatsappAppSecret,
			WHATSAPP_VERIFY_TOKEN: randomBytes(8).toString("hex"),
			RESEND_WEBHOOK_SECRET: resendWebhookSecret,
		},
		messaging: {
			RESEND_API_URL: resend.url,
			RESEND_API_KEY: resendApiKey,
			MESSAGING_SECRET_KEY: messagingKey,
			WHATSAPP_GRAPH_URL: whatsapp.url,
			PUBLIC_BASE_URL: `http://127.0.0.1:${gatewayPort}`,
			ALLOW_HTTP_WEBHOOKS: "true",
			WEBHOOK_ALLOWED_HOSTS: receiver.host,
		},
	};
	const signingKeys = JSON.stringify({ keys: [await generateSigningJwk("bench")] });
	const gatewayLogs = new LogTap();
	// The first worker is the entry: ALL_WORKERS starts with the gateway.
	const processes: WatchedProcess[] = [];
	let inspectorUrl: string | undefined;
	const gateway = await startMiniflare(
		{
			workers: ALL_WORKERS.map((worker) =>
				bundledWorker(worker, databaseBindings, signingKeys, deliveryBindings, paystackBindings, whatsappBindings),
			),
			...(options.inspect ? { inspectorPort: 0 } : {}),
		},
		gatewayLogs,
		disposers,
		(pid) => processes.push({ role: "workerd (Oja Workers)", pid }),
		(url) => {
			inspectorUrl = url;
		},
		options.runtimeStorageDir,
		gatewayPort,
	);
	const helloWorld = await startMiniflare(
		{ name: "hello-world", modules: true, script: HELLO_WORLD, compatibilityDate: COMPATIBILITY_DATE },
		new LogTap(),
		disposers,
		(pid) => processes.push({ role: "workerd (hello-world)", pid }),
	);

	return {
		gatewayUrl: gateway,
		helloWorldUrl: helloWorld,
		backend: neon.backend,
		databaseUrl,
		sqlEndpoint: neon.sqlEndpoint,
		admin,
		gatewayLogs,
		processes,
		...(inspectorUrl ? { inspectorUrl } : {}),
		deliveryAdminUrl: delivery.adminUrl,
		paystackAdminUrl: paystack.adminUrl,
		deliveryWebhookSecret,
		whatsappAdminUrl: whatsapp.adminUrl,
		whatsappAppSecret,
		messagingKey,
		webhookReceiverUrl: receiver.url,
		webhookReceiverAdminUrl: receiver.adminUrl,
		resendAdminUrl: resend.adminUrl,
	};
}

interface WhatsAppBindings {
	gateway: { WHATSAPP_APP_SECRET: string; WHATSAPP_VERIFY_TOKEN: string; RESEND_WEBHOOK_SECRET: string };
	messaging: {
		RESEND_API_URL: string;
		RESEND_API_KEY: string;
		MESSAGING_SECRET_KEY: string;
		WHATSAPP_GRAPH_URL: string;
		PUBLIC_BASE_URL: string;
		ALLOW_HTTP_WEBHOOKS: string;
		WEBHOOK_ALLOWED_HOSTS: string;
	};
}

/** A Worker's prebuilt bundle with the bindings, services and queues its wrangler.toml declares. */
function bundledWorker(
	worker: WorkerManifest,
	databaseBindings: Record<string, string>,
	signingKeys: string,
	deliveryBindings: Record<string, string>,
	paystackBindings: { PAYSTACK_API_URL: string; PAYSTACK_SECRET_KEY: string },
	whatsappBindings: WhatsAppBindings,
): V4WorkerOptions {
	// wrangler types these through an Omit over an index signature, which erases every field.
	const { workerOptions } = unstable_getMiniflareWorkerOptions(worker.config) as unknown as { workerOptions: V4WorkerOptions };
	return {
		name: worker.name,
		modules: true,
		scriptPath: resolve(BUILD_DIR, worker.dir, "index.js"),
		compatibilityDate: workerOptions.compatibilityDate,
		compatibilityFlags: workerOptions.compatibilityFlags,
		// Overrides whatever .dev.vars `npm start` left behind: the bench has its own database.
		bindings: {
			...workerOptions.bindings,
			...(worker.database ? databaseBindings : {}),
			...(worker.dir === "identity" ? { AUTH_SIGNING_KEYS: signingKeys, OPERATOR_TOTP_KEY: generateSecretBoxKey() } : {}),
			// Commerce derives order tokens from a key and books riders through the sandbox.
			...(worker.dir === "commerce" ? { ORDER_TOKEN_SECRET: generateSecretBoxKey(), ...deliveryBindings } : {}),
			// The gateway verifies the courier's callbacks (POST /webhooks/delivery).
			...(worker.dir === "gateway"
				? {
						DELIVERY_WEBHOOK_SECRET: deliveryBindings.DELIVERY_WEBHOOK_SECRET ?? "",
						PAYSTACK_SECRET_KEY: paystackBindings.PAYSTACK_SECRET_KEY,
						...whatsappBindings.gateway,
					}
				: {}),
			...(worker.dir === "messaging" ? whatsappBindings.messaging : {}),
			// Payments initialises and verifies transactions with the Paystack sandbox.
			...(worker.dir === "payments" ? paystackBindings : {}),
		},
		// The load generator is one client on one address: per-IP limits would measure the limiter.
		ratelimits: relaxed(workerOptions.ratelimits),
		serviceBindings: workerOptions.serviceBindings,
		queueProducers: workerOptions.queueProducers,
		queueConsumers: workerOptions.queueConsumers,
		kvNamespaces: workerOptions.kvNamespaces,
		durableObjects: workerOptions.durableObjects,
		// No cronTriggers: nothing fires them here, and a sweep mid-run would only add noise.
	};
}

function relaxed(limits: V4WorkerOptions["ratelimits"]): V4WorkerOptions["ratelimits"] {
	if (!limits) return undefined;
	return Object.fromEntries(
		Object.entries(limits).map(([name, limit]) => [name, { ...limit, simple: { ...limit.simple, limit: 1_000_000_000 } }]),
	);
}

async function startMiniflare(
	workers: V4WorkerOptions | { workers: V4WorkerOptions[] },
	logs: LogTap,
	disposers: Disposer[],
	onRuntime?: (pid: number) => void,
	onInspector?: (url: string) => void,
	storageDir?: string,
	port = 0,
): Promise<string> {
	const shared: V4SharedOptions = {
		host: "127.0.0.1",
		port,
		// Request logging makes the entry Worker post every request to Node over the loopback.
		logRequests: false,
		handleStructuredLogs: logs.handle,
	};
	// Miniflare does not expose its workerd child, so it is the one that appears while this starts.
	const before = new Set(descendantsNamed(process.pid, "workerd"));
	// Miniflare puts its storage under os.tmpdir(), read from TMPDIR when it is constructed.
	const tmpdirBefore = process.env.TMPDIR;
	if (storageDir) process.env.TMPDIR = storageDir;
	let mf: Miniflare;
	try {
		mf = new Miniflare(convertV4MiniflareOptions({ ...shared, ...workers }));
	} finally {
		if (storageDir) {
			if (tmpdirBefore === undefined) delete process.env.TMPDIR;
			else process.env.TMPDIR = tmpdirBefore;
		}
	}
	disposers.push(() => mf.dispose());
	const url = await mf.ready;
	for (const pid of descendantsNamed(process.pid, "workerd")) if (!before.has(pid)) onRuntime?.(pid);
	if (onInspector && "inspectorPort" in workers) onInspector((await mf.getInspectorURL()).href);
	return url.origin;
}

/** A port nothing listens on right now (the OS picks it; a race with another process is unlikely). */
function freePort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
		});
	});
}
