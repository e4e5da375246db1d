import type { Database } from "@oja/db";
import { backoffSeconds, keyedSerial, queueJson, type RetryPolicy, retryWithBackoff } from "@oja/events";
import { type InboundMessage, normaliseDelivery } from "@oja/whatsapp";
import { type ChannelStore, storesForNumbers } from "./channels.ts";
import type { ReceiveOutcome } from "./conversation.ts";
import { applyStatus } from "./threads.ts";

// oja-whatsapp-inbound: Meta's webhook bodies, verified and enqueued raw by the gateway. Each
// body can hold several messages and statuses for several numbers. A batch's conversations are
// handled side by side (a burst of customers writing at once is not answered one after another),
// each conversation's messages in the order the batch holds them; a number no store registered is
// logged and dropped. Statuses update delivery state (forward only, so their order does not
// matter). A status for a wamid not recorded yet (the send's answer and Meta's webhook raced)
// retries the body a few times; the messages in it are not acted on twice (each conversation
// remembers the wamids it handled).

export interface InboundDeps {
	db: Database;
	receive: (storeId: string, waId: string, store: ChannelStore, message: InboundMessage) => Promise<{ outcome: ReceiveOutcome }>;
	retry: RetryPolicy;
	log: (line: Record<string, unknown>) => void;
}

/** Attempts after which a status for an unknown wamid is given up on (logged, not dead-lettered). */
const UNKNOWN_STATUS_ATTEMPTS = 4;

export async function consumeInbound(batch: MessageBatch<unknown>, deps: InboundDeps): Promise<void> {
	const started = Date.now();
	const deliveries = batch.messages.map((message) => ({ message, delivery: readDelivery(message.body, deps) }));
	let stores: Map<string, ChannelStore>;
	try {
		// One lookup for the whole batch's numbers.
		const numbers = new Set(
			deliveries.flatMap(({ delivery }) => (delivery.ok ? (delivery.delivery?.events.map((e) => e.phoneNumberId) ?? []) : [])),
		);
		stores = await storesForNumbers(deps.db, [...numbers]);
		for (const number of numbers) {
			if (!stores.has(number)) deps.log({ level: "warn", msg: "whatsapp.unknown_number", phoneNumberId: number });
		}
	} catch (error) {
		for (const { message } of deliveries) retryLater(batch, message, deps, error);
		return;
	}
	// Each conversation's events run one after another, in batch order; conversations run side by
	// side. After a failure, the conversation's later events in this batch are not run: their
	// deliveries are retried with the failed one instead of overtaking it (and the conversation
	// skips wamids it already handled when they come back). Queues keep no order across batches
	// or retries, so this orders what one batch holds.
	const inConversation = keyedSerial();
	await Promise.all(
		deliveries.map(async ({ message, delivery }) => {
			if (!delivery.ok) {
				retryLater(batch, message, deps, delivery.error);
				return;
			}
			const handlingStarted = Date.now();
			let counts: DeliveryCounts;
			try {
				counts = await handleDelivery(delivery.delivery, message.attempts, stores, inConversation, deps);
			} catch (error) {
				retryLater(batch, message, deps, error);
				return;
			}
			if (counts.unknownStatuses > 0 && message.attempts < UNKNOWN_STATUS_ATTEMPTS) {
				const delaySeconds = backoffSeconds(message.attempts, deps.retry);
				deps.log({ level: "info", msg: "whatsapp.status_early", messageId: message.id, attempt: message.attempts, delaySeconds });
				message.retry({ delaySeconds });
				return;
			}
			deps.log({
				level: "info",
				msg: "whatsapp.inbound",
				messageId: message.id,
				...counts,
				ms: Date.now() - handlingStarted,
				batchMs: Date.now() - started,
			});
			message.ack();
		}),
	);
}

function retryLater(batch: MessageBatch<unknown>, message: Message<unknown>, deps: InboundDeps, error: unknown): void {
	retryWithBackoff(batch.queue, message, deps.retry, deps.log, error);
}

interface DeliveryCounts {
	messages: number;
	duplicates: number;
	dropped: number;
	statuses: number;
	unknownStatuses: number;
	skipped: number;
}

type ReadDelivery = { ok: true; delivery: ReturnType<typeof normaliseDelivery> | null } | { ok: false; error: unknown };

/**
 * The body normalised; null when it can never become readable (logged, acked). A body that is
 * JSON but not an envelope we know fails only its own message, which is retried and in the end
 * dead-lettered for an operator, as before batches were handled side by side.
 */
function readDelivery(body: unknown, deps: InboundDeps): ReadDelivery {
	let parsed: unknown;
	try {
		parsed = queueJson(body);
	} catch {
		// The gateway only enqueues signed JSON; anything else can never become readable.
		deps.log({ level: "warn", msg: "whatsapp.inbound_unreadable" });
		return { ok: true, delivery: null };
	}
	try {
		return { ok: true, delivery: normaliseDelivery(parsed) };
	} catch (error) {
		return { ok: false, error };
	}
}

async function handleDelivery(
	delivery: ReturnType<typeof normaliseDelivery> | null,
	attempt: number,
	stores: Map<string, ChannelStore>,
	inConversation: <T>(key: string, task: () => Promise<T>) => Promise<T>,
	deps: InboundDeps,
): Promise<DeliveryCounts> {
	const counts: DeliveryCounts = {
		messages: 0,
		duplicates: 0,
		dropped: 0,
		statuses: 0,
		unknownStatuses: 0,
		skipped: delivery ? delivery.skipped : 1,
	};
	if (!delivery) return counts;
	// Every event is settled before the delivery is acked or retried: a failure must not end the
	// invocation while another customer's conversation is still mid-answer.
	const settled = await Promise.allSettled(
		delivery.events.map(async (event) => {
			const store = stores.get(event.phoneNumberId);
			if (!store) {
				counts.dropped++;
				return;
			}
			if (event.kind === "status") {
				const outcome = await applyStatus(deps.db, event);
				counts.statuses++;
				if (outcome === "unknown") {
					counts.unknownStatuses++;
					if (attempt >= UNKNOWN_STATUS_ATTEMPTS)
						deps.log({ level: "warn", msg: "whatsapp.status_unknown_wamid", storeId: store.storeId });
				}
				return;
			}
			const { outcome } = await inConversation(`${store.storeId}:${event.waId}`, () =>
				deps.receive(store.storeId, event.waId, store, event),
			);
			if (outcome === "duplicate") counts.duplicates++;
			else counts.messages++;
		}),
	);
	const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
	if (failure) throw failure.reason;
	return counts;
}
