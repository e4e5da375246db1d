// Fake queue messages for calling a consumer directly; no Workers imports, so any test can use them.
/** A queue message as a consumer sees it, recording whether it was acked or retried. */
export interface FakeQueueMessage {
	id: string;
	body: unknown;
	attempts: number;
	outcome?: "ack" | "retry";
	ack(): void;
	retry(options?: QueueRetryOptions): void;
}

export function fakeQueueMessage(body: unknown, id: string = crypto.randomUUID()): FakeQueueMessage {
	const message: FakeQueueMessage = {
		id,
		body,
		attempts: 1,
		ack: () => {
			message.outcome = "ack";
		},
		retry: () => {
			message.outcome = "retry";
		},
	};
	return message;
}

/** A batch of fake messages for calling a consumer directly. */
export function fakeQueueBatch(queue: string, messages: FakeQueueMessage[]): MessageBatch<unknown> {
	return { queue, messages } as unknown as MessageBatch<unknown>;
}
