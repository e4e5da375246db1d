// WhatsApp end to end, in workerd, through the gateway: Meta's webhook (signed like Meta) →
// oja-whatsapp-inbound → the store's Conversation Durable Object → the assistant → Postgres
// and oja-whatsapp-outbound → the Graph API sandbox. Queues run for real here, so assertions
// wait for what the customer would see on their phone (the sandbox's recorded sends).
import { env } from "cloudflare:workers";
import { completePayment } from "@oja/paystack-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, signUpMerchant, testDb } from "@oja/test-helpers";
import { type InboundMessageInput, inboundMessageEnvelope, signWhatsAppBody, statusEnvelope } from "@oja/whatsapp";
import { injectFailure, listMessages, type RecordedMessage, registerNumber, setWindow } from "@oja/whatsapp-sandbox/admin";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openShop, type Shop } from "./commerce-fixtures.ts";
import { chargeDelivery, postPaystackWebhook } from "./payment-fixtures.ts";

const admin = () => env.TEST_WHATSAPP_ADMIN;
const appSecret = () => (env as unknown as { WHATSAPP_APP_SECRET: string }).WHATSAPP_APP_SECRET;

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join("");
const newWaId = () => `234${8 + Math.floor(Math.random() * 2)}${digits(9)}`;

interface Channel {
	shop: Shop;
	phoneNumberId: string;
	display: string;
	accessToken: string;
}

/** A store selling a gele (₦12,500) with the usual delivery options, connected to a sandbox number. */
async function whatsappShop(): Promise<Channel> {
	const shop = await openShop([5]);
	await jsonOf(
		await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/products`, {
			title: "Gele Headtie",
			status: "active",
			variants: [{ priceMinor: 1_250_000, inventory: { onHand: 10 } }],
		}),
		201,
	);
	const phoneNumberId = `10${digits(13)}`;
	const display = `+234 1 ${digits(7)}`;
	const accessToken = `EAAG${digits(40)}`;
	await registerNumber(admin(), { phoneNumberId, displayPhoneNumber: display, accessToken });
	await jsonOf(
		await asMerchant(shop.m, "PUT", `/v1/stores/${shop.m.storeId}/channels/whatsapp`, {
			phoneNumberId,
			displayPhoneNumber: display,
			accessToken,
		}),
	);
	return { shop, phoneNumberId, display, accessToken };
}

async function postSigned(body: string, signature?: string | null): Promise<Response> {
	const headers: Record<string, string> = { "content-type": "application/json" };
	const sig = signature === undefined ? await signWhatsAppBody(body, appSecret()) : signature;
	if (sig !== null) headers["x-hub-signature-256"] = sig;
	return gateway("/webhooks/whatsapp", { method: "POST", headers, body });
}

/** The customer writes (Meta's envelope, signed with the app secret), as Meta would deliver it. */
async function customerSays(
	ch: Channel,
	waId: string,
	message: InboundMessageInput,
	options: { name?: string; at?: Date } = {},
): Promise<{ wamid: string; body: string }> {
	const at = options.at ?? new Date();
	// The sandbox's Graph API enforces Meta's window on its side too: the customer wrote just now.
	await setWindow(admin(), { phoneNumberId: ch.phoneNumberId, waId, lastInboundAt: at.toISOString() });
	const wamid = message.wamid ?? `wamid.${digits(30)}`;
	const body = JSON.stringify(
		inboundMessageEnvelope(
			{ phoneNumberId: ch.phoneNumberId, displayPhoneNumber: ch.display.replace(/\D/g, ""), waId, name: options.name ?? "Ada" },
			[{ ...message, wamid, timestamp: Math.floor(at.getTime() / 1000) }],
		),
	);
	const res = await postSigned(body);
	expect(res.status).toBe(200);
	return { wamid, body };
}

const sentTo = async (ch: Channel, waId: string): Promise<RecordedMessage[]> =>
	(await listMessages(admin(), { phoneNumberId: ch.phoneNumberId, to: waId })).filter((m) => !m.failed);

/** Waits until the customer has received `count` messages; answers them all. */
function received(ch: Channel, waId: string, count: number, timeoutMs = 15_000): Promise<RecordedMessage[]> {
	return eventually(
		async () => {
			const sent = await sentTo(ch, waId);
			return sent.length >= count ? sent : undefined;
		},
		timeoutMs,
		`${count} message(s) to ${waId}`,
	);
}

/** What the Graph API received (the Cloud API's send body). */
interface GraphPayload {
	type: string;
	text?: { body: string };
	interactive?: {
		type: "list" | "button";
		body: { text: string };
		action: {
			sections?: { rows: { id: string; title: string; description?: string }[] }[];
			buttons?: { reply: { id: string; title: string } }[];
		};
	};
	template?: unknown;
}
const payload = (m: RecordedMessage | undefined): GraphPayload => JSON.parse(m?.body ?? "{}") as GraphPayload;
const textOf = (m: RecordedMessage | undefined): string => {
	const p = payload(m);
	return p.text?.body ?? p.interactive?.body.text ?? JSON.stringify(p.template);
};
const rowsOf = (m: RecordedMessage | undefined) => payload(m).interactive?.action.sections?.[0]?.rows ?? [];
const buttonIdsOf = (m: RecordedMessage | undefined) => (payload(m).interactive?.action.buttons ?? []).map((b) => b.reply.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function conversationOf(ch: Channel, waId: string): Promise<{ id: string; handler: string; unreadCount: number }> {
	const list = await jsonOf<{ items: { id: string; waId: string; handler: string; unreadCount: number }[] }>(
		await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/conversations`),
	);
	const found = list.items.find((c) => c.waId === waId);
	if (!found) throw new Error(`no conversation with ${waId}`);
	return found;
}

