import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifySvix } from "../../email/src/svix.ts";
import { declareBouncing, injectFailure, listEmails, listWebhooks, resetSandbox, signWebhook } from "../src/admin.ts";
import { type ResendSandbox, startResendSandbox } from "../src/index.ts";

const apiKey = "re_test_key";
const secret = `whsec_${Buffer.from("sandbox-test-secret-0123456789ab").toString("base64")}`;
const email = { from: "Oja <mail@oja.dev>", to: "ada@example.com", subject: "Hi <there>", html: "<p>Hi</p>", text: "Hi" };

describe("resend sandbox", () => {
	let sandbox: ResendSandbox;
	let receiver: Server;
	const received: { body: string; headers: Record<string, string> }[] = [];

	const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${apiKey}` }) =>
		fetch(`${sandbox.url}/emails`, {
			method: "POST",
			headers: { "content-type": "application/json", ...headers },
			body: JSON.stringify(body),
		});

	beforeAll(async () => {
		receiver = createServer(async (req, res) => {
			const chunks: Buffer[] = [];
			for await (const c of req) chunks.push(c as Buffer);
			received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers as Record<string, string> });
			res.writeHead(200).end();
		});
		await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
		const { port } = receiver.address() as AddressInfo;
		sandbox = await startResendSandbox({ apiKey, webhookSecret: secret, webhookUrl: `http://127.0.0.1:${port}/webhooks/resend` });
	});
	afterAll(async () => {
		await sandbox.close();
		receiver.closeAllConnections();
		await new Promise((r) => receiver.close(r));
	});
	beforeEach(() => resetSandbox(sandbox.adminUrl));

	it("sends, records and answers Resend's envelope for auth and validation errors", async () => {
		const ok = await post(email);
		expect(ok.status).toBe(200);
		const { id } = (await ok.json()) as { id: string };
		expect(id).toMatch(/^[0-9a-f-]{36}$/);
		expect(await (await post(email, {})).json()).toEqual({
			statusCode: 401,
			message: expect.any(String),
			name: "missing_api_key",
		});
		expect((await post(email, { authorization: "Bearer nope" })).status).toBe(403);
		const bad = await post({ ...email, to: "not-an-address" });
		expect(bad.status).toBe(422);
		expect(((await bad.json()) as { name: string }).name).toBe("validation_error");
		expect((await post({ ...email, html: undefined, text: undefined })).status).toBe(422);
		const [recorded] = await listEmails(sandbox.adminUrl, { to: "ADA@example.com" });
		expect(recorded).toMatchObject({ id, subject: "Hi <there>", to: ["ada@example.com"] });
		const page = await (await fetch(`${sandbox.url}/`)).text();
		expect(page).toContain("Hi &lt;there&gt;");
		const view = await fetch(`${sandbox.url}/view/${id}`);
		expect(view.headers.get("content-security-policy")).toContain("sandbox");
		expect(await view.text()).toBe("<p>Hi</p>");
	});

	it("honours Idempotency-Key like Resend: same body → same id, different body → 409", async () => {
		const headers = { authorization: `Bearer ${apiKey}`, "idempotency-key": "order-1:confirmation" };
		const first = (await (await post(email, headers)).json()) as { id: string };
		const again = (await (await post(email, headers)).json()) as { id: string };
		expect(again.id).toBe(first.id);
		const other = await post({ ...email, subject: "Other" }, headers);
		expect(other.status).toBe(409);
		expect(((await other.json()) as { name: string }).name).toBe("invalid_idempotent_request");
		expect(await listEmails(sandbox.adminUrl)).toHaveLength(1);
	});

	it("fails on demand (429 with Retry-After, 500) and then recovers", async () => {
		await injectFailure(sandbox.adminUrl, { status: 429 });
		await injectFailure(sandbox.adminUrl, { status: 500, to: "ada@example.com" });
		const limited = await post(email);
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("1");
		expect(((await limited.json()) as { name: string }).name).toBe("rate_limit_exceeded");
		expect((await post(email)).status).toBe(500);
		expect((await post(email)).status).toBe(200);
		expect((await listEmails(sandbox.adminUrl)).map((e) => e.httpStatus)).toEqual([429, 500, 200]);
	});

	it("bounces a declared address with a Svix-signed email.bounced webhook", async () => {
		await declareBouncing(sandbox.adminUrl, "gone@example.com");
		const { id } = (await (await post({ ...email, to: ["gone@example.com"] })).json()) as { id: string };
		await expect.poll(async () => (await listWebhooks(sandbox.adminUrl)).length).toBe(1);
		const [hook] = await listWebhooks(sandbox.adminUrl);
		expect(hook).toMatchObject({ type: "email.bounced", emailId: id, to: "gone@example.com", status: 200 });
		expect(JSON.parse(hook?.body ?? "{}")).toMatchObject({
			type: "email.bounced",
			data: { email_id: id, to: ["gone@example.com"] },
		});
		const h = hook?.headers;
		const verdict = await verifySvix(
			secret,
			{ id: h?.["svix-id"] ?? null, timestamp: h?.["svix-timestamp"] ?? null, signature: h?.["svix-signature"] ?? null },
			hook?.body ?? "",
		);
		expect(verdict).toEqual({ ok: true });
		expect(received.at(-1)?.headers["svix-signature"]).toBe(h?.["svix-signature"]);
		const signed = await signWebhook(sandbox.adminUrl, "{}", { id: "msg_x", timestamp: 100 });
		expect(await verifySvix(secret, { id: "msg_x", timestamp: "100", signature: signed["svix-signature"] }, "{}", 100)).toEqual({
			ok: true,
		});
	});
});
