// The messaging benchmark (`npm run bench -- --only messaging`): WhatsApp webhook ingest at the
// edge (verify the signature over the raw body, enqueue, answer: no SQL), beside bare workerd in
// the same run; and inbound-to-reply latency through both queues (the sandbox signs a customer's
// message → gateway → oja-whatsapp-inbound → the Conversation Durable Object → the assistant
// (catalog search) → Postgres → oja-whatsapp-outbound → the sandbox's Graph API).

import { seal } from "@oja/auth";
import { inboundMessageEnvelope, signWhatsAppBody } from "@oja/whatsapp";
import { listMessages, registerNumber, sendInbound } from "@oja/whatsapp-sandbox/admin";
import type { Stack } from "../scripts/local-stack.ts";
import { DEMO, DEMO_WHATSAPP, seedDemoWhatsApp } from "../scripts/seed.ts";
import type { Load } from "./commerce.ts";
import { settle } from "./commerce.ts";
import { type IngestResult, type IngestRound, measureIngest } from "./ingest.ts";

export interface MessagingResult {
	ingest: IngestResult;
	helloWorld: { perSecond: number };
	ingestRatio: number;
	/** Each round's bare workerd then ingest; the figures above are their medians. */
	rounds: IngestRound[];
	replyLatency: ReplyLatency;
	/** 40 customers writing at the same moment (runs from 2026-12-01 on). */
	replyBurst?: ReplyLatency;
	webhookDeliveries: { deliveries: number; received: number; wallSeconds: number; perSecond: number };
}