describe("Meta's webhook verification handshake", () => {
	const handshake = (q: string) => gateway(`/webhooks/whatsapp?${q}`);
	it("echoes hub.challenge as text/plain for the configured verify token", async () => {
		const res = await handshake("hub.mode=subscribe&hub.verify_token=test-verify-token-0123456789&hub.challenge=1158201444");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
		expect(await res.text()).toBe("1158201444");
	});
	it("refuses a wrong token, a wrong mode, or missing fields with 403", async () => {
		for (const q of [
			"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
			"hub.mode=unsubscribe&hub.verify_token=test-verify-token-0123456789&hub.challenge=1",
			"hub.mode=subscribe&hub.challenge=1",
			"hub.mode=subscribe&hub.verify_token=test-verify-token-0123456789",
			"",
		]) {
			expect((await handshake(q)).status, q).toBe(403);
		}
	});
});

describe("inbound messages", () => {
	it("refuses forged, missing and re-serialised signatures with 401 and enqueues nothing", async () => {
		const ch = await whatsappShop();
		const forgedCustomer = newWaId();
		const body = JSON.stringify(
			inboundMessageEnvelope({ phoneNumberId: ch.phoneNumberId, displayPhoneNumber: "2341", waId: forgedCustomer }, [
				{ type: "text", body: "hello" },
			]),
		);
		const good = await signWhatsAppBody(body, appSecret());
		await problemOf(await postSigned(body, null), 401);
		await problemOf(await postSigned(body, `sha256=${"0".repeat(64)}`), 401);
		await problemOf(await postSigned(body, good.replace("sha256=", "sha1=")), 401);
		await problemOf(await postSigned(body, await signWhatsAppBody(body, "another-app-secret")), 401);
		// Re-serialised (pretty-printed) JSON is not the bytes that were signed.
		await problemOf(await postSigned(JSON.stringify(JSON.parse(body), null, 2), good), 401);
		// A genuine message from someone else goes through; the forged ones never arrived.
		const other = newWaId();
		await customerSays(ch, other, { type: "text", body: "hi" });
		await received(ch, other, 1);
		const rows = await testDb().execute(sql`SELECT 1 FROM conversations WHERE wa_id = ${forgedCustomer}`);
		expect(rows.rows).toHaveLength(0);
	});

	it("answers a real-format text through the queues: price in naira, thread in the inbox", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "how much is the gele?" });
		const [answer] = await received(ch, waId, 1);
		expect(answer?.phoneNumberId).toBe(ch.phoneNumberId);
		expect(textOf(answer as RecordedMessage)).toContain("Gele Headtie");
		expect(textOf(answer as RecordedMessage)).toContain("₦12,500");
		const conversation = await conversationOf(ch, waId);
		expect(conversation.handler).toBe("assistant");
		expect(conversation.unreadCount).toBe(1);
		const thread = await jsonOf<{ items: { direction: string; author: string; status: string; preview: string }[] }>(
			await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/conversations/${conversation.id}/messages`),
		);
		expect(thread.items.map((m) => [m.direction, m.author])).toEqual([
			["in", "customer"],
			["out", "assistant"],
		]);
		expect(thread.items[0]?.preview).toBe("how much is the gele?");
		await eventually(async () => {
			const again = await jsonOf<{ items: { status: string }[] }>(
				await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/conversations/${conversation.id}/messages`),
			);
			return again.items[1]?.status === "sent" ? true : undefined;
		});
	});

	it("answers each of several customers writing at the same moment, once each", async () => {
		// Their deliveries share a sendBatch in the gateway (queue-group-send.ts).
		const ch = await whatsappShop();
		const customers = Array.from({ length: 6 }, () => newWaId());
		await Promise.all(customers.map((waId) => customerSays(ch, waId, { type: "text", body: "how much is the gele?" })));
		for (const waId of customers) {
			const [answer] = await received(ch, waId, 1);
			expect(textOf(answer as RecordedMessage)).toContain("₦12,500");
		}
		await sleep(1500);
		for (const waId of customers) expect(await sentTo(ch, waId)).toHaveLength(1);
	});

	it("answers a duplicated delivery once (same body twice, and the same wamid in another delivery)", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		const { body, wamid } = await customerSays(ch, waId, { type: "text", body: "how much is the gele" });
		expect((await postSigned(body)).status).toBe(200);
		await customerSays(ch, waId, { type: "text", body: "how much is the gele", wamid });
		await received(ch, waId, 1);
		await sleep(3000);
		expect(await sentTo(ch, waId)).toHaveLength(1);
		const rows = await testDb().execute(sql`SELECT count(*)::int AS n FROM conversation_messages WHERE wamid = ${wamid}`);
		expect(rows.rows[0]).toEqual({ n: 1 });
	});

	it("drops messages for a phone_number_id no store registered, never defaulting to a store", async () => {
		const ch = await whatsappShop();
		const stranger = newWaId();
		const body = JSON.stringify(
			inboundMessageEnvelope({ phoneNumberId: `99${digits(13)}`, displayPhoneNumber: "2341", waId: stranger }, [
				{ type: "text", body: "how much is the gele?" },
			]),
		);
		expect((await postSigned(body)).status).toBe(200);
		// A message to the registered number after it is answered, so the queue has passed the stranger's.
		const known = newWaId();
		await customerSays(ch, known, { type: "text", body: "hi" });
		await received(ch, known, 1);
		await sleep(1000);
		const rows = await testDb().execute(sql`SELECT 1 FROM conversations WHERE wa_id = ${stranger}`);
		expect(rows.rows).toHaveLength(0);
	});

	it("handles several messages and statuses in one delivery", async () => {
		const ch = await whatsappShop();
		const [a, b] = [newWaId(), newWaId()];
		for (const waId of [a, b])
			await setWindow(admin(), { phoneNumberId: ch.phoneNumberId, waId, lastInboundAt: new Date().toISOString() });
		const first = inboundMessageEnvelope({ phoneNumberId: ch.phoneNumberId, displayPhoneNumber: "2341", waId: a }, [
			{ type: "text", body: "hello" },
		]) as { entry: { changes: { value: Record<string, unknown[]> }[] }[] };
		const second = inboundMessageEnvelope({ phoneNumberId: ch.phoneNumberId, displayPhoneNumber: "2341", waId: b }, [
			{ type: "text", body: "how much is the gele" },
		]) as typeof first;
		const statuses = statusEnvelope(ch.phoneNumberId, "2341", [
			{ wamid: `wamid.${digits(20)}`, status: "delivered", recipientWaId: a },
		]) as typeof first;
		first.entry[0]?.changes.push(...(second.entry[0]?.changes ?? []), ...(statuses.entry[0]?.changes ?? []));
		expect((await postSigned(JSON.stringify(first))).status).toBe(200);
		await received(ch, a, 1);
		await received(ch, b, 1);
	});
});

