import { ProblemError, problem } from "@oja/contracts";
import { readDeliveryWebhook, WEBHOOK_SIGNATURE_HEADER } from "@oja/delivery";
import { routeGroup } from "../openapi/registry.ts";

// The courier's status callbacks (task assigned, picked up, delivered, cancelled, failed).
// Verified over the exact bytes received (HMAC-SHA256, compared in constant time by
// crypto.subtle.verify), then put on oja-delivery-events for commerce, which applies them to
// the order. Nothing here touches the database, so the provider gets its 200 within
// milliseconds and our slow path (order transitions, retries) never makes it time out and resend.
// A bad or missing signature is 401 and nothing is enqueued. Not rate limited per IP: the
// provider calls from a few addresses, and a forged call costs one HMAC.

export const deliveryWebhookRoutes = routeGroup().declare(
	{
		method: "post",
		path: "/webhooks/delivery",
		operationId: "deliveryWebhook",
		summary: "Courier status callback (signed by the delivery provider)",
		description:
			"Called by the courier, not by API clients. The body is a task event signed with `x-kwik-signature: hex(HMAC-SHA256(body, secret))`; the event is queued and applied to its order asynchronously (duplicates are ignored by eventId).",
		tags: ["webhooks"],
		rawBody: {
			description: "The provider's event, exactly as signed",
			content: { "application/json; charset=utf-8": { schema: { type: "string", description: "A task event (JSON)" } } },
		},
		responses: { 200: { description: "Accepted (queued, or a duplicate)" } },
		problems: ["unauthorized", "bad-request"],
	},
	[],
	async (c) => {
		// Bytes, decoded here: the signature covers them whatever content-type the sender claims.
		const raw = new TextDecoder().decode(await c.req.arrayBuffer());
		const reading = await readDeliveryWebhook(raw, c.req.header(WEBHOOK_SIGNATURE_HEADER) ?? null, c.env.DELIVERY_WEBHOOK_SECRET);
		if (!reading.ok) {
			if (reading.reason === "signature") throw new ProblemError(problem("unauthorized", "The signature does not match."));
			// Signed by the provider but not an event we understand: its contract changed.
			console.warn(JSON.stringify({ level: "warn", msg: "delivery.webhook_malformed", requestId: c.get("requestId") }));
			throw new ProblemError(problem("bad-request", "Not a delivery event this endpoint understands."));
		}
		await c.env.DELIVERY_EVENTS.send(reading.event, { contentType: "json" });
		return c.json({ received: true });
	},
).app;