export interface ReplyLatency {
	messages: number;
	concurrency: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
	answered: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
	sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function runMessaging(
	stack: Stack,
	load: Load,
	durationSeconds: number,
	log: (line: string) => void,
): Promise<MessagingResult> {
	await seedDemoWhatsApp(
		stack.databaseUrl,
		stack.sqlEndpoint,
		await seal(stack.messagingKey, `${DEMO.storeId}\n${DEMO_WHATSAPP.accessToken}`),
	);
	await registerNumber(stack.whatsappAdminUrl, DEMO_WHATSAPP);

	// 1. Inbound to reply: customers ask the demo store a price question, 4 at a time; then a
	// burst of 40 customers writing at the same moment (a promotion's broadcast answered at once).
	// Each is timed from the sandbox's webhook POST until the sandbox's Graph API has the reply.
	const replyLatency = await measureReplies(stack, { messages: 100, concurrency: 4, firstCustomer: 0 });
	log(`messaging: inbound to reply ${JSON.stringify(replyLatency)}`);
	await settle(stack);
	const replyBurst = await measureReplies(stack, { messages: 40, concurrency: 40, firstCustomer: 1_000 });
	log(`messaging: inbound to reply, burst ${JSON.stringify(replyBurst)}`);
	await settle(stack);

	// 2. Webhook ingest: a real-format, correctly signed delivery, POSTed as fast as the gateway
	// takes it. It is for a number no store registered, so the consumer's work after the response
	// is one lookup and a drop (the same for every request), not a conversation per request.
	const body = JSON.stringify(
		inboundMessageEnvelope(
			{ phoneNumberId: "999000111222333", displayPhoneNumber: "2340000000", waId: "2348099999999", name: "Bench" },
			[{ type: "text", body: "how much is the gele?" }],
		),
	);
	const measured = await measureIngest(
		stack,
		load,
		{
			path: "/webhooks/whatsapp",
			headers: {
				"content-type": "application/json",
				"x-hub-signature-256": await signWhatsAppBody(body, stack.whatsappAppSecret),
			},
			body,
		},
		durationSeconds,
	);
	log(`messaging: ingest ${JSON.stringify(measured.ingest)}, hello-world ${measured.helloWorld.perSecond} req/s`);
	await settle(stack, 60);
	const webhookDeliveries = await measureWebhookDeliveries(stack, log);
	return { ...measured, replyLatency, replyBurst, webhookDeliveries };
}

/**
 * Merchant webhook deliveries per second: the demo store's owner registers an endpoint (the
 * stand-in receiver), one pay-on-delivery order makes its first delivery, then 500 redeliveries
 * are asked for (16 at a time) and timed until the receiver has every one: queue → messaging →
 * the endpoint's URL re-checked → signed POST → the attempt recorded.
 */
async function measureWebhookDeliveries(
	stack: Stack,
	log: (line: string) => void,
): Promise<MessagingResult["webhookDeliveries"]> {
	const api = (path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
		fetch(`${stack.gatewayUrl}${path}`, {
			method: init.method ?? "GET",
			headers: {
				"content-type": "application/json",
				...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
				...init.headers,
			},
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		});
	const json = async <T>(res: Response, status: number): Promise<T> => {
		if (res.status !== status) throw new Error(`bench: ${res.url} answered ${res.status}: ${await res.text()}`);
		return (await res.json()) as T;
	};
	const { accessToken } = await json<{ accessToken: string }>(
		await api("/v1/auth/login", { method: "POST", body: { email: DEMO.email, password: DEMO.password } }),
		200,
	);
	const hook = `${stack.webhookReceiverUrl}/hooks/bench`;
	const endpoint = await json<{ id: string }>(
		await api(`/v1/stores/${DEMO.storeId}/webhook-endpoints`, {
			method: "POST",
			token: accessToken,
			body: { url: hook, events: ["order.created"] },
		}),
		201,
	);
	const received = async () =>
		((await (await fetch(`${stack.webhookReceiverAdminUrl}/hooks/bench`)).json()) as { requests: unknown[] }).requests.length;
	// One order: its order.created is the first delivery.
	const cart = await json<{ id: string }>(await api("/v1/storefront/demo/carts", { method: "POST", body: {} }), 201);
	const products = await json<{ items: { variants: { id: string }[] }[] }>(
		await api("/v1/storefront/demo/products?limit=1"),
		200,
	);
	const variantId = products.items[0]?.variants[0]?.id;
	await json(await api(`/v1/storefront/demo/carts/${cart.id}/lines`, { method: "POST", body: { variantId, quantity: 1 } }), 201);
	await json(
		await api(`/v1/storefront/demo/carts/${cart.id}/checkout`, {
			method: "POST",
			headers: { "idempotency-key": crypto.randomUUID() },
			body: {
				name: "Bench",
				phone: "08031234567",
				deliveryOptionId: "dlv_01JDEMX0000000000000000001",
				paymentMethod: "pay_on_delivery",
			},
		}),
		201,
	);
	for (let waited = 0; waited < 30_000 && (await received()) < 1; waited += 100) await sleep(100);
	const log0 = await json<{ items: { id: string }[] }>(
		await api(`/v1/stores/${DEMO.storeId}/webhook-endpoints/${endpoint.id}/deliveries`, { token: accessToken }),
		200,
	);
	const first = log0.items[0]?.id;
	if (!first) throw new Error("bench: the order's webhook was never delivered");

	const deliveries = 500;
	const before = await received();
	const t0 = performance.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: 16 }, async () => {
			while (next++ < deliveries) {
				await json(
					await api(`/v1/stores/${DEMO.storeId}/webhook-endpoints/${endpoint.id}/deliveries/${first}/redeliver`, {
						method: "POST",
						token: accessToken,
					}),
					202,
				);
			}
		}),
	);
	let got = 0;
	for (let waited = 0; waited < 120_000; waited += 50) {
		got = (await received()) - before;
		if (got >= deliveries) break;
		await sleep(50);
	}
	const wallSeconds = (performance.now() - t0) / 1000;
	const result = {
		deliveries,
		received: got,
		wallSeconds: Math.round(wallSeconds * 100) / 100,
		perSecond: Math.round(got / wallSeconds),
	};
	log(`messaging: webhook deliveries ${JSON.stringify(result)}`);
	return result;
}

/** Customers (a number each) ask the price question, `concurrency` at a time; each timed to its reply. */
async function measureReplies(
	stack: Stack,
	options: { messages: number; concurrency: number; firstCustomer: number },
): Promise<ReplyLatency> {
	const { messages, concurrency } = options;
	const latencies: number[] = [];
	let next = 0;
	let answered = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < messages) {
				const i = options.firstCustomer + next++;
				const from = `23480${String(10_000_000 + i).padStart(8, "0")}`;
				const t0 = performance.now();
				await sendInbound(stack.whatsappAdminUrl, {
					phoneNumberId: DEMO_WHATSAPP.phoneNumberId,
					from,
					name: "Bench",
					message: { type: "text", body: "how much is the gele?" },
				});
				for (let waited = 0; waited < 30_000; waited += 20) {
					const sent = await listMessages(stack.whatsappAdminUrl, { phoneNumberId: DEMO_WHATSAPP.phoneNumberId, to: from });
					if (sent.some((m) => !m.failed)) {
						latencies.push(performance.now() - t0);
						answered++;
						break;
					}
					await sleep(20);
				}
			}
		}),
	);
	latencies.sort((a, b) => a - b);
	return {
		messages,
		concurrency,
		p50Ms: Math.round(percentile(latencies, 50)),
		p99Ms: Math.round(percentile(latencies, 99)),
		maxMs: Math.round(latencies.at(-1) ?? 0),
		answered,
	};
}