describe("a delivery larger than a queue message", () => {
	it("is split into several and every update in it is handled", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await setWindow(admin(), { phoneNumberId: ch.phoneNumberId, waId, lastInboundAt: new Date().toISOString() });
		// 200 long messages to a number nobody registered, then one to this store's number.
		const filler = inboundMessageEnvelope(
			{ phoneNumberId: `98${digits(13)}`, displayPhoneNumber: "2341", waId: newWaId() },
			Array.from({ length: 200 }, (_, i) => ({ type: "text" as const, body: `${"x".repeat(1000)} ${i}` })),
		) as { entry: { changes: unknown[] }[] };
		const ours = inboundMessageEnvelope({ phoneNumberId: ch.phoneNumberId, displayPhoneNumber: "2341", waId }, [
			{ type: "text", body: "how much is the gele?" },
		]) as typeof filler;
		filler.entry[0]?.changes.push(...(ours.entry[0]?.changes ?? []));
		const body = JSON.stringify(filler);
		expect(body.length).toBeGreaterThan(128 * 1024);
		expect((await postSigned(body)).status).toBe(200);
		const [answer] = await received(ch, waId, 1);
		expect(textOf(answer)).toContain("₦12,500");
	});
});

describe("the store's live feed", () => {
	it("pushes the conversation's inbox row when a customer writes and when staff take over", async () => {
		const ch = await whatsappShop();
		const res = await gateway(`/v1/stores/${ch.shop.m.storeId}/orders/live`, {
			headers: { upgrade: "websocket", authorization: `Bearer ${ch.shop.m.token}` },
		});
		expect(res.status).toBe(101);
		const ws = res.webSocket as WebSocket;
		const received: { type: string; conversation?: { id: string; waId: string; handler: string; lastMessagePreview: string } }[] =
			[];
		ws.addEventListener("message", (event) => {
			if (String(event.data) !== "pong") received.push(JSON.parse(String(event.data)));
		});
		ws.accept();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "how much is the gele?" });
		const pushed = await eventually(async () => received.find((m) => m.type === "conversation" && m.conversation?.waId === waId));
		expect(pushed.conversation?.lastMessagePreview).toBeTruthy();
		await asMerchant(ch.shop.m, "POST", `/v1/stores/${ch.shop.m.storeId}/conversations/${pushed.conversation?.id}/assign`, {});
		await eventually(async () =>
			received.find((m) => m.type === "conversation" && m.conversation?.waId === waId && m.conversation.handler === "staff"),
		);
		// Another store's feed hears nothing of it.
		const other = await signUpMerchant();
		const theirs = await gateway(`/v1/stores/${other.storeId}/orders/live`, {
			headers: { upgrade: "websocket", authorization: `Bearer ${other.token}` },
		});
		const theirSocket = theirs.webSocket as WebSocket;
		const heard: string[] = [];
		theirSocket.addEventListener("message", (event) => heard.push(String(event.data)));
		theirSocket.accept();
		await customerSays(ch, waId, { type: "text", body: "hello?" });
		await eventually(async () => (received.filter((m) => m.type === "conversation").length >= 3 ? true : undefined));
		expect(heard.filter((m) => m.includes("conversation"))).toEqual([]);
		ws.close();
		theirSocket.close();
	});
});

