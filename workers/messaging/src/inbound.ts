import type { Database } from "@oja/db";
import { backoffSeconds, queueJson, type RetryPolicy } from "@oja/events";
import { type InboundMessage, normaliseDelivery } from "@oja/whatsapp";
import { storesForNumbers } from "./channels.ts";
import type { ReceiveOutcome } from "./conversation.ts";
import { applyStatus } from "./threads.ts";

// oja-whatsapp-inbound: Meta's webhook bodies, verified and enqueued raw by the gateway. Each
// body can hold several messages and statuses for several numbers. Messages go to their
// conversation's Durable Object in order; a number no store registered is logged and dropped.
// Statuses update delivery state (forward only). A status for a wamid not recorded yet (the
// send's answer and Meta's webhook raced) retries the body a few times; the messages in it are
// not acted on twice (each conversation remembers the wamids it handled).

export interface InboundDeps {
	db: Database;
	receive: (
		storeId: string,
		waId: string,
		store: import("./channels.ts").ChannelStore,
		message: InboundMessage,
	) => Promise<{ outcome: ReceiveOutcome }>;
	retry: RetryPolicy;
	log: (line: Record<string, unknown>) => void;
}

/** Attempts after which a status for an unknown wamid is given up on (logged, not dead-lettered). */
const UNKNOWN_STATUS_ATTEMPTS = 4;

export async function consumeInbound(batch: MessageBatch<unknown>, deps: InboundDeps): Promise<void> {
	for (const message of batch.messages) {
		const started = Date.now();
		try {
			const counts = await handleDelivery(message.body, message.attempts, deps);
			if (counts.unknownStatuses > 0 && message.attempts < UNKNOWN_STATUS_ATTEMPTS) {
				const delaySeconds = backoffSeconds(message.attempts, deps.retry);
				deps.log({ level: "info", msg: "whatsapp.status_early", messageId: message.id, attempt: message.attempts, delaySeconds });
				message.retry({ delaySeconds });
				continue;
			}
			deps.log({ level: "info", msg: "whatsapp.inbound", messageId: message.id, ...counts, ms: Date.now() - started });
			message.ack();
		} catch (error) {
			const delaySeconds = backoffSeconds(message.attempts, deps.retry);
			deps.log({
				level: "error",
				msg: "queue.retry",
				queue: batch.queue,
				messageId: message.id,
				attempt: message.attempts,
				delaySeconds,
				error: error instanceof Error ? error.name : "unknown",
				reason: error instanceof Error ? error.message.slice(0, 200) : undefined,
			});
			message.retry({ delaySeconds });
		}
	}
}

interface DeliveryCounts {
	messages: number;
	duplicates: number;
	dropped: number;
	statuses: number;
	unknownStatuses: number;
	skipped: number;
}

async function handleDelivery(body: unknown, attempt: number, deps: InboundDeps): Promise<DeliveryCounts> {
	let parsed: unknown;
	try {
		parsed = queueJson(body);
	} catch {
		// The gateway only enqueues signed JSON; anything else can never become readable.
		deps.log({ level: "warn", msg: "whatsapp.inbound_unreadable" });
		return { messages: 0, duplicates: 0, dropped: 0, statuses: 0, unknownStatuses: 0, skipped: 1 };
	}
	const delivery = normaliseDelivery(parsed);
	const counts: DeliveryCounts = {
		messages: 0,
		duplicates: 0,
		dropped: 0,
		statuses: 0,
		unknownStatuses: 0,
		skipped: delivery.skipped,
	};
	const numbers = [...new Set(delivery.events.map((e) => e.phoneNumberId))];
	const stores = await storesForNumbers(deps.db, numbers);
	for (const number of numbers) {
		if (!stores.has(number)) deps.log({ level: "warn", msg: "whatsapp.unknown_number", phoneNumberId: number });
	}
	for (const event of delivery.events) {
		const store = stores.get(event.phoneNumberId);
		if (!store) {
			counts.dropped++;
			continue;
		}
		if (event.kind === "status") {
			const outcome = await applyStatus(deps.db, event);
			counts.statuses++;
			if (outcome === "unknown") {
				counts.unknownStatuses++;
				if (attempt >= UNKNOWN_STATUS_ATTEMPTS)
					deps.log({ level: "warn", msg: "whatsapp.status_unknown_wamid", storeId: store.storeId });
			}
			continue;
		}
		const { outcome } = await deps.receive(store.storeId, event.waId, store, event);
		if (outcome === "duplicate") counts.duplicates++;
		else counts.messages++;
	}
	return counts;
}
