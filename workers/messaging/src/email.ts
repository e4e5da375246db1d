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
	key: string;
	id: string;
	status: string;
	suppressed: boolean;
	[key: string]: unknown;
}

type Outcome = "sent" | "suppressed" | "skipped" | "failed" | "retry";

/** What one email's attempt leaves on its log row; `queued` keeps it queued (a retry to come). */
interface RowUpdate {
	id: string;
	status: "sent" | "suppressed" | "failed" | "queued";
	provider_id: string | null;
	error_code: string | null;
}

/**
 * A batch costs two round trips whatever its size: one finds or creates every email's log row
 * and reads the suppression list, one records every outcome. The sends between them go one at a
 * time, as before (Resend's rate limit is per team, not per request). Before, each email was two
 * round trips of its own, and during a sale every order is an email or two.
 */
export async function consumeEmail(batch: MessageBatch<unknown>, deps: EmailDeps): Promise<void> {
	const retryLater = (message: Message<unknown>, error: string) => {
		deps.log({ level: "error", msg: "queue.retry", queue: batch.queue, messageId: message.id, attempt: message.attempts, error });
		message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
	};
	const valid: { message: Message<unknown>; email: EmailMessage; toHash: string }[] = [];
	for (const message of batch.messages) {
		const parsed = EmailMessage.safeParse(message.body);
		if (!parsed.success) {
			// Retried, not dropped: a newer producer may send a template this consumer learns a moment later.
			deps.log({ level: "warn", msg: "email.invalid", messageId: message.id, attempt: message.attempts });
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
			continue;
		}
		valid.push({ message, email: parsed.data, toHash: await emailHash(parsed.data.to) });
	}
	if (valid.length === 0) return;

	let rows: Map<string, LogRow>;
	try {
		rows = await logRows(deps.db, valid);
	} catch (error) {
		if (valid.length === 1) {
			for (const { message } of valid) retryLater(message, error instanceof Error ? error.name : "unknown");
			return;
		}
		// One email the statement refuses (a store since deleted, say) must not hold back the rest:
		// each is tried on its own, and only those that fail again are retried.
		rows = new Map();
		const kept: typeof valid = [];
		for (const one of valid) {
			try {
				for (const [key, row] of await logRows(deps.db, [one])) rows.set(key, row);
				kept.push(one);
			} catch (alone) {
				retryLater(one.message, alone instanceof Error ? alone.name : "unknown");
			}
		}
		valid.splice(0, valid.length, ...kept);
	}

	const updates: RowUpdate[] = [];
	const decided: { message: Message<unknown>; email: EmailMessage; outcome: Outcome; id: string; retryAfterSeconds: number }[] =
		[];
	// A key seen twice in one batch (a redelivery beside the original) is sent once.
	const handled = new Set<string>();
	for (const { message, email } of valid) {
		const row = rows.get(email.key);
		if (!row) {
			retryLater(message, "email_log row missing");
			continue;
		}
		const decide = (outcome: Outcome, update: Omit<RowUpdate, "id"> | null, retryAfterSeconds = 0) => {
			if (update) updates.push({ id: row.id, ...update });
			decided.push({ message, email, outcome, id: row.id, retryAfterSeconds });
		};
		if (row.status !== "queued" || handled.has(email.key)) {
			decide("skipped", null);
			continue;
		}
		handled.add(email.key);
		if (row.suppressed) {
			decide("suppressed", { status: "suppressed", provider_id: null, error_code: null });
			continue;
		}
		let rendered: ReturnType<typeof renderEmail>;
		try {
			rendered = renderEmail(email);
		} catch {
			// Only a bad link gets here (templates escape everything else): no retry will fix it.
			decide("failed", { status: "failed", provider_id: null, error_code: "render" });
			continue;
		}
		const result = await deps.resend.send(
			{ from: deps.from, to: email.to, ...rendered, tags: [{ name: "template", value: email.template }] },
			email.key,
		);
		if (result.ok) decide("sent", { status: "sent", provider_id: result.id, error_code: null });
		else if (!result.retryable) decide("failed", { status: "failed", provider_id: null, error_code: result.name });
		else {
			// The last attempt marks the row failed and is still retried once more, which hands the
			// message to oja-email-dlq for an operator.
			const status = message.attempts < deps.maxAttempts ? "queued" : "failed";
			decide("retry", { status, provider_id: null, error_code: result.name }, Math.ceil((result.retryAfterMs ?? 0) / 1000));
		}
	}

	try {
		await recordOutcomes(deps.db, updates);
	} catch (error) {
		// Nothing is acked: a redelivery finds its row still queued and sends again under the same
		// Idempotency-Key, which Resend answers with the first send's id.
		for (const { message } of decided) retryLater(message, error instanceof Error ? error.name : "unknown");
		return;
	}
	for (const { message, email, outcome, id, retryAfterSeconds } of decided) {
		deps.log({
			level: outcome === "retry" ? "warn" : "info",
			msg: "email.send",
			id,
			template: email.template,
			outcome,
			attempt: message.attempts,
		});
		if (outcome === "retry") {
			message.retry({ delaySeconds: Math.max(retryAfterSeconds, backoffSeconds(message.attempts, deps.retry)) });
		} else message.ack();
	}
}

/**
 * Every email's log row, found or created under its key, with whether its address is suppressed:
 * one statement. The SELECT from email_log sees the statement's snapshot, so for each key
 * exactly one of the two branches returns the row.
 */
async function logRows(db: Database, emails: { email: EmailMessage; toHash: string }[]): Promise<Map<string, LogRow>> {
	const input = JSON.stringify(
		emails.map(({ email, toHash }, position) => ({
			position,
			id: newId("email"),
			key: email.key,
			store_id: email.storeId,
			template: email.template,
			to_hash: toHash,
		})),
	);
	const found = await db.execute<LogRow>(sql`
		WITH input AS (
			SELECT DISTINCT ON (key) * FROM jsonb_to_recordset(${input}::jsonb)
				AS i(position int, id text, key text, store_id text, template text, to_hash text)
			ORDER BY key, position
		), ins AS (
			INSERT INTO email_log (id, key, store_id, template, to_hash, status)
			SELECT id, key, store_id, template, to_hash, 'queued' FROM input
			ON CONFLICT (key) DO NOTHING
			RETURNING id, key, status
		), row AS (
			SELECT id, key, status FROM ins
			UNION ALL SELECT l.id, l.key, l.status FROM email_log l JOIN input ON input.key = l.key
		)
		SELECT row.key, row.id, row.status,
			EXISTS (SELECT 1 FROM email_suppressions s JOIN input ON input.key = row.key WHERE s.to_hash = input.to_hash) AS suppressed
		FROM row`);
	return new Map(found.rows.map((r) => [r.key, r]));
}

/** Each attempt's outcome on its row, one statement for the batch; a row no longer queued is left alone. */
async function recordOutcomes(db: Database, updates: RowUpdate[]): Promise<void> {
	if (updates.length === 0) return;
	await db.execute(sql`
		UPDATE email_log l SET status = u.status, provider_id = coalesce(u.provider_id, l.provider_id),
			error_code = u.error_code, attempts = l.attempts + 1, updated_at = now()
		FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(id text, status text, provider_id text, error_code text)
		WHERE l.id = u.id AND l.status = 'queued'`);
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
