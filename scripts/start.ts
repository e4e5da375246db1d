// `npm start`: the whole platform on this machine.
//  1. neon-local on :5445 — embedded PGlite persisted under .data/ (or DATABASE_URL's PostgreSQL);
//  2. migrations, then the demo store (both idempotent);
//  3. every Worker in one `wrangler dev` process (service bindings, queues, DOs), gateway on :8787;
//  4. a local cron ticker (wrangler dev never fires crons on its own);
//  5. a DNS sandbox on :5453 (DNS_SANDBOX_PORT) that identity checks custom-domain TXT records
//     against; publish one with PUT /_admin/txt/{name} {"values":["oja-verify=…"]};
//  6. a delivery sandbox on :5454 (DELIVERY_SANDBOX_PORT), a Kwik-style courier API that commerce
//     books riders through (API key kwik_sandbox_key, webhook secret SANDBOX_WEBHOOK_SECRET); open
//     tasks advance one step every 20 s (DELIVERY_SANDBOX_AUTO_ADVANCE_MS, 0 = never), or on demand
//     with POST /_admin/tasks/{id}/advance;
//  7. a Paystack sandbox on :5455 (PAYSTACK_SANDBOX_PORT) with its hosted payment page (secret key
//     SANDBOX_SECRET_KEY); its webhooks go to the gateway's POST /webhooks/paystack, and the
//     admin API sends any event on demand (POST /_admin/events);
//  8. a WhatsApp sandbox on :5457 (WHATSAPP_SANDBOX_PORT): Meta's Graph API for the messaging Worker,
//     with the demo store's number registered; `npm run chat -- demo "how much is the gele?"`
//     writes to it as a customer (signed webhook to the gateway) and prints the replies, and
//     GET / on the sandbox shows every chat in a browser;
//  9. a Resend sandbox on :5458 (RESEND_SANDBOX_PORT): every email the platform sends (order
//     emails, verification and password-reset links), readable at GET / in a browser; bounces it
//     is told about (POST /_admin/bounce) come back to POST /webhooks/resend, Svix-signed;
// 10. Ctrl-C stops everything, flushing the embedded database to disk.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { generateSecretBoxKey, generateSigningJwk, seal } from "@oja/auth";
import { migrate } from "@oja/db/migrate";
import { DELIVERY_SANDBOX_PORT, SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET, startDeliverySandbox } from "@oja/delivery-sandbox";
import { startDnsSandbox } from "@oja/dns-sandbox";
import { startNeonLocal } from "@oja/neon-local";
import { PAYSTACK_SANDBOX_PORT, SANDBOX_SECRET_KEY, startPaystackSandbox } from "@oja/paystack-sandbox";
import {
	SANDBOX_API_KEY as RESEND_API_KEY,
	RESEND_SANDBOX_PORT,
	SANDBOX_WEBHOOK_SECRET as RESEND_WEBHOOK_SECRET,
	startResendSandbox,
} from "@oja/resend-sandbox";
import { SANDBOX_APP_SECRET, startWhatsAppSandbox, WHATSAPP_SANDBOX_PORT } from "@oja/whatsapp-sandbox";
import { registerNumber } from "@oja/whatsapp-sandbox/admin";
import { LOCAL_TOTP_KEY_PATH, localDatabaseName, workerDatabaseUrl } from "./local-database.ts";
import { DEMO, DEMO_WHATSAPP, seedDemo, seedDemoWhatsApp } from "./seed.ts";
import { ALL_WORKERS } from "./workers.ts";

const port = Number(process.env.PORT || 8787);
const neonPort = Number(process.env.NEON_LOCAL_PORT || 5445);
const databaseUrl = process.env.DATABASE_URL || undefined;
const host = "127.0.0.1";
const base = `http://${host}:${port}`;