describe("a purchase in chat", () => {
	it("search → pick from the list → add → checkout link → pay in the Paystack sandbox → order confirmed", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "do you have gele?" }, { name: "Bisi" });
		const [list] = await received(ch, waId, 1);
		expect(payload(list).interactive?.type).toBe("list");
		const row = rowsOf(list).find((r) => r.title === "Gele Headtie");
		if (!row) throw new Error("the gele is not listed");
		expect(row.description).toContain("₦12,500");

		await customerSays(ch, waId, { type: "list_reply", id: row.id, title: row.title });
		const [, cart] = await received(ch, waId, 2);
		expect(textOf(cart)).toContain("1 × Gele Headtie: ₦12,500");
		expect(buttonIdsOf(cart)).toContain("checkout");

		await customerSays(ch, waId, { type: "button_reply", id: "checkout", title: "Checkout" });
		const [, , delivery] = await received(ch, waId, 3);
		const pickup = rowsOf(delivery).find((r) => r.title.startsWith("Pick up"));
		expect(pickup?.id).toBe(`dlv:${ch.shop.pickup}`);

		await customerSays(ch, waId, { type: "list_reply", id: pickup?.id as string, title: pickup?.title as string });
		const [, , , link] = await received(ch, waId, 4);
		const linkText = textOf(link as RecordedMessage);
		expect(linkText).toMatch(/Order #\d+ is placed: ₦12,500 in all/);
		const url = /https?:\/\/\S+/.exec(linkText)?.[0] as string;
		expect(url).toContain("/checkout/");

		// The order exists, reserved, for the customer's WhatsApp number.
		const order = await testDb().execute<{ id: string; phone: string; status: string; total_minor: string }>(
			sql`SELECT id, phone, status, total_minor FROM orders WHERE store_id = ${ch.shop.m.storeId} AND phone = ${`+${waId}`}`,
		);
		expect(order.rows).toHaveLength(1);
		expect(order.rows[0]).toMatchObject({ status: "pending_payment" });
		expect(Number(order.rows[0]?.total_minor)).toBe(1_250_000);

		// The shopper pays on Paystack's page; Paystack's webhook reaches the gateway.
		const back = await completePayment(url, "pay");
		const payments = await testDb().execute<{ reference: string }>(
			sql`SELECT reference FROM payments WHERE order_id = ${order.rows[0]?.id as string}`,
		);
		const charge = await chargeDelivery(payments.rows[0]?.reference as string);
		expect((await postPaystackWebhook(charge)).status).toBe(200);

		const [, , , , confirmed] = await received(ch, waId, 5, 25_000);
		expect(textOf(confirmed as RecordedMessage)).toMatch(/Payment received\. Order #\d+ is confirmed \(₦12,500\)/);
		// With the order page's link, token and all: the chat is the customer's own.
		const follow = /Follow it here: (\S+)/.exec(textOf(confirmed as RecordedMessage))?.[1] ?? "";
		expect(new URL(follow).pathname).toBe(`/s/${ch.shop.m.slug}/orders/${order.rows[0]?.id}`);
		expect(new URL(follow).searchParams.get("token")).toMatch(/^otk_/);

		// Paystack sent the shopper back to the order page. They never opened the store's pages (no
		// order cookie): the return carries the order's token, which goes into the cookie and out of
		// the address bar, keeping Paystack's reference; then the page shows the order as paid.
		const returned = new URL(back as string);
		expect(returned.searchParams.get("token")).toMatch(/^otk_/);
		const moved = await gateway(`${returned.pathname}${returned.search}`, { redirect: "manual" });
		expect(moved.status).toBe(303);
		expect(moved.headers.get("location")).toBe(`${returned.pathname}?reference=${returned.searchParams.get("reference")}`);
		const cookie = (moved.headers.get("set-cookie") ?? "").split(";")[0] as string;
		const page = await gateway(moved.headers.get("location") as string, { headers: { cookie } });
		expect(page.status).toBe(200);
		expect(await page.text()).toMatch(/Paid/);

		// The merchant ships it, then it is delivered: the customer hears each once.
		const orderPath = `/v1/stores/${ch.shop.m.storeId}/orders/${order.rows[0]?.id}`;
		await jsonOf(await asMerchant(ch.shop.m, "POST", `${orderPath}/fulfilments`, {}), 201);
		const [, , , , , shipped] = await received(ch, waId, 6, 25_000);
		expect(textOf(shipped)).toMatch(/order #\d+ is on its way/);
		await jsonOf(await asMerchant(ch.shop.m, "POST", `${orderPath}/delivered`, {}));
		const [, , , , , , delivered] = await received(ch, waId, 7, 25_000);
		expect(textOf(delivered)).toMatch(/Order #\d+ has been delivered/);
		expect(textOf(shipped)).toContain(`Follow it here: ${follow}`);
		expect(textOf(delivered)).not.toContain("Follow it here");
	});

	it("asks for a delivery address, places the order with it, and answers order status", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "I wan buy gele" });
		const [added] = await received(ch, waId, 1);
		expect(textOf(added as RecordedMessage)).toContain("Added to your cart");
		await customerSays(ch, waId, { type: "text", body: "checkout" });
		await received(ch, waId, 2);
		await customerSays(ch, waId, { type: "list_reply", id: `dlv:${ch.shop.delivery}`, title: "Lagos delivery" });
		const [, , ask] = await received(ch, waId, 3);
		expect(textOf(ask as RecordedMessage)).toContain("street, city, state");
		await customerSays(ch, waId, { type: "text", body: "12 Allen Avenue, Ikeja, Lagos" });
		const [, , , link] = await received(ch, waId, 4);
		// ₦12,500 + ₦1,500 delivery.
		expect(textOf(link as RecordedMessage)).toContain("₦14,000 in all");
		const order = await testDb().execute<{ shipping_address: unknown }>(
			sql`SELECT shipping_address FROM orders WHERE store_id = ${ch.shop.m.storeId} AND phone = ${`+${waId}`}`,
		);
		expect(order.rows[0]?.shipping_address).toEqual({ address: "12 Allen Avenue", city: "Ikeja", state: "Lagos" });
		await customerSays(ch, waId, { type: "text", body: "where is my order?" });
		const [, , , , status] = await received(ch, waId, 5);
		expect(textOf(status as RecordedMessage)).toMatch(/#\d+: awaiting payment \(₦14,000\)/);
		// Under each order, its page with its token (the chat is the customer's own): it opens the order.
		const url = new URL(/\n {2}(\S+)/.exec(textOf(status as RecordedMessage))?.[1] ?? "");
		const [placed] = (
			await testDb().execute<{ id: string }>(
				sql`SELECT id FROM orders WHERE store_id = ${ch.shop.m.storeId} AND phone = ${`+${waId}`}`,
			)
		).rows;
		expect(url.pathname).toBe(`/s/${ch.shop.m.slug}/orders/${placed?.id}`);
		const opened = await gateway(`${url.pathname}${url.search}`, { redirect: "manual" });
		expect(opened.status).toBe(303);
		const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0] as string;
		const page = await gateway(opened.headers.get("location") as string, { headers: { cookie } });
		expect(page.status).toBe(200);
		expect(await page.text()).toContain("14,000");
		// Another customer's chat gets none of this one's orders.
		const stranger = newWaId();
		await customerSays(ch, stranger, { type: "text", body: "where is my order?" });
		const [none] = await received(ch, stranger, 1);
		expect(textOf(none as RecordedMessage)).toContain("can't find any orders");
	});
});

