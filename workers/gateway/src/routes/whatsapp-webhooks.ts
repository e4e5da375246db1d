import { ProblemError, problem } from "@oja/contracts";
import { splitDelivery, verifyWhatsAppSignature, WHATSAPP_SIGNATURE_HEADER } from "@oja/whatsapp";
import { z } from "zod";
import { routeGroup } from "../openapi/registry.ts";
import { sendGrouped } from "../queue-group-send.ts";

// Meta's WhatsApp Cloud API webhooks.
//   GET:  the subscription handshake. hub.mode=subscribe and hub.verify_token equal to
//         WHATSAPP_VERIFY_TOKEN → 200 with hub.challenge as text/plain; anything else → 403.
//   POST: `X-Hub-Signature-256: sha256=hex(HMAC-SHA256(raw body, app secret))`, checked in
//         constant time over the exact bytes, then the raw body goes on oja-whatsapp-inbound
//         and Meta gets its 200. No database here: Meta retries slow webhooks and eventually
//         disables them. Bad or missing signature → 401, nothing enqueued. The body is only
//         read by the messaging Worker's consumer (envelope, store by phone_number_id, dedupe).

/** Meta batches up to ~1,000 updates per delivery; a few MB at most. Anything larger is not one. */
const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

/** Cloudflare Queues take at most 128 KB per message; larger deliveries are split (packages/whatsapp/src/split.ts). */
const QUEUE_MESSAGE_BYTES = 120 * 1024;

const encoder = new TextEncoder();

/** Constant-time string equality (HMAC both sides with a per-request key, then compare MACs). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
	const key = await crypto.subtle.importKey(
		"raw",
		crypto.getRandomValues(new Uint8Array(32)),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign", "verify"],
	);
	const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(expected));
	return crypto.subtle.verify("HMAC", key, mac, encoder.encode(given));
}

const HandshakeQuery = z.object({
	"hub.mode": z.string().max(50).optional(),
	"hub.verify_token": z.string().max(500).optional(),
	"hub.challenge": z.string().max(500).optional(),
});

export const whatsappWebhookRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/webhooks/whatsapp",
			operationId: "whatsappWebhookHandshake",
			summary: "Meta's webhook verification (hub.mode, hub.verify_token, hub.challenge)",
			tags: ["webhooks"],
			query: HandshakeQuery,
			responses: { 200: { description: "hub.challenge, as text/plain" } },
			problems: ["forbidden"],
		},
		[],
		async (c, { query }) => {
			const expected = c.env.WHATSAPP_VERIFY_TOKEN;
			const challenge = query["hub.challenge"];
			const ok =
				Boolean(expected) &&
				query["hub.mode"] === "subscribe" &&
				challenge !== undefined &&
				(await sameSecret(query["hub.verify_token"] ?? "", expected ?? ""));
			if (!ok) throw new ProblemError(problem("forbidden", "Verification failed."));
			return c.text(challenge as string, 200, { "content-type": "text/plain; charset=utf-8" });
		},
	)
	.declare(
		{
			method: "post",
			path: "/webhooks/whatsapp",
			operationId: "whatsappWebhook",
			summary: "WhatsApp messages and delivery statuses (signed by Meta with the app secret)",
			description:
				"Called by Meta, not by API clients. `X-Hub-Signature-256: sha256=hex(HMAC-SHA256(body, app secret))`; the body is queued and processed asynchronously: each message once (by its wamid), routed to the store that registered the receiving phone_number_id.",
			tags: ["webhooks"],
			rawBody: {
				description: "Meta's webhook body, exactly as signed",
				content: { "application/json": { schema: { type: "string", description: "A whatsapp_business_account update (JSON)" } } },
			},
			responses: { 200: { description: "Accepted (queued)" } },
			problems: ["unauthorized", "bad-request", "payload-too-large", "service-unavailable"],
		},
		[],
		async (c) => {
			const secret = c.env.WHATSAPP_APP_SECRET;
			if (!secret) throw new ProblemError(problem("service-unavailable", "WhatsApp webhooks are not configured."));
			const declared = Number(c.req.header("content-length") ?? 0);
			if (declared > MAX_WEBHOOK_BYTES) throw new ProblemError(problem("payload-too-large", "Not a WhatsApp update."));
			const raw = await c.req.arrayBuffer();
			if (raw.byteLength > MAX_WEBHOOK_BYTES) throw new ProblemError(problem("payload-too-large", "Not a WhatsApp update."));
			if (!(await verifyWhatsAppSignature(raw, c.req.header(WHATSAPP_SIGNATURE_HEADER) ?? null, secret))) {
				throw new ProblemError(problem("unauthorized", "The signature does not match."));
			}
			const text = new TextDecoder().decode(raw);
			if (raw.byteLength <= QUEUE_MESSAGE_BYTES) {
				// The exact text Meta signed; the consumer parses it.
				await sendGrouped(c.env.WHATSAPP_INBOUND, text, c.executionCtx);
				return c.json({ received: true });
			}
			// Over a queue message's limit: the same updates as several smaller deliveries.
			let envelope: unknown;
			try {
				envelope = JSON.parse(text);
			} catch {
				throw new ProblemError(problem("bad-request", "Not a WhatsApp update."));
			}
			for (const part of splitDelivery(envelope as Parameters<typeof splitDelivery>[0], QUEUE_MESSAGE_BYTES)) {
				await sendGrouped(c.env.WHATSAPP_INBOUND, JSON.stringify(part), c.executionCtx);
			}
			return c.json({ received: true });
		},
	).app;