const neon = await startNeonLocal({ port: neonPort, databaseUrl });
const dns = await startDnsSandbox({ port: Number(process.env.DNS_SANDBOX_PORT || 5453) });
const delivery = await startDeliverySandbox({
	port: Number(process.env.DELIVERY_SANDBOX_PORT || DELIVERY_SANDBOX_PORT),
	webhookSecret: SANDBOX_WEBHOOK_SECRET,
	autoAdvanceMs: Number(process.env.DELIVERY_SANDBOX_AUTO_ADVANCE_MS ?? 20_000),
});
// The hosted page's Pay button sends its signed charge.success to the gateway, as Paystack would.
const paystack = await startPaystackSandbox({
	port: Number(process.env.PAYSTACK_SANDBOX_PORT || PAYSTACK_SANDBOX_PORT),
	secretKey: SANDBOX_SECRET_KEY,
	webhookUrl: `${base}/webhooks/paystack`,
});
// Meta's side of WhatsApp: customers' messages and delivery statuses go to the gateway, signed.
const whatsapp = await startWhatsAppSandbox({
	port: Number(process.env.WHATSAPP_SANDBOX_PORT || WHATSAPP_SANDBOX_PORT),
	appSecret: SANDBOX_APP_SECRET,
	webhookUrl: `${base}/webhooks/whatsapp`,
});
await registerNumber(whatsapp.adminUrl, { ...DEMO_WHATSAPP, autoStatuses: true });
/** The token Meta's handshake must echo (GET /webhooks/whatsapp); local only. */
const WHATSAPP_VERIFY_TOKEN = "oja-local-verify-token";
// Resend's side of email: what was sent is at its GET /; bounces come back to the gateway, signed.
const resend = await startResendSandbox({
	port: Number(process.env.RESEND_SANDBOX_PORT || RESEND_SANDBOX_PORT),
	apiKey: RESEND_API_KEY,
	webhookSecret: RESEND_WEBHOOK_SECRET,
	webhookUrl: `${base}/webhooks/resend`,
});
const workerUrl = workerDatabaseUrl(localDatabaseName(databaseUrl));
let wrangler: ChildProcess | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
	if (stopping) process.exit(code);
	stopping = true;
	if (ticker) clearInterval(ticker);
	if (wrangler && wrangler.exitCode === null) {
		wrangler.kill("SIGINT");
		await new Promise((r) => {
			const force = setTimeout(() => wrangler?.kill("SIGKILL"), 5000);
			wrangler?.once("exit", () => {
				clearTimeout(force);
				r(undefined);
			});
		});
	}
	await resend.close();
	await whatsapp.close();
	await paystack.close();
	await delivery.close();
	await dns.close();
	await neon.close();
	console.log("oja: stopped");
	process.exit(code);
}
process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));

try {
	const result = await migrate({ databaseUrl: workerUrl, localEndpoint: neon.sqlEndpoint, migrationsDir: "migrations" });
	const seeded = await seedDemo(workerUrl, neon.sqlEndpoint);
	console.log(
		`oja: database ready (${neon.backend}; ${result.applied.length} migrations applied, ${result.skipped.length} already; demo store ${seeded.created ? "created" : "present"})`,
	);
} catch (error) {
	console.error("oja: database setup failed:", error);
	await stop(1);
}

// A local token-signing key, made once and kept under .data/ so sessions survive restarts.
const keysPath = ".data/auth-signing-keys.json";
if (!existsSync(keysPath)) {
	mkdirSync(".data", { recursive: true });
	writeFileSync(keysPath, JSON.stringify({ keys: [await generateSigningJwk(`local-${Date.now().toString(36)}`)] }));
}
const signingKeys = readFileSync(keysPath, "utf8").trim();
// And the key that seals operators' TOTP seeds (`npm run ops -- create-operator` reads it too).
if (!existsSync(LOCAL_TOTP_KEY_PATH)) writeFileSync(LOCAL_TOTP_KEY_PATH, generateSecretBoxKey());
const totpKey = readFileSync(LOCAL_TOTP_KEY_PATH, "utf8").trim();
// Order tokens are derived from this key (commerce); kept so a replayed checkout repeats its token.
const orderTokenPath = ".data/order-token-secret";
if (!existsSync(orderTokenPath)) writeFileSync(orderTokenPath, generateSecretBoxKey());
const orderTokenSecret = readFileSync(orderTokenPath, "utf8").trim();

// Stores' WhatsApp access tokens are sealed with this key (messaging); the demo store's number is set up with it.
const messagingKeyPath = ".data/messaging-secret-key";
if (!existsSync(messagingKeyPath)) writeFileSync(messagingKeyPath, generateSecretBoxKey());
const messagingKey = readFileSync(messagingKeyPath, "utf8").trim();
await seedDemoWhatsApp(workerUrl, neon.sqlEndpoint, await seal(messagingKey, `${DEMO.storeId}\n${DEMO_WHATSAPP.accessToken}`));

