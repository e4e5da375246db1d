// `npm test`: everything the integration tests need, then Vitest.
//  1. bundle the domain Workers (they join the test run as prebuilt scripts);
//  2. start neon-local: embedded PGlite by default, real PostgreSQL when DATABASE_URL is set;
//  3. migrate a template database over the Neon HTTP protocol and clone one database per
//     integration test file from it, so every file starts clean and files run in parallel;
//  4. start the DNS sandbox (custom-domain TXT records the tests set and identity checks), the
//     delivery sandbox (a Kwik-style courier API; a fresh webhook secret per run) and the
//     Paystack sandbox (a fresh secret key per run, which also signs its webhooks), the WhatsApp
//     and Resend sandboxes, and a webhook receiver standing in for merchants' endpoints;
//  5. run Vitest (extra arguments are passed through), then tear everything down.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSecretBoxKey, generateSigningJwk } from "@oja/auth";
import { migrate } from "@oja/db/migrate";
import { startDeliverySandbox } from "@oja/delivery-sandbox";
import { startDnsSandbox } from "@oja/dns-sandbox";
import { neonLocalAdmin, startNeonLocal } from "@oja/neon-local";
import { startPaystackSandbox } from "@oja/paystack-sandbox";
import { startResendSandbox } from "@oja/resend-sandbox";
import { startWebhookReceiver } from "@oja/webhook-receiver";
import { startWhatsAppSandbox } from "@oja/whatsapp-sandbox";
import { buildWorkers } from "./build-workers.ts";
import { databaseFor, integrationFiles, TEMPLATE_DATABASE } from "./test-projects.ts";

const started = performance.now();

/**
 * The browser test drives Debian's Chromium (browser downloads are not possible here). A
 * fresh machine of this kind lacks it, so `npm test` installs it when it can (root + apt).
 */