describe("handoff to the merchant", () => {
	it("stops auto-replies when the customer asks for a person; staff reply and release resume them", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "I want to talk to a person" });
		const [notice] = await received(ch, waId, 1);
		expect(textOf(notice as RecordedMessage)).toContain("passed your chat");
		const conversation = await conversationOf(ch, waId);
		expect(conversation.handler).toBe("staff");
		const staffOnly = await jsonOf<{ items: { waId: string }[] }>(
			await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/conversations?handler=staff`),
		);
		expect(staffOnly.items.map((c) => c.waId)).toContain(waId);

		await customerSays(ch, waId, { type: "text", body: "how much is the gele?" });
		await eventually(async () => ((await conversationOf(ch, waId)).unreadCount >= 2 ? true : undefined));
		await sleep(2000);
		expect(await sentTo(ch, waId)).toHaveLength(1);

		const base = `/v1/stores/${ch.shop.m.storeId}/conversations/${conversation.id}`;
		const assigned = await jsonOf<{ handler: string; assignedUserId: string }>(
			await asMerchant(ch.shop.m, "POST", `${base}/assign`, {}),
		);
		expect(assigned.handler).toBe("staff");
		expect(assigned.assignedUserId).toMatch(/^usr_/);
		const replied = await jsonOf<{ messageId: string; conversation: { unreadCount: number } }>(
			await asMerchant(ch.shop.m, "POST", `${base}/messages`, { text: "Hi! The gele is ₦12,500. Want it?" }),
			202,
		);
		expect(replied.conversation.unreadCount).toBe(0);
		const [, staff] = await received(ch, waId, 2);
		expect(textOf(staff as RecordedMessage)).toBe("Hi! The gele is ₦12,500. Want it?");

		expect((await jsonOf<{ handler: string }>(await asMerchant(ch.shop.m, "POST", `${base}/release`))).handler).toBe("assistant");
		await customerSays(ch, waId, { type: "text", body: "how much is the gele?" });
		const [, , auto] = await received(ch, waId, 3);
		expect(textOf(auto as RecordedMessage)).toContain("₦12,500");
	});
});

describe("the 24-hour customer-service window", () => {
	it("refuses a staff reply (409) and sends no free-form reply when the customer last wrote over 24 hours ago", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "agent please" }, { at: new Date(Date.now() - 25 * 3600_000) });
		const conversation = await eventually(async () => {
			try {
				return await conversationOf(ch, waId);
			} catch {
				return undefined;
			}
		});
		// The assistant's reply to that old message was not sent: the window had closed.
		const thread = await eventually(async () => {
			const page = await jsonOf<{ items: { direction: string; status: string; errorCode: string | null }[] }>(
				await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/conversations/${conversation.id}/messages`),
			);
			return page.items.some((m) => m.direction === "out" && m.status === "failed") ? page : undefined;
		});
		expect(thread.items.find((m) => m.direction === "out")?.errorCode).toBe("window_closed");
		expect(await sentTo(ch, waId)).toHaveLength(0);
		const refused = await problemOf(
			await asMerchant(ch.shop.m, "POST", `/v1/stores/${ch.shop.m.storeId}/conversations/${conversation.id}/messages`, {
				text: "hello?",
			}),
			409,
		);
		expect(refused.code).toBe("window-closed");
	});
});