// wrangler dev reads each Worker's secrets from the .dev.vars beside its config (an
// --env-file would reach only the first Worker). These files are git-ignored.
for (const worker of ALL_WORKERS) {
	const lines = ["# Written by npm start; local only."];
	if (worker.database) lines.push(`DATABASE_URL=${workerUrl}`, `NEON_LOCAL_ENDPOINT=${neon.sqlEndpoint}`);
	if (worker.dir === "identity") {
		lines.push(`AUTH_SIGNING_KEYS='${signingKeys}'`, `OPERATOR_TOTP_KEY=${totpKey}`, `DNS_RESOLVER_URL=${dns.url}`);
	}
	// Commerce derives order tokens from a local key and books riders through the delivery sandbox.
	if (worker.dir === "commerce") {
		lines.push(
			`ORDER_TOKEN_SECRET=${orderTokenSecret}`,
			`DELIVERY_API_URL=${delivery.url}`,
			`DELIVERY_API_KEY=${SANDBOX_API_KEY}`,
			`DELIVERY_WEBHOOK_SECRET=${SANDBOX_WEBHOOK_SECRET}`,
			`DELIVERY_CALLBACK_URL=http://${host}:${port}/webhooks/delivery`,
		);
	}
	// Payments initialises and verifies transactions with the Paystack sandbox.
	if (worker.dir === "payments") {
		lines.push(`PAYSTACK_API_URL=${paystack.url}`, `PAYSTACK_SECRET_KEY=${SANDBOX_SECRET_KEY}`);
	}
	// Messaging sends through the WhatsApp sandbox; checkout links from a chat come back to this gateway.
	if (worker.dir === "messaging") {
		lines.push(`MESSAGING_SECRET_KEY=${messagingKey}`, `WHATSAPP_GRAPH_URL=${whatsapp.url}`, `PUBLIC_BASE_URL=${base}`);
		// Merchant webhooks may use http: locally (never in production).
		lines.push("ALLOW_HTTP_WEBHOOKS=true");
		lines.push(`RESEND_API_URL=${resend.url}`, `RESEND_API_KEY=${RESEND_API_KEY}`);
	}
	// Links in account emails (verification, password reset) point at this gateway.
	if (worker.dir === "identity") lines.push(`PUBLIC_BASE_URL=${base}`);
	// The gateway verifies the courier's callbacks (POST /webhooks/delivery) with the same secret.
	// It verifies Paystack's webhooks (POST /webhooks/paystack) with the Paystack secret key, as Paystack signs them.
	if (worker.dir === "gateway") {
		lines.push(
			`DELIVERY_WEBHOOK_SECRET=${SANDBOX_WEBHOOK_SECRET}`,
			`PAYSTACK_SECRET_KEY=${SANDBOX_SECRET_KEY}`,
			`WHATSAPP_APP_SECRET=${SANDBOX_APP_SECRET}`,
			`WHATSAPP_VERIFY_TOKEN=${WHATSAPP_VERIFY_TOKEN}`,
			`RESEND_WEBHOOK_SECRET=${RESEND_WEBHOOK_SECRET}`,
		);
	}
	writeFileSync(join(dirname(worker.config), ".dev.vars"), `${lines.join("\n")}\n`);
}

wrangler = spawn(
	"wrangler",
	[
		"dev",
		...ALL_WORKERS.flatMap((w) => ["-c", w.config]),
		"--ip",
		host,
		"--port",
		String(port),
		"--persist-to",
		".data/wrangler",
		"--show-interactive-dev-session=false",
		"--inspector-port",
		"0",
	],
	{ stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
wrangler.once("exit", (code) => {
	if (!stopping) {
		console.error(`oja: wrangler dev exited (${code})`);
		void stop(code ?? 1);
	}
});

// Wait for readiness, then say where everything is.
const deadline = Date.now() + 120_000;
while (!stopping) {
	const ready = await fetch(`${base}/health/ready`).then(
		(r) => r.status === 200,
		() => false,
	);
	if (ready) break;
	if (Date.now() > deadline) {
		console.error("oja: the gateway did not become ready within 120 s");
		await stop(1);
	}
	await new Promise((r) => setTimeout(r, 500));
}

// wrangler dev only exposes the primary Worker's scheduled handler and never fires it on a
// timer; the gateway's scheduled handler forwards to the Workers that own crons.
const tick = () =>
	fetch(`${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`).then(
		(r) => {
			if (!r.ok) console.error(`oja: cron tick answered ${r.status}`);
		},
		(error: unknown) => console.error("oja: cron tick failed:", error),
	);
void tick();
ticker = setInterval(tick, 60_000);

console.log(`
  Oja is running
  ─────────────────────────────────────────────
  API gateway     ${base}
  Health          ${base}/health/ready
  API reference   ${base}/docs   (OpenAPI: ${base}/openapi.json)
  Demo store      ${base}/s/${DEMO.storeSlug}   (API: ${base}/v1/storefront/${DEMO.storeSlug})
                  owner ${DEMO.email} / ${DEMO.password}
  Database        ${neon.url} (${neon.backend}${neon.backend === "pglite" ? ", data in .data/pglite" : ""})
  DNS sandbox     ${dns.url}   (TXT records: PUT ${dns.adminUrl}/txt/{name})
  Delivery        ${delivery.url}   (courier sandbox; tasks: GET ${delivery.adminUrl}/tasks, POST …/tasks/{id}/advance)
  Paystack        ${paystack.url}   (payments sandbox, key ${SANDBOX_SECRET_KEY}; GET ${paystack.adminUrl}/transactions, POST …/events)
  Email           ${resend.url}/   (Resend sandbox: every email sent)
  WhatsApp        ${whatsapp.url}   (Graph API sandbox; chats: ${whatsapp.url}/ ; demo number ${DEMO_WHATSAPP.displayPhoneNumber})
                  chat as a customer: npm run chat -- demo "how much is the gele?"
  Press Ctrl-C to stop.
`);
