import { ProblemError, problem } from "@oja/contracts";
import { SVIX_HEADERS, verifySvix } from "@oja/email";
import { routeGroup } from "../openapi/registry.ts";
import { sendResult } from "../validate.ts";

// Resend's webhooks (email.bounced, email.complained, …), signed the Svix way over the raw body.
// Checked here — all three headers, a timestamp within 5 minutes (a captured delivery cannot be
// replayed later), an HMAC compared in constant time — then applied by messaging in one
// statement (suppression list), which is quick enough to answer inside Resend's timeout. Only
// a verified body is parsed; the addresses in it are never logged.

/** Resend's events are a few KB; anything far larger is not one. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

export const resendWebhookRoutes = routeGroup().declare(
	{
		method: "post",
		path: "/webhooks/resend",
		operationId: "resendWebhook",
		summary: "Resend's email events (signed with Svix headers by Resend)",
		description:
			'Called by Resend, not by API clients. `svix-signature: v1,base64(HMAC-SHA256(svix-id + "." + svix-timestamp + "." + body, secret))`; deliveries older than 5 minutes are refused. Permanent bounces and complaints stop all further email to that address.',
		tags: ["webhooks"],
		rawBody: {
			description: "Resend's webhook body, exactly as signed",
			content: { "application/json": { schema: { type: "string", description: "A Resend event (JSON)" } } },
		},
		responses: { 200: { description: "Applied" } },
		problems: ["unauthorized", "payload-too-large", "bad-request", "service-unavailable"],
	},
	[],
	async (c) => {
		const secret = c.env.RESEND_WEBHOOK_SECRET;
		if (!secret) throw new ProblemError(problem("service-unavailable", "Email webhooks are not configured."));
		const declared = Number(c.req.header("content-length") ?? 0);
		if (declared > MAX_WEBHOOK_BYTES) throw new ProblemError(problem("payload-too-large", "Not a Resend event."));
		const raw = new Uint8Array(await c.req.arrayBuffer());
		if (raw.byteLength > MAX_WEBHOOK_BYTES) throw new ProblemError(problem("payload-too-large", "Not a Resend event."));
		const id = c.req.header(SVIX_HEADERS.id) ?? null;
		const verdict = await verifySvix(
			secret,
			{ id, timestamp: c.req.header(SVIX_HEADERS.timestamp) ?? null, signature: c.req.header(SVIX_HEADERS.signature) ?? null },
			raw,
		);
		if (!verdict.ok) {
			const detail =
				verdict.reason === "stale" ? "The delivery is too old (or from the future)." : "The signature does not match.";
			throw new ProblemError(problem("unauthorized", detail, { extensions: { code: `signature-${verdict.reason}` } }));
		}
		let event: unknown;
		try {
			event = JSON.parse(new TextDecoder().decode(raw));
		} catch {
			throw new ProblemError(problem("bad-request", "The body is not JSON."));
		}
		const result = await c.env.MESSAGING.applyEmailWebhook(event, id, { requestId: c.get("requestId") });
		if (!result.ok) return sendResult(c, result);
		return c.json({ received: true });
	},
).app;
