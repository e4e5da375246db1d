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
import { type IngestResult, measureIngest } from "./ingest.ts";

export interface MessagingResult {
	ingest: IngestResult;
	helloWorld: { perSecond: number };
	ingestRatio: number;
	replyLatency: { messages: number; concurrency: number; p50Ms: number; p99Ms: number; maxMs: number; answered: number };
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

	// 1. Inbound to reply: customers ask the demo store a price question, `concurrency` at a time;
	// each is timed from the sandbox's webhook POST until the sandbox's Graph API has the reply.
	const messages = 100;
	const concurrency = 4;
	const latencies: number[] = [];
	let next = 0;
	let answered = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < messages) {
				const i = next++;
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
	const replyLatency = {
		messages,
		concurrency,
		p50Ms: Math.round(percentile(latencies, 50)),
		p99Ms: Math.round(percentile(latencies, 99)),
		maxMs: Math.round(latencies.at(-1) ?? 0),
		answered,
	};
	log(`messaging: inbound to reply ${JSON.stringify(replyLatency)}`);
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
	return { ...measured, replyLatency };
}
