import { ProblemError, problem } from "@oja/contracts";
import { readPaystackWebhook } from "@oja/paystack";
import { routeGroup } from "../openapi/registry.ts";
import { sendGrouped } from "../queue-group-send.ts";

// Paystack's webhooks. Verified over the exact bytes received — x-paystack-signature must be
// hex(HMAC-SHA512(raw body, secret key)), compared in constant time (crypto.subtle.verify) —
// then the raw body is put on oja-paystack-events for the payments Worker (in one sendBatch with
// the isolate's other webhooks of the moment: queue-group-send.ts). Nothing here touches
// the database, so Paystack gets its 200 in milliseconds and never times out and resends
// because our slow path (verifying with Paystack, the order, the ledger) is slow.
//   401: bad or missing signature, or a source address outside PAYSTACK_WEBHOOK_IPS when that
//        allow-list is set (Paystack publishes the addresses it calls from); nothing enqueued.
//   400: correctly signed but not an event as Paystack documents it; logged, nothing enqueued.
//   200: queued, or an event Oja does not handle (acknowledged so Paystack stops sending it).

/** Paystack's events are a few KB; anything larger is not one. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

function allowedSource(allowList: string | undefined, ip: string | undefined): boolean {
	const allowed = (allowList ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	return allowed.length === 0 || (ip !== undefined && allowed.includes(ip));
}

export const paystackWebhookRoutes = routeGroup().declare(
	{
		method: "post",
		path: "/webhooks/paystack",
		operationId: "paystackWebhook",
		summary: "Paystack event (signed with the platform's secret key)",
		description:
			"Called by Paystack, not by API clients. `x-paystack-signature: hex(HMAC-SHA512(body, secret key))`; the event is queued and applied asynchronously, once per event and object.",
		tags: ["webhooks"],
		rawBody: {
			description: "Paystack's event, exactly as signed",
			content: { "application/json": { schema: { type: "string", description: "A Paystack event (JSON)" } } },
		},
		responses: { 200: { description: "Accepted (queued, or an event Oja does not handle)" } },
		problems: ["unauthorized", "bad-request", "payload-too-large", "service-unavailable"],
	},
	[],
	async (c) => {
		if (!allowedSource(c.env.PAYSTACK_WEBHOOK_IPS, c.req.header("cf-connecting-ip"))) {
			throw new ProblemError(problem("unauthorized", "Not a Paystack address."));
		}
		const declared = Number(c.req.header("content-length") ?? 0);
		if (declared > MAX_WEBHOOK_BYTES) throw new ProblemError(problem("payload-too-large", "Not a Paystack event."));
		const raw = await c.req.arrayBuffer();
		if (raw.byteLength > MAX_WEBHOOK_BYTES) {
			throw new ProblemError(problem("payload-too-large", "Not a Paystack event."));
		}
		const secret = c.env.PAYSTACK_SECRET_KEY;
		// Not configured (no secret key): refuse plainly rather than verify against nothing.
		if (!secret) throw new ProblemError(problem("service-unavailable", "Paystack webhooks are not configured."));
		const reading = await readPaystackWebhook(raw, c.req.header("x-paystack-signature") ?? null, secret);
		if (!reading.ok) {
			if (reading.reason === "signature") throw new ProblemError(problem("unauthorized", "The signature does not match."));
			console.warn(JSON.stringify({ level: "warn", msg: "paystack.webhook_malformed", requestId: c.get("requestId") }));
			throw new ProblemError(problem("bad-request", "Not a Paystack event this endpoint understands."));
		}
		if (reading.known) {
			// The raw text, not a re-serialisation: the consumer reads exactly what Paystack signed.
			await sendGrouped(c.env.PAYSTACK_EVENTS, new TextDecoder().decode(raw), c.executionCtx);
		} else {
			console.log(
				JSON.stringify({ level: "info", msg: "paystack.webhook_ignored", type: reading.type, requestId: c.get("requestId") }),
			);
		}
		return c.json({ received: true });
	},
).app;