function ensureChromium(): void {
	const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
	if (existsSync(path)) return;
	if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
		throw new Error(`${path} is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
	}
	console.log("test setup: installing Debian's chromium for the browser test (once per machine)…");
	const apt = (args: string[]) =>
		spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status;
	if (apt(["install", "-y", "chromium"]) !== 0) {
		apt(["update"]);
		if (apt(["install", "-y", "chromium"]) !== 0) throw new Error("could not install chromium");
	}
}

ensureChromium();
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = mkdtempSync(join(tmpdir(), "oja-test-"));

buildWorkers();
// Two keys, as in the middle of a rotation: the first signs, both verify.
const signingKeys = JSON.stringify({
	keys: [await generateSigningJwk("test-current"), await generateSigningJwk("test-previous")],
});
const neon = await startNeonLocal({ port: 0, databaseUrl, dataDir });
const admin = neonLocalAdmin(neon.url);
const dns = await startDnsSandbox();
const deliveryWebhookSecret = `whsec_test_${randomBytes(16).toString("hex")}`;
const delivery = await startDeliverySandbox({ webhookSecret: deliveryWebhookSecret });
const paystackSecret = `sk_test_${randomBytes(16).toString("hex")}`;
// Nothing listens on port 9 (discard): deliveries fail fast but are recorded, exact body and
// signature, for the tests to POST to the gateway in workerd themselves (in any order, twice…).
const paystack = await startPaystackSandbox({ secretKey: paystackSecret, webhookUrl: "http://127.0.0.1:9/webhooks/paystack" });
// WhatsApp: Meta's Graph API and webhooks. A fresh app secret per run; its webhooks go nowhere
// (port 9) and are recorded, so tests POST the signed bodies to the gateway in workerd themselves.
const whatsappAppSecret = randomBytes(16).toString("hex");
const whatsapp = await startWhatsAppSandbox({ appSecret: whatsappAppSecret, webhookUrl: "http://127.0.0.1:9/webhooks/whatsapp" });
// A merchant's webhook endpoint on loopback: records what messaging delivers, answers as scripted.
// Only its host:port is exempt from the SSRF checks (WEBHOOK_ALLOWED_HOSTS in vitest.config.ts).
const receiver = await startWebhookReceiver();
// Resend: a fresh API key and webhook secret per run; its bounce webhooks go nowhere (port 9) and
// are recorded, so tests POST the Svix-signed bodies to the gateway in workerd themselves.
const resendApiKey = `re_test_${randomBytes(16).toString("hex")}`;
const resendWebhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
const resend = await startResendSandbox({
	apiKey: resendApiKey,
	webhookSecret: resendWebhookSecret,
	webhookUrl: "http://127.0.0.1:9/webhooks/resend",
});
let exitCode = 1;
// `npm test -- <filter>…` runs only the files whose path contains a filter (as Vitest does),
// so only those get a database: cloning all of them takes most of a short run's time.
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const selected = integrationFiles().filter((file) => filters.some((f) => file.includes(f)));
// A filter that names no file (e.g. the value of `-t`) selects nothing here: clone them all.
const files = selected.length > 0 ? selected : integrationFiles();
try {
	await admin.createDatabase(TEMPLATE_DATABASE, undefined, { replace: true });
	await migrate({
		databaseUrl: `postgres://oja:oja@neon-local.test/${TEMPLATE_DATABASE}`,
		localEndpoint: neon.sqlEndpoint,
		migrationsDir: "migrations",
	});
	for (const file of files) await admin.createDatabase(databaseFor(file), TEMPLATE_DATABASE, { replace: true });
	console.log(
		`test setup: ${neon.backend} backend, ${files.length} integration databases, ${Math.round(performance.now() - started)} ms`,
	);

	exitCode = await new Promise<number>((resolve) => {
		const vitest = spawn("vitest", ["run", ...process.argv.slice(2)], {
			stdio: "inherit",
			env: {
				...process.env,
				OJA_TEST_NEON_ENDPOINT: neon.sqlEndpoint,
				OJA_TEST_NEON_URL: neon.url,
				OJA_TEST_SIGNING_KEYS: signingKeys,
				OJA_TEST_TOTP_KEY: generateSecretBoxKey(),
				OJA_TEST_DNS_URL: dns.url,
				OJA_TEST_DNS_ADMIN: dns.adminUrl,
				// The courier API base (DELIVERY_API_URL; its key is the sandbox default, kwik_sandbox_key).
				OJA_TEST_DELIVERY_URL: delivery.url,
				OJA_TEST_DELIVERY_ADMIN: delivery.adminUrl,
				OJA_TEST_DELIVERY_WEBHOOK_SECRET: deliveryWebhookSecret,
				// The Paystack API base (PAYSTACK_API_URL) and the run's secret key (PAYSTACK_SECRET_KEY).
				OJA_TEST_PAYSTACK_URL: paystack.url,
				OJA_TEST_PAYSTACK_ADMIN: paystack.adminUrl,
				OJA_TEST_PAYSTACK_SECRET: paystackSecret,
				OJA_TEST_WHATSAPP_URL: whatsapp.url,
				OJA_TEST_WHATSAPP_ADMIN: whatsapp.adminUrl,
				OJA_TEST_WHATSAPP_APP_SECRET: whatsappAppSecret,
				OJA_TEST_MESSAGING_KEY: generateSecretBoxKey(),
				OJA_TEST_WEBHOOK_RECEIVER_URL: receiver.url,
				OJA_TEST_WEBHOOK_RECEIVER_HOST: receiver.host,
				OJA_TEST_WEBHOOK_RECEIVER_ADMIN: receiver.adminUrl,
				OJA_TEST_RESEND_URL: resend.url,
				OJA_TEST_RESEND_ADMIN: resend.adminUrl,
				OJA_TEST_RESEND_API_KEY: resendApiKey,
				OJA_TEST_RESEND_WEBHOOK_SECRET: resendWebhookSecret,
			},
		});
		vitest.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
	});
} finally {
	if (databaseUrl) {
		for (const file of files) await admin.dropDatabase(databaseFor(file)).catch(() => false);
		await admin.dropDatabase(TEMPLATE_DATABASE).catch(() => false);
	}
	await receiver.close();
	await resend.close();
	await whatsapp.close();
	await paystack.close();
	await delivery.close();
	await dns.close();
	await neon.close();
	rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
