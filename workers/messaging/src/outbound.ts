import type { Database } from "@oja/db";
import { backoffSeconds, keyedSerial, type RetryPolicy, retryWithBackoff, SkippedAfterFailure } from "@oja/events";
import { type GraphClient, needsOpenWindow } from "@oja/whatsapp";
import { z } from "zod";
import { openAccessToken } from "./channels.ts";
import { claimSend, markFailed, markRetrying, markSent } from "./threads.ts";

// oja-whatsapp-outbound: one queue message per row in conversation_messages (status queued).
// The row is claimed before sending, so a duplicate queue message or a second consumer sends
// nothing; Meta's wamid is stored so status webhooks can find it. 429 and 5xx are retried with
// exponential backoff (Meta's Retry-After when it gives one); after max_retries the queue
// dead-letters the message and the row is marked failed on its last attempt. Outside the
// 24-hour window only templates go out: anything else is failed as `window_closed` unsent.

const WINDOW_MS = 24 * 60 * 60 * 1000;
const OutboundMessage = z.object({
	id: z.string().regex(/^msg_[0-9A-Z]{26}$/),
	// The conversation it belongs to: a batch's messages for one customer go out in order,
	// different customers' side by side. Only a scheduling hint: a message without it (queued by
	// the previous version) or with a malformed one is still sent, in one shared line.
	conversation: z
		.string()
		.regex(/^cnv_[0-9A-Z]{26}$/)
		.optional()
		.catch(undefined),
});

/** What producers put on oja-whatsapp-outbound. */
export function outboundBody(id: string, conversationId: string): { id: string; conversation: string } {
	return { id, conversation: conversationId };
}

/** Thrown inside a conversation's line after a send was deferred, so its later messages wait too. */
class SendDeferred extends Error {}

export interface OutboundDeps {
	db: Database;
	graph: GraphClient;
	secretKey: string;
	retry: RetryPolicy;
	/** Deliveries the queue makes (max_retries + 1): a failure on the last one is final. */
	maxAttempts: number;
	log: (line: Record<string, unknown>) => void;
	now?: () => number;
}

export async function consumeOutbound(batch: MessageBatch<unknown>, deps: OutboundDeps): Promise<void> {
	// After a send in a conversation is deferred (retry) or fails unexpectedly, its later messages
	// in this batch are not sent either: they are retried behind it rather than overtaking it.
	const inConversation = keyedSerial();
	await Promise.all(
		batch.messages.map(async (message) => {
			const parsed = OutboundMessage.safeParse(message.body);
			if (!parsed.success) {
				deps.log({ level: "warn", msg: "whatsapp.outbound_invalid", messageId: message.id });
				message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
				return;
			}
			try {
				await inConversation(parsed.data.conversation ?? "", () => sendMessage(batch, message, parsed.data.id, deps));
			} catch (error) {
				if (error instanceof SkippedAfterFailure) {
					deps.log({
						level: "info",
						msg: "whatsapp.send",
						id: parsed.data.id,
						outcome: "behind-deferred",
						attempt: message.attempts,
					});
					message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
				} else if (!(error instanceof SendDeferred)) throw error;
			}
		}),
	);
}

/** Sends one message and acks or retries it; throws SendDeferred when it was retried. */
async function sendMessage(batch: MessageBatch<unknown>, message: Message<unknown>, id: string, deps: OutboundDeps) {
	const started = Date.now();
	let outcome: string;
	try {
		outcome = await sendOne(id, message.attempts, deps);
	} catch (error) {
		retryWithBackoff(batch.queue, message, deps.retry, deps.log, error);
		throw new SendDeferred();
	}
	deps.log({
		level: outcome.startsWith("retry") ? "warn" : "info",
		msg: "whatsapp.send",
		id,
		outcome,
		attempt: message.attempts,
		ms: Date.now() - started,
	});
	if (outcome.startsWith("retry")) {
		const after = Number(outcome.split(":")[1] ?? 0);
		message.retry({ delaySeconds: Math.max(after, backoffSeconds(message.attempts, deps.retry)) });
		throw new SendDeferred();
	}
	message.ack();
}

/** "sent", "skipped" (not ours or already sent), "failed:<code>" or "retry:<seconds>". */
async function sendOne(id: string, attempt: number, deps: OutboundDeps): Promise<string> {
	const claimed = await claimSend(deps.db, id);
	if (!claimed) return "skipped";
	if (!claimed.phoneNumberId || !claimed.accessTokenSealed) {
		await markFailed(deps.db, id, "no_channel");
		return "failed:no_channel";
	}
	const now = deps.now?.() ?? Date.now();
	const windowOpen = claimed.lastInboundAt !== null && now - Date.parse(claimed.lastInboundAt) < WINDOW_MS;
	if (needsOpenWindow(claimed.content) && !windowOpen) {
		await markFailed(deps.db, id, "window_closed");
		return "failed:window_closed";
	}
	const token = await openAccessToken(deps.secretKey, claimed.storeId, claimed.accessTokenSealed);
	const result = await deps.graph.send(claimed.phoneNumberId, token, claimed.waId, claimed.content);
	if (result.ok) {
		await markSent(deps.db, id, result.wamid);
		return "sent";
	}
	if (!result.retryable) {
		await markFailed(deps.db, id, result.code);
		return `failed:${result.code}`;
	}
	// The last attempt is marked failed in the thread and still retried, which hands the queue
	// message to the dead-letter queue for an operator.
	if (attempt < deps.maxAttempts) await markRetrying(deps.db, id, result.code);
	else await markFailed(deps.db, id, result.code);
	return `retry:${Math.ceil((result.retryAfterMs ?? 0) / 1000)}`;
}
