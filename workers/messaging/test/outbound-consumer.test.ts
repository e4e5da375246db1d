import { generateSecretBoxKey, seal } from "@oja/auth";
import type { Database } from "@oja/db";
import { type FakeQueueMessage, fakeQueueBatch, fakeQueueMessage } from "@oja/test-helpers/queue";
import type { GraphClient, OutboundContent } from "@oja/whatsapp";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { consumeOutbound, outboundBody } from "../src/outbound.ts";

// The oja-whatsapp-outbound consumer's scheduling, against a database that hands out every claim
// and a Graph API that records each send: different customers side by side, one customer's in
// order, and nothing overtaking a send that was deferred. Sending through the real Graph API
// sandbox (window, templates, statuses) is tested through the gateway in whatsapp.test.ts.

const STORE = "st_01TESTST0RE00000000000000";
const KEY = generateSecretBoxKey();
const SEALED = await seal(KEY, `${STORE}\nEAAG-test-token`);
const dialect = new PgDialect();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ulid = (n: number) => String(n).padStart(26, "0");
const msgId = (n: number) => `msg_${ulid(n)}`;
const cnvId = (n: number) => `cnv_${ulid(n)}`;

/** Message n goes to customer `to`; its text is `t<n>`. */
function database(recipients: Map<string, string>): Database {
	return {
		async execute(query: SQL) {
			const { sql, params } = dialect.sqlToQuery(query);
			if (!sql.includes("status = 'sending'")) return { rows: [] }; // markSent, markRetrying …
			const id = params.find((p) => typeof p === "string" && p.startsWith("msg_")) as string;
			const content: OutboundContent = { type: "text", text: id };
			return {
				rows: [
					{
						id,
						store_id: STORE,
						wa_id: recipients.get(id),
						content,
						attempts: 1,
						last_inbound_at: new Date().toISOString(),
						phone_number_id: "100200300400500",
						access_token_sealed: SEALED,
					},
				],
			};
		},
	} as unknown as Database;
}

const queued = (body: unknown) => fakeQueueMessage(body);

function graph(options: { slow?: string; deferred?: string } = {}) {
	const events: string[] = [];
	const client = {
		async send(_number: string, token: string, to: string, content: OutboundContent) {
			expect(token).toBe("EAAG-test-token");
			const id = content.type === "text" ? content.text : "?";
			events.push(`start ${to} ${id}`);
			await sleep(id === options.slow ? 40 : 2);
			events.push(`end ${to} ${id}`);
			if (id === options.deferred) return { ok: false, retryable: true, status: 429, code: "rate_limited", retryAfterMs: null };
			return { ok: true, wamid: `wamid.${id}` };
		},
	} as unknown as GraphClient;
	return { events, client };
}

async function consume(messages: FakeQueueMessage[], recipients: Map<string, string>, client: GraphClient) {
	await consumeOutbound(fakeQueueBatch("oja-whatsapp-outbound", messages), {
		db: database(recipients),
		graph: client,
		secretKey: KEY,
		retry: { baseDelaySeconds: 5, maxDelaySeconds: 900 },
		maxAttempts: 9,
		log: () => {},
	});
}

describe("WhatsApp outbound consumer", () => {
	it("sends different customers' messages side by side and one customer's in order", async () => {
		const recipients = new Map([
			[msgId(1), "2348011111111"],
			[msgId(2), "2348011111111"],
			[msgId(3), "2348022222222"],
		]);
		const g = graph({ slow: msgId(1) });
		const batch = [
			queued(outboundBody(msgId(1), cnvId(1))),
			queued(outboundBody(msgId(2), cnvId(1))),
			queued(outboundBody(msgId(3), cnvId(2))),
		];
		await consume(batch, recipients, g.client);
		const at = (e: string) => g.events.indexOf(e);
		expect(at(`end 2348022222222 ${msgId(3)}`)).toBeLessThan(at(`end 2348011111111 ${msgId(1)}`));
		expect(at(`end 2348011111111 ${msgId(1)}`)).toBeLessThan(at(`start 2348011111111 ${msgId(2)}`));
		expect(batch.map((m) => m.outcome)).toEqual(["ack", "ack", "ack"]);
	});

	it("retries a customer's later messages behind a deferred send instead of letting them overtake it", async () => {
		const recipients = new Map([
			[msgId(1), "2348011111111"],
			[msgId(2), "2348011111111"],
			[msgId(3), "2348022222222"],
		]);
		const g = graph({ deferred: msgId(1) });
		const batch = [
			queued(outboundBody(msgId(1), cnvId(1))),
			queued(outboundBody(msgId(2), cnvId(1))),
			queued(outboundBody(msgId(3), cnvId(2))),
		];
		await consume(batch, recipients, g.client);
		expect(batch.map((m) => m.outcome)).toEqual(["retry", "retry", "ack"]);
		expect(g.events.some((e) => e.includes(msgId(2)))).toBe(false);
	});

	it("still sends a message queued before conversations were carried, or with a malformed one, one after another", async () => {
		const recipients = new Map([
			[msgId(1), "2348011111111"],
			[msgId(2), "2348022222222"],
		]);
		const g = graph({ slow: msgId(1) });
		const batch = [queued({ id: msgId(1) }), queued({ id: msgId(2), conversation: "not-a-conversation" })];
		await consume(batch, recipients, g.client);
		expect(batch.map((m) => m.outcome)).toEqual(["ack", "ack"]);
		expect(g.events.indexOf(`end 2348011111111 ${msgId(1)}`)).toBeLessThan(g.events.indexOf(`start 2348022222222 ${msgId(2)}`));
	});
});