describe("outbound sends", () => {
	it("retries 429 and 5xx with backoff until the Graph API takes the message", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await injectFailure(admin(), { phoneNumberId: ch.phoneNumberId, status: 429, times: 1 });
		await injectFailure(admin(), { phoneNumberId: ch.phoneNumberId, status: 503, times: 1 });
		await customerSays(ch, waId, { type: "text", body: "how much is the gele" });
		await received(ch, waId, 1, 20_000);
		const all = await listMessages(admin(), { phoneNumberId: ch.phoneNumberId, to: waId });
		expect(all.map((m) => m.httpStatus)).toEqual([429, 503, 200]);
		const row = await testDb().execute<{ attempts: number; status: string }>(
			sql`SELECT attempts, status FROM conversation_messages WHERE store_id = ${ch.shop.m.storeId} AND direction = 'out'`,
		);
		expect(row.rows[0]).toMatchObject({ attempts: 3 });
	});

	it("marks the message failed and dead-letters it after the last attempt", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await injectFailure(admin(), { phoneNumberId: ch.phoneNumberId, status: 500, times: 50 });
		await customerSays(ch, waId, { type: "text", body: "how much is the gele" });
		const failed = await eventually(
			async () => {
				const rows = await testDb().execute<{ id: string; attempts: number; error_code: string }>(
					sql`SELECT id, attempts, error_code FROM conversation_messages
						WHERE store_id = ${ch.shop.m.storeId} AND direction = 'out' AND status = 'failed'`,
				);
				return rows.rows[0];
			},
			30_000,
			"the send to fail for good",
		);
		expect(failed.attempts).toBe(9);
		expect(failed.error_code).toBe("131000");
		await eventually(
			async () => {
				const dead = await testDb().execute(
					sql`SELECT 1 FROM dead_letters WHERE queue = 'oja-whatsapp-outbound-dlq' AND body::text LIKE ${`%${failed.id}%`}`,
				);
				return dead.rows.length > 0 ? true : undefined;
			},
			15_000,
			"a dead letter",
		);
	});

	it("sends a message the cron finds stranded (claimed by a consumer that died, or never queued)", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "how much is the gele" });
		await received(ch, waId, 1);
		// As if the first attempt's consumer died holding the claim, and another reply never reached the queue.
		await testDb().execute(sql`UPDATE conversation_messages SET status = 'sending', claimed_until = now() - interval '1 minute', wamid = NULL
			WHERE store_id = ${ch.shop.m.storeId} AND direction = 'out'`);
		const messaging = (env as unknown as { MESSAGING: { tick(): Promise<{ requeued: number }> } }).MESSAGING;
		expect((await messaging.tick()).requeued).toBeGreaterThanOrEqual(1);
		const again = await received(ch, waId, 2);
		expect(textOf(again[1])).toBe(textOf(again[0]));
		await eventually(async () => {
			const r = await testDb().execute<{ status: string }>(sql`SELECT status FROM conversation_messages
				WHERE store_id = ${ch.shop.m.storeId} AND direction = 'out'`);
			return r.rows.every((m) => m.status === "sent") ? true : undefined;
		});
		// Nothing left stranded: a second tick finds nothing of this store's.
		await messaging.tick();
		await new Promise((r) => setTimeout(r, 1500));
		expect(await sentTo(ch, waId)).toHaveLength(2);
	});

	it("applies delivery statuses forward only, whatever order they arrive in", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "how much is the gele" });
		const [sent] = await received(ch, waId, 1);
		const wamid = sent?.wamid as string;
		await eventually(async () => {
			const r = await testDb().execute(sql`SELECT 1 FROM conversation_messages WHERE wamid = ${wamid} AND status = 'sent'`);
			return r.rows.length > 0 ? true : undefined;
		});
		for (const status of ["read", "delivered", "sent"] as const) {
			const body = JSON.stringify(statusEnvelope(ch.phoneNumberId, "2341", [{ wamid, status, recipientWaId: waId }]));
			expect((await postSigned(body)).status).toBe(200);
		}
		await eventually(async () => {
			const r = await testDb().execute<{ status: string }>(sql`SELECT status FROM conversation_messages WHERE wamid = ${wamid}`);
			return r.rows[0]?.status === "read" ? true : undefined;
		});
		await sleep(2000);
		const final = await testDb().execute<{ status: string }>(
			sql`SELECT status FROM conversation_messages WHERE wamid = ${wamid}`,
		);
		expect(final.rows[0]?.status).toBe("read");
	});
});

