import { type Database, newId } from "@oja/db";
import { EmailMessage, emailHash, type ResendClient, renderEmail } from "@oja/email";
import { backoffSeconds, type RetryPolicy } from "@oja/events";
import { sql } from "drizzle-orm";
import { z } from "zod";

// oja-email: one message per email (EmailMessage), from identity (account emails) and from this
// Worker's order events. Each gets a row in email_log under the producer's key, so a redelivered
// message finds its row and sends nothing new; two deliveries racing would both send, and
// Resend's Idempotency-Key (the same key) answers the second with the first's id. Addresses on
// the suppression list are never sent to (logged as suppressed). 429 and 5xx are retried with
// exponential backoff (Resend's Retry-After when longer); the last attempt marks the row failed
// and is retried once more, which hands the message to oja-email-dlq for an operator.
// Logs carry the log row's id and the template, never the address, the link or the body.

export interface EmailDeps {
	db: Database;
	resend: ResendClient;
	/** EMAIL_FROM: `Name <address>` on a domain verified with Resend. */
	from: string;
	retry: RetryPolicy;
	/** max_retries + 1: a failure on this delivery is final. */
	maxAttempts: number;
	log: (line: Record<string, unknown>) => void;
}

interface LogRow {
	id: string;
	status: string;
	suppressed: boolean;
	[key: string]: unknown;
}

export async function consumeEmail(batch: MessageBatch<unknown>, deps: EmailDeps): Promise<void> {
	for (const message of batch.messages) {
		const parsed = EmailMessage.safeParse(message.body);
		if (!parsed.success) {
			// Retried, not dropped: a newer producer may send a template this consumer learns a moment later.
			deps.log({ level: "warn", msg: "email.invalid", messageId: message.id, attempt: message.attempts });
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
			continue;
		}
		try {
			const { outcome, id, retryAfterSeconds } = await sendOne(parsed.data, message.attempts, deps);
			deps.log({
				level: outcome === "retry" ? "warn" : "info",
				msg: "email.send",
				id,
				template: parsed.data.template,
				outcome,
				attempt: message.attempts,
			});
			if (outcome === "retry") {
				message.retry({ delaySeconds: Math.max(retryAfterSeconds, backoffSeconds(message.attempts, deps.retry)) });
			} else message.ack();
		} catch (error) {
			deps.log({
				level: "error",
				msg: "queue.retry",
				queue: batch.queue,
				messageId: message.id,
				attempt: message.attempts,
				error: error instanceof Error ? error.name : "unknown",
			});
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
		}
	}
}

type Outcome = "sent" | "suppressed" | "skipped" | "failed" | "retry";

async function sendOne(
	m: EmailMessage,
	attempt: number,
	deps: EmailDeps,
): Promise<{ outcome: Outcome; id: string; retryAfterSeconds: number }> {
	const toHash = await emailHash(m.to);
	// Find or create the row, and read the suppression list, in one round trip. The second
	// SELECT sees the statement's snapshot, so exactly one of the two branches returns the row.
	const found = await deps.db.execute<LogRow>(sql`
		WITH ins AS (
			INSERT INTO email_log (id, key, store_id, template, to_hash, status)
			VALUES (${newId("email")}, ${m.key}, ${m.storeId}, ${m.template}, ${toHash}, 'queued')
			ON CONFLICT (key) DO NOTHING
			RETURNING id, status
		), row AS (
			SELECT id, status FROM ins UNION ALL SELECT id, status FROM email_log WHERE key = ${m.key}
		)
		SELECT row.id, row.status, EXISTS (SELECT 1 FROM email_suppressions WHERE to_hash = ${toHash}) AS suppressed FROM row`);
	const row = found.rows[0];
	if (!row) throw new Error("email_log row missing");
	const done = (outcome: Outcome, retryAfterSeconds = 0) => ({ outcome, id: row.id, retryAfterSeconds });
	if (row.status !== "queued") return done("skipped");
	const mark = (status: string, fields: { providerId?: string; errorCode?: string } = {}) =>
		deps.db.execute(sql`
			UPDATE email_log SET status = ${status}, provider_id = coalesce(${fields.providerId ?? null}, provider_id),
				error_code = ${fields.errorCode ?? null}, attempts = attempts + 1, updated_at = now()
			WHERE id = ${row.id} AND status = 'queued'`);
	if (row.suppressed) {
		await mark("suppressed");
		return done("suppressed");
	}
	let rendered: ReturnType<typeof renderEmail>;
	try {
		rendered = renderEmail(m);
	} catch {
		// Only a bad link gets here (templates escape everything else): no retry will fix it.
		await mark("failed", { errorCode: "render" });
		return done("failed");
	}
	const result = await deps.resend.send(
		{ from: deps.from, to: m.to, ...rendered, tags: [{ name: "template", value: m.template }] },
		m.key,
	);
	if (result.ok) {
		await mark("sent", { providerId: result.id });
		return done("sent");
	}
	if (!result.retryable) {
		await mark("failed", { errorCode: result.name });
		return done("failed");
	}
	if (attempt < deps.maxAttempts) {
		await deps.db.execute(sql`
			UPDATE email_log SET attempts = attempts + 1, error_code = ${result.name}, updated_at = now()
			WHERE id = ${row.id} AND status = 'queued'`);
	} else await mark("failed", { errorCode: result.name });
	return done("retry", Math.ceil((result.retryAfterMs ?? 0) / 1000));
}

// Resend's webhooks (POST /webhooks/resend, verified by the gateway). Only what ends sending
// matters here: a permanent bounce or a complaint puts the address on the suppression list.
export const ResendWebhookEvent = z.looseObject({
	type: z.string().max(100),
	data: z.looseObject({
		email_id: z.string().max(100).optional(),
		to: z.array(z.string().max(320)).max(50).optional(),
		bounce: z.looseObject({ type: z.string().max(50).optional() }).optional(),
	}),
});
export type ResendWebhookEvent = z.infer<typeof ResendWebhookEvent>;

export async function applyResendEvent(
	db: Database,
	event: ResendWebhookEvent,
	deliveryId: string,
): Promise<{ suppressed: number }> {
	const permanentBounce = event.type === "email.bounced" && (event.data.bounce?.type ?? "Permanent") === "Permanent";
	const reason = permanentBounce ? "bounced" : event.type === "email.complained" ? "complained" : null;
	if (!reason) return { suppressed: 0 };
	let suppressed = 0;
	for (const address of event.data.to ?? []) {
		const rows = await db.execute(sql`
			INSERT INTO email_suppressions (to_hash, reason, provider_event_id)
			VALUES (${await emailHash(address)}, ${reason}, ${deliveryId}) ON CONFLICT (to_hash) DO NOTHING RETURNING 1`);
		suppressed += rows.rows.length;
	}
	return { suppressed };
}
