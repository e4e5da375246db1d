import type { Database } from "@oja/db";
import { type FakeQueueMessage, fakeQueueBatch, fakeQueueMessage } from "@oja/test-helpers/queue";
import { type InboundMessage, inboundMessageEnvelope } from "@oja/whatsapp";
import { describe, expect, it } from "vitest";
import type { ChannelStore } from "../src/channels.ts";
import { consumeInbound } from "../src/inbound.ts";

// The oja-whatsapp-inbound consumer's scheduling, against a conversation that records when each
// message was handled: a batch's conversations side by side, each one's messages in order. The
// whole path (signed webhook → queue → conversation → reply) is tested through the gateway in
// workers/gateway/test/whatsapp.test.ts, a burst of customers included.

const NUMBER = "100200300400500";
const STORE: ChannelStore = { storeId: "st_01TESTST0RE00000000000000", slug: "demo", name: "Demo", currency: "NGN" };

/** The channel lookup is the only SQL the consumer makes for messages: one number is registered. */
const db = {
	async execute() {
		return { rows: [{ phone_number_id: NUMBER, store_id: STORE.storeId, slug: STORE.slug, name: STORE.name, currency: "NGN" }] };
	},
} as unknown as Database;

function delivery(id: string, waId: string, texts: string[], phoneNumberId = NUMBER): FakeQueueMessage {
	return fakeQueueMessage(
		JSON.stringify(
			inboundMessageEnvelope(
				{ phoneNumberId, displayPhoneNumber: "2348000000000", waId, name: "Shopper" },
				texts.map((body) => ({ type: "text" as const, body, wamid: `wamid.${waId}.${body}` })),
			),
		),
		id,
	);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingConversations(options: { slow?: string; fail?: string } = {}) {
	const events: string[] = [];
	const receive = async (_storeId: string, waId: string, _store: ChannelStore, message: InboundMessage) => {
		const text = message.content.type === "text" ? message.content.text : message.content.type;
		events.push(`start ${waId} ${text}`);
		await sleep(text === options.slow ? 40 : 2);
		events.push(`end ${waId} ${text}`);
		if (text === options.fail) throw new Error("conversation unavailable");
		return { outcome: "replied" as never };
	};
	return { events, receive };
}

async function consume(messages: FakeQueueMessage[], receive: ReturnType<typeof recordingConversations>["receive"]) {
	const logs: Record<string, unknown>[] = [];
	await consumeInbound(fakeQueueBatch("oja-whatsapp-inbound", messages), {
		db,
		receive,
		retry: { baseDelaySeconds: 5, maxDelaySeconds: 900 },
		log: (line) => logs.push(line),
	});
	return logs;
}

describe("WhatsApp inbound consumer", () => {
	it("handles a batch's conversations side by side and each conversation's messages in delivery order", async () => {
		const conversations = recordingConversations({ slow: "a1" });
		const batch = [
			delivery("m1", "2348011111111", ["a1"]),
			delivery("m2", "2348022222222", ["b1"]),
			delivery("m3", "2348011111111", ["a2", "a3"]),
			delivery("m4", "2348033333333", ["c1"]),
		];
		await consume(batch, conversations.receive);
		const at = (e: string) => conversations.events.indexOf(e);
		// a1 is slow: the other customers are answered meanwhile, not after it.
		expect(at("end 2348022222222 b1")).toBeLessThan(at("end 2348011111111 a1"));
		expect(at("end 2348033333333 c1")).toBeLessThan(at("end 2348011111111 a1"));
		// One customer's messages never overlap or reorder.
		expect(at("end 2348011111111 a1")).toBeLessThan(at("start 2348011111111 a2"));
		expect(at("end 2348011111111 a2")).toBeLessThan(at("start 2348011111111 a3"));
		expect(batch.map((m) => m.outcome)).toEqual(["ack", "ack", "ack", "ack"]);
	});

	it("retries the delivery whose conversation failed with that conversation's later ones, and answers the rest", async () => {
		const conversations = recordingConversations({ fail: "a1" });
		const batch = [
			delivery("m1", "2348011111111", ["a1"]),
			delivery("m2", "2348011111111", ["a2"]),
			delivery("m3", "2348022222222", ["b1"]),
		];
		const logs = await consume(batch, conversations.receive);
		// a2 does not overtake a1: it waits for a1's retry.
		expect(batch.map((m) => m.outcome)).toEqual(["retry", "retry", "ack"]);
		expect(conversations.events).not.toContain("start 2348011111111 a2");
		expect(conversations.events).toContain("end 2348022222222 b1");
		// Logged by name and code, never by message (an error's message can quote SQL parameters).
		const retried = logs.filter((l) => l.msg === "queue.retry");
		expect(retried.map((l) => l.messageId)).toEqual(["m1", "m2"]);
		expect(JSON.stringify(retried)).not.toContain("conversation unavailable");
	});

	it("retries a JSON body that is no WhatsApp envelope on its own, without failing the batch", async () => {
		const conversations = recordingConversations();
		const notAnEnvelope = fakeQueueMessage(JSON.stringify({ object: "page", entry: [] }), "m0");
		const batch = [notAnEnvelope, delivery("m1", "2348011111111", ["a1"])];
		await consume(batch, conversations.receive);
		expect(batch.map((m) => m.outcome)).toEqual(["retry", "ack"]);
		expect(conversations.events).toEqual(["start 2348011111111 a1", "end 2348011111111 a1"]);
	});

	it("drops a number no store registered and acks an unreadable body, without holding up the rest", async () => {
		const conversations = recordingConversations();
		const unreadable = fakeQueueMessage("not json", "m0");
		const batch = [
			unreadable,
			delivery("m1", "2348099999999", ["lost"], "999888777666555"),
			delivery("m2", "2348011111111", ["a1"]),
		];
		const logs = await consume(batch, conversations.receive);
		expect(batch.map((m) => m.outcome)).toEqual(["ack", "ack", "ack"]);
		expect(conversations.events).toEqual(["start 2348011111111 a1", "end 2348011111111 a1"]);
		expect(logs).toContainEqual({ level: "warn", msg: "whatsapp.unknown_number", phoneNumberId: "999888777666555" });
		expect(logs.find((l) => l.messageId === "m1")).toMatchObject({ msg: "whatsapp.inbound", dropped: 1, messages: 0 });
	});
});