describe("tenant isolation and channel settings", () => {
	it("keeps conversations to their store and numbers to one store; never returns the token", async () => {
		const ch = await whatsappShop();
		const waId = newWaId();
		await customerSays(ch, waId, { type: "text", body: "hi" });
		await received(ch, waId, 1);
		const conversation = await conversationOf(ch, waId);
		const other = await signUpMerchant();
		const theirs = `/v1/stores/${other.storeId}/conversations/${conversation.id}`;
		await problemOf(await asMerchant(other, "GET", theirs), 404);
		await problemOf(await asMerchant(other, "GET", `${theirs}/messages`), 404);
		await problemOf(await asMerchant(other, "POST", `${theirs}/messages`, { text: "hi" }), 404);
		await problemOf(await asMerchant(other, "POST", `${theirs}/assign`, {}), 404);
		await problemOf(await asMerchant(other, "POST", `${theirs}/release`), 404);
		// Another store's path with this store's token: not a member.
		await problemOf(await asMerchant(ch.shop.m, "GET", `/v1/stores/${other.storeId}/conversations`), 404);
		expect(
			(await jsonOf<{ items: unknown[] }>(await asMerchant(other, "GET", `/v1/stores/${other.storeId}/conversations`))).items,
		).toEqual([]);
		// The number is this store's: another store cannot claim it by its id (Meta refuses any
		// token but the number's own), nor with the right token once it is registered here.
		const claim = (accessToken: string) =>
			asMerchant(other, "PUT", `/v1/stores/${other.storeId}/channels/whatsapp`, {
				phoneNumberId: ch.phoneNumberId,
				displayPhoneNumber: "+234 1 000 0000",
				accessToken,
			});
		const refused = await problemOf(await claim(`EAAG${digits(40)}`), 422);
		expect(refused.errors?.[0]?.code).toBe("whatsapp_refused");
		const taken = await problemOf(await claim(ch.accessToken), 409);
		expect(taken.code).toBe("phone-number-taken");
		await problemOf(await asMerchant(other, "GET", `/v1/stores/${other.storeId}/channels/whatsapp`), 404);
		const channel = await asMerchant(ch.shop.m, "GET", `/v1/stores/${ch.shop.m.storeId}/channels/whatsapp`);
		const text = await channel.text();
		expect(channel.status).toBe(200);
		expect(text).not.toMatch(/EAAG/);
		expect(JSON.parse(text)).toMatchObject({ phoneNumberId: ch.phoneNumberId, accessTokenSet: true });
		const stored = await testDb().execute<{ access_token_sealed: string }>(
			sql`SELECT access_token_sealed FROM whatsapp_channels WHERE store_id = ${ch.shop.m.storeId}`,
		);
		expect(stored.rows[0]?.access_token_sealed).not.toMatch(/EAAG/);
	});
});
