import { toGraphMessage } from "@oja/whatsapp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyWhatsAppSignature } from "../../whatsapp/src/signature.ts";
import {
	injectFailure,
	listMessages,
	listNumbers,
	listWebhooks,
	registerNumber,
	resetSandbox,
	sendInbound,
	sendStatus,
	setWindow,
	signBody,
} from "../src/admin.ts";
import { startWhatsAppSandbox, type WhatsAppSandbox } from "../src/index.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const appSecret = `app_secret_${Date.now().toString(16)}`;
const PHONE = "106540352242922";
const DISPLAY = "15550783881";
const TOKEN = "EAAG_sandbox_token_1";
const CUSTOMER = "2348031234567";

describe("whatsapp sandbox", () => {
	let sandbox: WhatsAppSandbox;
	let receiver: Receiver;

	const post = (body: unknown, options: { token?: string | null; phone?: string; version?: string } = {}) =>
		fetch(`${sandbox.url}/${options.version ?? "v21.0"}/${options.phone ?? PHONE}/messages`, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? TOKEN}` }),
			},
			body: typeof body === "string" ? body : JSON.stringify(body),
		});
	const graphError = async (res: Response) =>
		(
			(await res.json()) as {
				error: {
					message: string;
					type: string;
					code: number;
					error_subcode?: number;
					error_data?: { details: string };
					fbtrace_id: string;
				};
			}
		).error;
	const openWindow = () =>
		setWindow(sandbox.adminUrl, { phoneNumberId: PHONE, waId: CUSTOMER, lastInboundAt: new Date().toISOString() });

	beforeAll(async () => {
		receiver = await startReceiver();
		sandbox = await startWhatsAppSandbox({ appSecret, webhookUrl: receiver.url, statusDelayMs: 5 });
	});
	afterAll(async () => {
		await sandbox.close();
		await receiver.close();
	});
	beforeEach(async () => {
		await resetSandbox(sandbox.adminUrl);
		await registerNumber(sandbox.adminUrl, { phoneNumberId: PHONE, displayPhoneNumber: DISPLAY, accessToken: TOKEN });
		receiver.received.length = 0;
		receiver.status = 200;
	});

	it("registers numbers, which survive a reset", async () => {
		await resetSandbox(sandbox.adminUrl);
		expect(await listNumbers(sandbox.adminUrl)).toEqual([
			{ phoneNumberId: PHONE, displayPhoneNumber: DISPLAY, accessToken: TOKEN, autoStatuses: false },
		]);
		expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(sandbox.adminUrl).toBe(`${sandbox.url}/_admin`);
	});

	it("sends text inside the window: Meta's answer, recorded with the exact body", async () => {
		await openWindow();
		const body = toGraphMessage(CUSTOMER, { type: "text", text: "Your order <#12> is on its way" });
		const raw = JSON.stringify(body);
		const res = await post(raw, { version: "v19.0" });
		expect(res.status).toBe(200);
		const json = (await res.json()) as { messages: { id: string }[] };
		expect(json).toEqual({
			messaging_product: "whatsapp",
			contacts: [{ input: CUSTOMER, wa_id: CUSTOMER }],
			messages: [{ id: expect.stringMatching(/^wamid\./) }],
		});
		const recorded = await listMessages(sandbox.adminUrl, { phoneNumberId: PHONE, to: CUSTOMER });
		expect(recorded).toEqual([
			{
				phoneNumberId: PHONE,
				to: CUSTOMER,
				wamid: json.messages[0]?.id,
				body: raw,
				type: "text",
				at: expect.any(String),
				httpStatus: 200,
				failed: false,
				error: null,
				deliveryStatus: null,
			},
		]);
		expect(await listMessages(sandbox.adminUrl, { to: "2340000000" })).toEqual([]);
	});

	it("accepts reply buttons, lists and templates as the client builds them, newest last", async () => {
		await openWindow();
		const buttons = toGraphMessage(`+${CUSTOMER}`, {
			type: "buttons",
			body: "Confirm your order?",
			footer: "Oja",
			buttons: [
				{ id: "yes", title: "Confirm" },
				{ id: "no", title: "Cancel" },
			],
		});
		const list = toGraphMessage(CUSTOMER, {
			type: "list",
			body: "Pick a fabric",
			button: "Fabrics",
			sections: [
				{
					title: "Ankara",
					rows: [
						{ id: "p1", title: "Blue Ankara", description: "6 yards" },
						{ id: "p2", title: "Red" },
					],
				},
			],
		});
		const template = toGraphMessage(CUSTOMER, {
			type: "template",
			name: "order_update",
			language: "en_US",
			bodyParameters: ["12"],
		});
		const b = await post(buttons);
		expect(b.status).toBe(200);
		expect(await b.json()).toMatchObject({ contacts: [{ input: `+${CUSTOMER}`, wa_id: CUSTOMER }] });
		expect((await post(list)).status).toBe(200);
		const t = await post(template);
		expect(t.status).toBe(200);
		expect(await t.json()).toMatchObject({ messages: [{ message_status: "accepted" }] });
		expect((await listMessages(sandbox.adminUrl)).map((m) => m.type)).toEqual(["interactive", "interactive", "template"]);
	});

	it("refuses a missing or wrong token with 190 and an unknown number with 100/33", async () => {
		const body = toGraphMessage(CUSTOMER, { type: "template", name: "hello_world", language: "en_US", bodyParameters: [] });
		for (const token of [null, "EAAG_wrong"]) {
			const res = await post(body, { token });
			expect(res.status).toBe(401);
			const error = await graphError(res);
			expect(error).toMatchObject({ type: "OAuthException", code: 190, fbtrace_id: expect.any(String) });
		}
		const unknown = await post(body, { phone: "999999999" });
		expect(unknown.status).toBe(400);
		expect(await graphError(unknown)).toMatchObject({ code: 100, error_subcode: 33 });
		expect(await listMessages(sandbox.adminUrl)).toEqual([]);
	});

	it.each([
		["not JSON", "{"],
		["no messaging_product", { to: CUSTOMER, type: "text", text: { body: "hi" } }],
		["a `to` that is not digits", { messaging_product: "whatsapp", to: "ada", type: "text", text: { body: "hi" } }],
		["an empty text", { messaging_product: "whatsapp", to: CUSTOMER, type: "text", text: { body: "" } }],
		["a text over 4096", { messaging_product: "whatsapp", to: CUSTOMER, type: "text", text: { body: "x".repeat(4097) } }],
		["an unsupported type", { messaging_product: "whatsapp", to: CUSTOMER, type: "sticker", sticker: { id: "1" } }],
		[
			"four buttons",
			{
				messaging_product: "whatsapp",
				to: CUSTOMER,
				type: "interactive",
				interactive: {
					type: "button",
					body: { text: "?" },
					action: { buttons: [1, 2, 3, 4].map((i) => ({ type: "reply", reply: { id: `b${i}`, title: `B${i}` } })) },
				},
			},
		],
		[
			"a button title over 20",
			{
				messaging_product: "whatsapp",
				to: CUSTOMER,
				type: "interactive",
				interactive: {
					type: "button",
					body: { text: "?" },
					action: { buttons: [{ type: "reply", reply: { id: "b", title: "x".repeat(21) } }] },
				},
			},
		],
		[
			"eleven list rows",
			{
				messaging_product: "whatsapp",
				to: CUSTOMER,
				type: "interactive",
				interactive: {
					type: "list",
					body: { text: "?" },
					action: {
						button: "Pick",
						sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `R${i}` })) }],
					},
				},
			},
		],
		[
			"a row description over 72",
			{
				messaging_product: "whatsapp",
				to: CUSTOMER,
				type: "interactive",
				interactive: {
					type: "list",
					body: { text: "?" },
					action: { button: "Pick", sections: [{ rows: [{ id: "r", title: "R", description: "d".repeat(73) }] }] },
				},
			},
		],
		["a template without language", { messaging_product: "whatsapp", to: CUSTOMER, type: "template", template: { name: "x" } }],
	])("refuses %s with 400, code 100 and details", async (_, body) => {
		await openWindow();
		const res = await post(body);
		expect(res.status).toBe(400);
		const error = await graphError(res);
		expect(error.code).toBe(100);
		expect(error.error_data?.details).toEqual(expect.any(String));
		expect(await listMessages(sandbox.adminUrl)).toEqual([]);
	});

	it("enforces the 24-hour window for all but templates", async () => {
		const text = toGraphMessage(CUSTOMER, { type: "text", text: "hello" });
		const template = toGraphMessage(CUSTOMER, { type: "template", name: "hello_world", language: "en_US", bodyParameters: [] });
		const closed = await post(text);
		expect(closed.status).toBe(400);
		expect(await graphError(closed)).toMatchObject({ code: 131047, message: "(#131047) Re-engagement message" });
		expect((await post(template)).status).toBe(200);

		const stale = new Date(Date.now() - 24 * 60 * 60 * 1000 - 60_000).toISOString();
		await setWindow(sandbox.adminUrl, { phoneNumberId: PHONE, waId: CUSTOMER, lastInboundAt: stale });
		expect((await post(text)).status).toBe(400);
		await setWindow(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			waId: CUSTOMER,
			lastInboundAt: new Date(Date.now() - 23 * 3_600_000).toISOString(),
		});
		expect((await post(text)).status).toBe(200);
		await setWindow(sandbox.adminUrl, { phoneNumberId: PHONE, waId: CUSTOMER, lastInboundAt: null });
		expect((await post(text)).status).toBe(400);

		// A message from the customer opens it.
		await sendInbound(sandbox.adminUrl, { phoneNumberId: PHONE, from: CUSTOMER, message: { type: "text", body: "hi" } });
		expect((await post(text)).status).toBe(200);
	});

	it("answers injected 429 and 500 with Meta's envelopes, records them failed, then succeeds", async () => {
		await openWindow();
		await injectFailure(sandbox.adminUrl, { status: 429, retryAfter: 2 });
		await injectFailure(sandbox.adminUrl, { phoneNumberId: PHONE, status: 500 });
		await injectFailure(sandbox.adminUrl, { phoneNumberId: "555", status: 503, times: 5 });
		const body = toGraphMessage(CUSTOMER, { type: "text", text: "hello" });
		const limited = await post(body);
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("2");
		expect(await graphError(limited)).toMatchObject({ code: 130429, message: "(#130429) Rate limit hit" });
		const broken = await post(body);
		expect(broken.status).toBe(500);
		expect(await graphError(broken)).toMatchObject({ code: 131000 });
		expect((await post(body)).status).toBe(200);
		expect(
			(await listMessages(sandbox.adminUrl)).map((m) => [m.httpStatus, m.failed, m.error?.code ?? null, m.wamid === null]),
		).toEqual([
			[429, true, 130429, true],
			[500, true, 131000, true],
			[200, false, null, false],
		]);
	});

	it("delivers a customer's message as Meta's signed webhook", async () => {
		const delivery = await sendInbound(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			from: CUSTOMER,
			name: "Ada",
			message: { type: "button_reply", id: "yes", title: "Confirm", contextId: "wamid.SENT" },
		});
		expect(delivery).toMatchObject({ kind: "message", status: 200, error: null, wamid: expect.stringMatching(/^wamid\./) });
		expect(receiver.received).toHaveLength(1);
		const got = receiver.received[0];
		expect(got?.body).toBe(delivery.body);
		expect(got?.signature).toBe(delivery.signature);
		expect(got?.userAgent).toBe("facebookexternalua");
		expect(await verifyWhatsAppSignature(got?.body ?? "", got?.signature ?? null, appSecret)).toBe(true);
		expect(await verifyWhatsAppSignature(got?.body ?? "", got?.signature ?? null, `${appSecret}x`)).toBe(false);
		const envelope = JSON.parse(got?.body ?? "{}");
		expect(envelope.entry[0].changes[0].value).toMatchObject({
			metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE },
			contacts: [{ profile: { name: "Ada" }, wa_id: CUSTOMER }],
			messages: [{ id: delivery.wamid, from: CUSTOMER, type: "interactive", context: { id: "wamid.SENT" } }],
		});
		expect(await signBody(sandbox.adminUrl, got?.body ?? "")).toBe(got?.signature);
		expect(await listWebhooks(sandbox.adminUrl)).toEqual([delivery]);
	});

	it("sends status webhooks on demand and automatically", async () => {
		await registerNumber(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			displayPhoneNumber: DISPLAY,
			accessToken: TOKEN,
			autoStatuses: true,
		});
		await openWindow();
		const res = await post(toGraphMessage(CUSTOMER, { type: "text", text: "hi" }));
		const wamid = ((await res.json()) as { messages: { id: string }[] }).messages[0]?.id;
		await expect.poll(() => receiver.received.length, { timeout: 3000 }).toBe(3);
		const statuses = receiver.received.map((r) => JSON.parse(r.body).entry[0].changes[0].value.statuses[0]);
		expect(statuses.map((s: { id: string; status: string; recipient_id: string }) => [s.id, s.status, s.recipient_id])).toEqual([
			[wamid, "sent", CUSTOMER],
			[wamid, "delivered", CUSTOMER],
			[wamid, "read", CUSTOMER],
		]);
		for (const r of receiver.received) expect(await verifyWhatsAppSignature(r.body, r.signature, appSecret)).toBe(true);
		expect((await listMessages(sandbox.adminUrl))[0]?.deliveryStatus).toBe("read");

		const failed = await sendStatus(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			wamid: wamid ?? "",
			status: "failed",
			error: { code: 131026, title: "Message undeliverable" },
		});
		expect(JSON.parse(failed.body).entry[0].changes[0].value.statuses[0]).toMatchObject({
			status: "failed",
			recipient_id: CUSTOMER,
			errors: [{ code: 131026 }],
		});
		await expect(sendStatus(sandbox.adminUrl, { phoneNumberId: PHONE, wamid: "wamid.nope", status: "read" })).rejects.toThrow(
			/404/,
		);
	});

	it("records a target that is down or refusing, and keeps serving", async () => {
		const down = await sendInbound(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			from: CUSTOMER,
			message: { type: "text", body: "hello?" },
			url: "http://127.0.0.1:9/webhooks/whatsapp",
		});
		expect(down.status).toBeNull();
		expect(down.error).toEqual(expect.any(String));
		receiver.status = 500;
		const refused = await sendInbound(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			from: CUSTOMER,
			message: { type: "text", body: "again" },
		});
		expect(refused).toMatchObject({ status: 500, error: null });
		expect((await listWebhooks(sandbox.adminUrl)).map((w) => w.status)).toEqual([null, 500]);
		// The window opened anyway: Meta got the message even if we did not.
		expect((await post(toGraphMessage(CUSTOMER, { type: "text", text: "hi" }))).status).toBe(200);
	});

	it("refuses bad admin requests without crashing", async () => {
		for (const [path, body] of [
			["/inbound", { phoneNumberId: "404404", from: CUSTOMER, message: { type: "text", body: "x" } }],
			["/inbound", { phoneNumberId: PHONE, from: "ada", message: { type: "text", body: "x" } }],
			["/inbound", { phoneNumberId: PHONE, from: CUSTOMER, message: { type: "video" } }],
			["/fail", { status: 418 }],
			["/window", { phoneNumberId: PHONE, waId: CUSTOMER, lastInboundAt: "yesterday" }],
			["/numbers", { phoneNumberId: PHONE }],
		] as const) {
			const res = await fetch(`${sandbox.adminUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
			expect(res.status, path).toBeGreaterThanOrEqual(400);
			expect(res.status, path).toBeLessThan(500);
		}
		expect((await fetch(`${sandbox.adminUrl}/inbound`, { method: "POST", body: "{" })).status).toBe(400);
		expect((await fetch(`${sandbox.url}/nope`)).status).toBe(400);
		expect((await fetch(`${sandbox.url}/v21.0/${PHONE}/messages`)).status).toBe(400);
		expect(await listNumbers(sandbox.adminUrl)).toHaveLength(1);
	});

	it("shows each chat on an HTML page, both ways, in order, escaped", async () => {
		await sendInbound(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			from: CUSTOMER,
			name: "<b>Ada</b>",
			message: { type: "text", body: "<script>alert(1)</script> & more" },
		});
		await post(toGraphMessage(CUSTOMER, { type: "text", text: 'Reply "quoted" <img src=x onerror=alert(2)>' }));
		await sendInbound(sandbox.adminUrl, {
			phoneNumberId: PHONE,
			from: "2348000000001",
			message: { type: "location", latitude: 6.5, longitude: 3.4, name: "Yaba" },
		});
		const res = await fetch(`${sandbox.url}/`);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/html/);
		const html = await res.text();
		expect(html).not.toContain("<script>alert");
		expect(html).not.toContain("<img src=x");
		expect(html).not.toContain("<b>Ada");
		expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
		expect(html).toContain("Reply &quot;quoted&quot; &lt;img src=x onerror=alert(2)&gt;");
		expect(html).toContain("&lt;b&gt;Ada&lt;/b&gt;");
		expect(html.indexOf("&lt;script&gt;")).toBeLessThan(html.indexOf("Reply &quot;"));
		expect(html).toContain("Yaba");
		expect(html.match(/<section>/g)).toHaveLength(2);
	});
});
