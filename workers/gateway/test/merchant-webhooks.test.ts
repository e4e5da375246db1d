// Merchant outbound webhooks, in workerd, through the gateway: endpoints and their one-time
// secrets, order events → oja-webhook-events → a delivery per endpoint → oja-webhook-delivery →
// a receiver on loopback (scripts/test.ts; its host:port is the only loopback target the
// messaging Worker accepts, via WEBHOOK_ALLOWED_HOSTS). Retries run at once here
// (WEBHOOK_RETRY_SCALE=0); the schedule itself is unit-tested in packages/webhooks.
import { env } from "cloudflare:workers";
import { listEmails, type RecordedEmail } from "@oja/resend-sandbox/admin";
import { asMerchant, eventually, gateway, jsonOf, problemOf, type TestMerchant, testDb } from "@oja/test-helpers";
import { verifyOjaWebhook } from "@oja/webhooks";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { cartWith, checkout, checkoutBody, type OrderBody, openShop, type Shop } from "./commerce-fixtures.ts";

const RECEIVER = () => env.TEST_WEBHOOK_RECEIVER_URL;

interface Endpoint {
	id: string;
	url: string;
	events: string[];
	status: "enabled" | "disabled";
	disabledAt: string | null;
	disabledReason: string | null;
	failingSince: string | null;
	secret?: string;
}
interface Delivery {
	id: string;
	eventId: string;
	eventType: string;
	status: string;
	attempts: number;
	responseStatus: number | null;
	durationMs: number | null;
	error: string | null;
	redeliveryOf: string | null;
	lastAttemptAt: string | null;
	nextAttemptAt: string | null;
}
interface Attempt {
	attempt: number;
	status: "succeeded" | "failed";
	responseStatus: number | null;
	durationMs: number;
	error: string | null;
	attemptedAt: string;
}
interface Received {
	method: string;
	headers: Record<string, string>;
	body: string;
}

const hookName = (what: string) => `${what}-${crypto.randomUUID().slice(0, 8)}`;
const hookUrl = (name: string) => `${RECEIVER()}/hooks/${name}`;

async function script(name: string, responses: { status: number; location?: string }[]): Promise<void> {
	const res = await fetch(`${env.TEST_WEBHOOK_RECEIVER_ADMIN}/hooks/${name}`, {
		method: "PUT",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ responses }),
	});
	expect(res.status).toBe(200);
}

async function received(name: string): Promise<Received[]> {
	const res = await fetch(`${env.TEST_WEBHOOK_RECEIVER_ADMIN}/hooks/${name}`);
	return ((await res.json()) as { requests: Received[] }).requests;
}

async function setA(name: string, values: string[]): Promise<void> {
	const res = await fetch(`${env.TEST_DNS_ADMIN}/a/${encodeURIComponent(name)}`, {
		method: "PUT",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ values }),
	});
	expect(res.status).toBe(200);
}

const base = (m: TestMerchant) => `/v1/stores/${m.storeId}/webhook-endpoints`;

async function createEndpoint(m: TestMerchant, url: string, events: string[] = ["*"]): Promise<Endpoint & { secret: string }> {
	return jsonOf<Endpoint & { secret: string }>(await asMerchant(m, "POST", base(m), { url, events }), 201);
}

async function placeOrder(shop: Shop): Promise<OrderBody> {
	const cart = await cartWith(shop.m.slug, [[shop.variants[0] ?? "", 1]]);
	return (await jsonOf<{ order: OrderBody }>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201)).order;
}

async function deliveries(
	m: TestMerchant,
	endpointId: string,
	query = "",
): Promise<{ items: Delivery[]; nextCursor: string | null }> {
	return jsonOf(await asMerchant(m, "GET", `${base(m)}/${endpointId}/deliveries${query}`));
}

/** Waits until the endpoint's newest delivery of `eventType` is settled (succeeded or failed). */
function settled(m: TestMerchant, endpointId: string, eventType = "order.created", timeoutMs = 20_000): Promise<Delivery> {
	return eventually(
		async () => {
			const found = (await deliveries(m, endpointId)).items.find((d) => d.eventType === eventType);
			return found && (found.status === "succeeded" || found.status === "failed") ? found : undefined;
		},
		timeoutMs,
		`a settled ${eventType} delivery`,
	);
}

const headersOf = (r: Received) => new Headers(r.headers);

const messaging = () =>
	(env as unknown as { MESSAGING: { tick(): Promise<{ deliveriesRequeued: number; disabledNotices: number }> } }).MESSAGING;

/** The "endpoint disabled" notices the owner has received (accepted sends). */
async function disabledNotices(m: TestMerchant): Promise<RecordedEmail[]> {
	return (await listEmails(env.TEST_RESEND_ADMIN, { to: m.email })).filter(
		(e) => e.id !== null && e.tags.some((t) => t.value === "merchant_webhook_disabled"),
	);
}

describe("endpoints", () => {
	it("creates (secret shown once), lists and reads without the secret, deletes", async () => {
		const { m } = await openShop([1]);
		const created = await createEndpoint(m, hookUrl(hookName("crud")), ["order.created", "order.paid", "order.created"]);
		expect(created.id).toMatch(/^whe_[0-9A-Z]{26}$/);
		expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
		expect(created.events).toEqual(["order.created", "order.paid"]);
		expect(created.status).toBe("enabled");
		const list = await jsonOf<{ items: Endpoint[] }>(await asMerchant(m, "GET", base(m)));
		expect(list.items.map((e) => e.id)).toEqual([created.id]);
		const one = await jsonOf<Endpoint>(await asMerchant(m, "GET", `${base(m)}/${created.id}`));
		for (const shown of [list.items[0], one]) {
			expect(shown).not.toHaveProperty("secret");
			expect(JSON.stringify(shown)).not.toContain(created.secret);
		}
		// Stored sealed: the plaintext is nowhere in the row.
		const row = await testDb().execute<Record<string, unknown>>(sql`SELECT * FROM webhook_endpoints WHERE id = ${created.id}`);
		expect(JSON.stringify(row.rows[0])).not.toContain(created.secret.slice(6));
		// "*" subscribes to everything and stands alone.
		expect((await createEndpoint(m, hookUrl(hookName("all")), ["order.paid", "*"])).events).toEqual(["*"]);

		expect((await asMerchant(m, "DELETE", `${base(m)}/${created.id}`)).status).toBe(204);
		await problemOf(await asMerchant(m, "GET", `${base(m)}/${created.id}`), 404);
		await problemOf(await asMerchant(m, "DELETE", `${base(m)}/${created.id}`), 404);
	});

	it("rotates the secret (shown once); the old one signs alongside for the overlap", async () => {
		const shop = await openShop([5]);
		const name = hookName("rotate");
		const created = await createEndpoint(shop.m, hookUrl(name), ["order.created"]);
		const rotated = await jsonOf<Endpoint & { secret: string }>(
			await asMerchant(shop.m, "POST", `${base(shop.m)}/${created.id}/rotate-secret`),
		);
		expect(rotated.secret).toMatch(/^whsec_/);
		expect(rotated.secret).not.toBe(created.secret);
		await placeOrder(shop);
		expect((await settled(shop.m, created.id)).status).toBe("succeeded");
		const [req] = await received(name);
		if (!req) throw new Error("nothing received");
		expect(req.headers["oja-signature"]?.split(",")).toHaveLength(2);
		expect(await verifyOjaWebhook(rotated.secret, headersOf(req), req.body)).toBe(true);
		expect(await verifyOjaWebhook(created.secret, headersOf(req), req.body)).toBe(true);
		expect(await verifyOjaWebhook("whsec_someone_else", headersOf(req), req.body)).toBe(false);
	});

	it("refuses an API key: endpoint management needs a signed-in person", async () => {
		const { m } = await openShop([1]);
		const key = await jsonOf<{ key: string }>(
			await asMerchant(m, "POST", `/v1/stores/${m.storeId}/api-keys`, { name: "integration", role: "admin" }),
			201,
		);
		const res = await gateway(base(m), {
			method: "POST",
			headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
			body: JSON.stringify({ url: "https://hooks.example.com/oja", events: ["*"] }),
		});
		expect((await problemOf(res, 403)).code).toBe("person-required");
	});
});

describe("delivery", () => {
	it("takes up a delivery whose queue message was lost (the cron finds it stranded)", async () => {
		const shop = await openShop([5]);
		const name = hookName("stranded");
		const endpoint = await createEndpoint(shop.m, hookUrl(name), ["order.created"]);
		await placeOrder(shop);
		const first = await settled(shop.m, endpoint.id);
		// As if its message had been dead-lettered before any attempt: pending, overdue, nothing queued.
		await testDb().execute(sql`UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
			next_attempt_at = now() - interval '10 minutes' WHERE id = ${first.id} AND store_id = ${shop.m.storeId}`);
		expect((await messaging().tick()).deliveriesRequeued).toBeGreaterThanOrEqual(1);
		await eventually(async () => ((await received(name)).length >= 2 ? true : undefined));
		expect((await settled(shop.m, endpoint.id)).status).toBe("succeeded");
	});

	it("delivers an order event that the README's snippet verifies; a replay older than 5 minutes fails it", async () => {
		const shop = await openShop([5]);
		const name = hookName("order");
		const endpoint = await createEndpoint(shop.m, hookUrl(name), ["order.created"]);
		const order = await placeOrder(shop);
		const delivery = await settled(shop.m, endpoint.id);
		expect(delivery).toMatchObject({
			status: "succeeded",
			attempts: 1,
			responseStatus: 200,
			error: null,
			eventType: "order.created",
		});
		expect(delivery.durationMs).toBeGreaterThanOrEqual(0);
		expect(delivery.lastAttemptAt).not.toBeNull();

		const requests = await received(name);
		expect(requests).toHaveLength(1);
		const [req] = requests;
		if (!req) throw new Error("nothing received");
		expect(req.method).toBe("POST");
		expect(req.headers["content-type"]).toBe("application/json");
		const body = JSON.parse(req.body) as { id: string; type: string; storeId: string; data: { orderId: string } };
		expect(body).toMatchObject({ type: "order.created", storeId: shop.m.storeId, data: { orderId: order.id } });
		expect(req.headers["oja-event-id"]).toBe(body.id);
		expect(delivery.eventId).toBe(body.id);
		expect(Number(req.headers["oja-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);
		expect(req.headers["oja-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);

		// The receiver's side, with the README's verification function.
		expect(await verifyOjaWebhook(endpoint.secret, headersOf(req), req.body)).toBe(true);
		expect(
			await verifyOjaWebhook(endpoint.secret, headersOf(req), req.body.replace(order.id, "ord_00000000000000000000000000")),
		).toBe(false);
		// The same request captured and replayed six minutes later.
		expect(await verifyOjaWebhook(endpoint.secret, headersOf(req), req.body, 300, Date.now() + 6 * 60_000)).toBe(false);
	});

	it("retries failures at once in tests, then succeeds; every attempt carries the same event and a valid signature", async () => {
		const shop = await openShop([5]);
		const name = hookName("retry");
		await script(name, [{ status: 500 }, { status: 503 }]);
		const endpoint = await createEndpoint(shop.m, hookUrl(name), ["order.created"]);
		await placeOrder(shop);
		const delivery = await settled(shop.m, endpoint.id);
		expect(delivery).toMatchObject({ status: "succeeded", attempts: 3, responseStatus: 200, error: null });
		const requests = await received(name);
		expect(requests).toHaveLength(3);
		expect(new Set(requests.map((r) => r.headers["oja-event-id"])).size).toBe(1);
		expect(new Set(requests.map((r) => r.body)).size).toBe(1);
		for (const r of requests) expect(await verifyOjaWebhook(endpoint.secret, headersOf(r), r.body)).toBe(true);
		// The log keeps every attempt, not only the last: number, outcome, code, duration.
		const attempts = await jsonOf<{ items: Attempt[] }>(
			await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}/deliveries/${delivery.id}/attempts`),
		);
		expect(attempts.items.map((a) => [a.attempt, a.status, a.responseStatus, a.error])).toEqual([
			[1, "failed", 500, "http-500"],
			[2, "failed", 503, "http-503"],
			[3, "succeeded", 200, null],
		]);
		for (const a of attempts.items) {
			expect(a.durationMs).toBeGreaterThanOrEqual(0);
			expect(Date.parse(a.attemptedAt)).toBeGreaterThan(0);
		}
		// A success clears the endpoint's failure clock.
		expect((await jsonOf<Endpoint>(await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}`))).failingSince).toBeNull();
	});

	it("fails after the schedule's last attempt; a manual redelivery sends the same event again", async () => {
		const shop = await openShop([5]);
		const name = hookName("fail");
		await script(
			name,
			Array.from({ length: 10 }, () => ({ status: 500 })),
		);
		const endpoint = await createEndpoint(shop.m, hookUrl(name), ["order.created"]);
		await placeOrder(shop);
		const failed = await settled(shop.m, endpoint.id);
		expect(failed).toMatchObject({ status: "failed", attempts: 10, responseStatus: 500, error: "http-500", nextAttemptAt: null });
		expect(await received(name)).toHaveLength(10);
		const failedAttempts = await jsonOf<{ items: Attempt[] }>(
			await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}/deliveries/${failed.id}/attempts`),
		);
		expect(failedAttempts.items.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		expect(failedAttempts.items.every((a) => a.status === "failed" && a.responseStatus === 500)).toBe(true);
		const afterFailure = await jsonOf<Endpoint>(await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}`));
		expect(afterFailure.failingSince).not.toBeNull();
		expect(afterFailure.status).toBe("enabled");

		const again = await jsonOf<Delivery>(
			await asMerchant(shop.m, "POST", `${base(shop.m)}/${endpoint.id}/deliveries/${failed.id}/redeliver`),
			202,
		);
		expect(again.id).not.toBe(failed.id);
		expect(again).toMatchObject({ redeliveryOf: failed.id, eventId: failed.eventId, eventType: "order.created" });
		const done = await eventually(async () => {
			const d = (await deliveries(shop.m, endpoint.id)).items.find((x) => x.id === again.id);
			return d?.status === "succeeded" ? d : undefined;
		});
		expect(done).toMatchObject({ attempts: 1, responseStatus: 200 });
		const requests = await received(name);
		expect(requests).toHaveLength(11);
		expect(requests[10]?.headers["oja-event-id"]).toBe(failed.eventId);

		// The log: newest first, both deliveries, paged by cursor.
		const page1 = await deliveries(shop.m, endpoint.id, "?limit=1");
		expect(page1.items.map((d) => d.id)).toEqual([again.id]);
		expect(page1.nextCursor).not.toBeNull();
		const page2 = await deliveries(shop.m, endpoint.id, `?limit=1&cursor=${page1.nextCursor}`);
		expect(page2.items.map((d) => d.id)).toEqual([failed.id]);
		expect(page2.nextCursor).toBeNull();
		expect((await deliveries(shop.m, endpoint.id, "?status=failed")).items.map((d) => d.id)).toEqual([failed.id]);

		// Bounded: a delivery that somehow reached its 31st attempt (claims that lapsed, say) keeps
		// only its newest 25 attempts.
		await testDb().execute(sql`
			UPDATE webhook_deliveries SET status = 'pending', attempts = 30, next_attempt_at = now() - interval '10 minutes'
			WHERE id = ${failed.id}`);
		expect((await messaging().tick()).deliveriesRequeued).toBeGreaterThanOrEqual(1);
		await eventually(async () => {
			const d = (await deliveries(shop.m, endpoint.id)).items.find((x) => x.id === failed.id);
			return d?.status === "succeeded" ? d : undefined;
		});
		const kept = await jsonOf<{ items: Attempt[] }>(
			await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}/deliveries/${failed.id}/attempts`),
		);
		expect(kept.items.map((a) => a.attempt)).toEqual([7, 8, 9, 10, 31]);
		expect(kept.items.at(-1)).toMatchObject({ status: "succeeded", responseStatus: 200, error: null });
	});

	it("disables an endpoint that has failed for 24 hours, records why, and refuses redelivery until it is enabled", async () => {
		const shop = await openShop([5]);
		const name = hookName("disable");
		await script(name, [{ status: 410 }]);
		const endpoint = await createEndpoint(shop.m, `${hookUrl(name)}?token=receiver-secret`, ["order.created"]);
		// A day of failures, compressed: the clock started 25 hours ago.
		await testDb().execute(
			sql`UPDATE webhook_endpoints SET failing_since = now() - interval '25 hours' WHERE id = ${endpoint.id}`,
		);
		await placeOrder(shop);
		const failed = await settled(shop.m, endpoint.id);
		expect(failed).toMatchObject({ status: "failed", attempts: 1, responseStatus: 410 });
		const disabled = await jsonOf<Endpoint>(await asMerchant(shop.m, "GET", `${base(shop.m)}/${endpoint.id}`));
		expect(disabled.status).toBe("disabled");
		expect(disabled.disabledAt).not.toBeNull();
		expect(disabled.disabledReason).toMatch(/24 hours.*http-410/);

		// The owner is told once: which endpoint (origin and first path segment only: receivers keep
		// secrets in the path and the query), since when, how to re-enable.
		const [notice] = await eventually(
			async () => ((await disabledNotices(shop.m)).length > 0 ? disabledNotices(shop.m) : undefined),
			15_000,
			"the disabled notice",
		);
		expect(notice?.subject).toBe("A webhook endpoint was disabled");
		expect(notice?.text).toContain(`your webhook endpoint ${RECEIVER()}/hooks/… has failed`);
		expect(`${notice?.subject}${notice?.text}${notice?.html}`).not.toContain(name);
		expect(notice?.text).toContain(`since ${disabled.failingSince}, so Oja disabled it at ${disabled.disabledAt}.`);
		expect(notice?.text).toContain(`POST /v1/stores/${shop.m.storeId}/webhook-endpoints/${endpoint.id}/enable`);
		expect(`${notice?.subject}${notice?.text}${notice?.html}`).not.toContain("receiver-secret");
		// The cron finds nothing left to tell; told again after a crash before the mark, it is the same email.
		expect((await messaging().tick()).disabledNotices).toBe(0);
		await testDb().execute(sql`UPDATE webhook_endpoints SET disabled_notice_at = NULL WHERE id = ${endpoint.id}`);
		expect((await messaging().tick()).disabledNotices).toBe(1);
		await new Promise((r) => setTimeout(r, 1500));
		expect(await disabledNotices(shop.m)).toHaveLength(1);
		const refused = await problemOf(
			await asMerchant(shop.m, "POST", `${base(shop.m)}/${endpoint.id}/deliveries/${failed.id}/redeliver`),
			409,
		);
		expect(refused.code).toBe("endpoint-disabled");
		// Nothing is delivered to a disabled endpoint.
		await placeOrder(shop);
		await new Promise((r) => setTimeout(r, 1500));
		expect((await deliveries(shop.m, endpoint.id)).items).toHaveLength(1);

		const enabled = await jsonOf<Endpoint>(await asMerchant(shop.m, "POST", `${base(shop.m)}/${endpoint.id}/enable`));
		expect(enabled).toMatchObject({ status: "enabled", disabledAt: null, disabledReason: null, failingSince: null });
		await jsonOf(await asMerchant(shop.m, "POST", `${base(shop.m)}/${endpoint.id}/deliveries/${failed.id}/redeliver`), 202);
	});
});

describe("SSRF", () => {
	it("refuses private, loopback, metadata, credentialed and non-http(s) URLs at creation", async () => {
		const { m } = await openShop([1]);
		const privateName = `private-${crypto.randomUUID().slice(0, 8)}.oja-test.example`;
		await setA(privateName, ["10.0.0.5"]);
		const refused = [
			"http://10.0.0.5/hook",
			"https://127.0.0.1/hook",
			"http://127.0.0.1:9/hooks/x",
			"https://169.254.169.254/latest/meta-data/",
			"https://[fd00:ec2::254]/latest/meta-data/",
			"http://metadata.google.internal/computeMetadata/v1/",
			"https://[::ffff:127.0.0.1]/",
			"https://[::1]/",
			"https://2130706433/",
			"https://0x7f.0.0.1/",
			"https://0177.0.0.1/",
			"https://100.64.0.1/",
			"https://192.168.0.1/",
			"https://user:secret@hooks.example.com/",
			"https://localhost/",
			"ftp://hooks.example.com/",
			"javascript:alert(1)",
			`https://${privateName}/hook`,
			// The receiver's own address on another port: the allowlist is exactly host:port.
			`${RECEIVER().replace(/:\d+$/, ":1")}/hooks/x`,
		];
		for (const url of refused) {
			const problem = await problemOf(await asMerchant(m, "POST", base(m), { url, events: ["*"] }), 422);
			expect(problem.errors?.[0]?.path, url).toBe("url");
		}
		expect((await jsonOf<{ items: unknown[] }>(await asMerchant(m, "GET", base(m)))).items).toEqual([]);
	});

	it("refuses at delivery a name that resolves to a private address (DNS changed after creation)", async () => {
		const shop = await openShop([5]);
		const hosts = { private: "10.0.0.5", loopback: "127.0.0.1" } as const;
		const endpoints: Record<string, Endpoint> = {};
		for (const [kind, address] of Object.entries(hosts)) {
			const host = `rebind-${kind}-${crypto.randomUUID().slice(0, 8)}.oja-test.example`;
			// Public when the endpoint is created, private by the time anything is sent.
			await setA(host, ["93.184.216.34"]);
			endpoints[kind] = await createEndpoint(shop.m, `https://${host}/hook`, ["order.created"]);
			await setA(host, [address]);
		}
		await placeOrder(shop);
		const [privateDelivery, loopbackDelivery] = await Promise.all(
			Object.keys(hosts).map((kind) => settled(shop.m, endpoints[kind]?.id ?? "", "order.created", 25_000)),
		);
		expect(privateDelivery).toMatchObject({ status: "failed", responseStatus: null, error: "refused-address-private" });
		expect(loopbackDelivery).toMatchObject({ status: "failed", responseStatus: null, error: "refused-address-loopback" });
	});

	it("re-checks every redirect: private targets refused, three hops at most, a public one followed", async () => {
		const shop = await openShop([5]);
		const toPrivate = hookName("redirect-private");
		await script(
			toPrivate,
			Array.from({ length: 10 }, () => ({ status: 302, location: "http://10.0.0.5/steal" })),
		);
		const toLoopback = hookName("redirect-loopback");
		await script(
			toLoopback,
			Array.from({ length: 10 }, () => ({ status: 307, location: "http://127.0.0.1:9/admin" })),
		);
		const loop = hookName("redirect-loop");
		await script(
			loop,
			Array.from({ length: 40 }, () => ({ status: 308, location: hookUrl(loop) })),
		);
		const target = hookName("redirect-target");
		const followed = hookName("redirect-ok");
		await script(followed, [{ status: 301, location: hookUrl(target) }]);

		const endpoints = {
			toPrivate: await createEndpoint(shop.m, hookUrl(toPrivate), ["order.created"]),
			toLoopback: await createEndpoint(shop.m, hookUrl(toLoopback), ["order.created"]),
			loop: await createEndpoint(shop.m, hookUrl(loop), ["order.created"]),
			followed: await createEndpoint(shop.m, hookUrl(followed), ["order.created"]),
		};
		await placeOrder(shop);
		expect(await settled(shop.m, endpoints.toPrivate.id)).toMatchObject({ status: "failed", error: "refused-address-private" });
		expect(await settled(shop.m, endpoints.toLoopback.id)).toMatchObject({ status: "failed", error: "refused-address-loopback" });
		expect(await settled(shop.m, endpoints.loop.id)).toMatchObject({ status: "failed", error: "too-many-redirects" });
		// 4 requests per attempt (the first and three redirects), 10 attempts.
		expect(await received(loop)).toHaveLength(40);
		expect(await settled(shop.m, endpoints.followed.id)).toMatchObject({ status: "succeeded", attempts: 1, responseStatus: 200 });
		const [landed] = await received(target);
		if (!landed) throw new Error("the redirect was not followed");
		expect(await verifyOjaWebhook(endpoints.followed.secret, headersOf(landed), landed.body)).toBe(true);
	});
});

describe("tenancy", () => {
	it("another store's endpoint and delivery ids are 404s, and a store's endpoints get only its own events", async () => {
		const a = await openShop([5]);
		const b = await openShop([5]);
		const nameA = hookName("tenant-a");
		const nameB = hookName("tenant-b");
		const onlyPaid = hookName("tenant-paid");
		const endpointA = await createEndpoint(a.m, hookUrl(nameA));
		const endpointB = await createEndpoint(b.m, hookUrl(nameB));
		// Subscribed to another type only: a pay-on-delivery order is not order.paid.
		const paidOnly = await createEndpoint(a.m, hookUrl(onlyPaid), ["order.paid"]);
		await placeOrder(a);
		const deliveredA = await settled(a.m, endpointA.id);
		expect(deliveredA.status).toBe("succeeded");
		const attemptsA = `${base(a.m)}/${endpointA.id}/deliveries/${deliveredA.id}/attempts`;
		expect((await jsonOf<{ items: Attempt[] }>(await asMerchant(a.m, "GET", attemptsA))).items).toHaveLength(1);

		// B, in its own store's paths, naming A's ids.
		const inB = `${base(b.m)}/${endpointA.id}`;
		for (const [method, path] of [
			["GET", inB],
			["DELETE", inB],
			["POST", `${inB}/rotate-secret`],
			["POST", `${inB}/enable`],
			["GET", `${inB}/deliveries`],
			["GET", `${inB}/deliveries/${deliveredA.id}/attempts`],
			["GET", `${base(b.m)}/${endpointB.id}/deliveries/${deliveredA.id}/attempts`],
			["POST", `${inB}/deliveries/${deliveredA.id}/redeliver`],
			["POST", `${base(b.m)}/${endpointB.id}/deliveries/${deliveredA.id}/redeliver`],
		] as const) {
			await problemOf(await asMerchant(b.m, method, path), 404);
		}
		// B in A's store at all.
		await problemOf(await asMerchant(b.m, "GET", base(a.m)), 404);
		await problemOf(await asMerchant(b.m, "GET", `${base(a.m)}/${endpointA.id}/deliveries`), 404);
		await problemOf(await asMerchant(b.m, "GET", attemptsA), 404);
		expect((await jsonOf<Endpoint>(await asMerchant(a.m, "GET", `${base(a.m)}/${endpointA.id}`))).status).toBe("enabled");

		// A's order went to A's endpoint only.
		await new Promise((r) => setTimeout(r, 1000));
		expect((await deliveries(b.m, endpointB.id)).items).toEqual([]);
		expect(await received(nameB)).toEqual([]);
		expect((await deliveries(a.m, paidOnly.id)).items).toEqual([]);
		expect(await received(onlyPaid)).toEqual([]);
		const rows = await testDb().execute<{ n: number }>(
			sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ${endpointB.id}`,
		);
		expect(rows.rows[0]?.n).toBe(0);
	});
});

describe("one queue batch, several stores", () => {
	it("each endpoint gets exactly its own store's orders, and a store with no endpoint gets no delivery", async () => {
		const [a, b, c] = await Promise.all([openShop([5, 5]), openShop([5]), openShop([5])]);
		const nameA = hookName("batch-a");
		const nameB = hookName("batch-b");
		await createEndpoint(a.m, hookUrl(nameA));
		await createEndpoint(b.m, hookUrl(nameB), ["order.created"]);
		// Placed together, so their events share oja-webhook-events batches (1 s window), whose
		// stores' endpoints the consumer reads in one statement.
		const [a1, a2, b1] = await Promise.all([placeOrder(a), placeOrder(a), placeOrder(b), placeOrder(c)]);
		const orderIdsAt = async (name: string, count: number) =>
			eventually(
				async () => {
					const bodies = (await received(name)).map((r) => JSON.parse(r.body) as { storeId: string; data: { orderId: string } });
					return bodies.length >= count ? bodies : undefined;
				},
				20_000,
				`${count} deliveries at ${name}`,
			);
		const atA = await orderIdsAt(nameA, 2);
		const atB = await orderIdsAt(nameB, 1);
		expect(atA.map((x) => x.storeId)).toEqual([a.m.storeId, a.m.storeId]);
		expect(atA.map((x) => x.data.orderId).sort()).toEqual([a1.id, a2.id].sort());
		expect(atB.map((x) => [x.storeId, x.data.orderId])).toEqual([[b.m.storeId, b1.id]]);
		// C's order.created, sent beside them, made no delivery; nothing more reached A or B either.
		await new Promise((r) => setTimeout(r, 1000));
		const rows = await testDb().execute<{ store_id: string; n: number }>(
			sql`SELECT store_id, count(*)::int AS n FROM webhook_deliveries
				WHERE store_id IN (${a.m.storeId}, ${b.m.storeId}, ${c.m.storeId}) GROUP BY store_id`,
		);
		expect(Object.fromEntries(rows.rows.map((r) => [r.store_id, r.n]))).toEqual({ [a.m.storeId]: 2, [b.m.storeId]: 1 });
		expect(await received(nameA)).toHaveLength(2);
		expect(await received(nameB)).toHaveLength(1);
	});
});

describe("bad input", () => {
	it("answers 422 naming the field, and 409 past the endpoint cap", async () => {
		const { m } = await openShop([1]);
		const url = hookUrl(hookName("bad"));
		const cases: [unknown, string][] = [
			[{ events: ["*"] }, "url"],
			[{ url, events: [] }, "events"],
			[{ url, events: ["order.refunded_by_magic"] }, "events.0"],
			[{ url, events: "*" }, "events"],
			[{ url: `https://hooks.example.com/${"a".repeat(2100)}`, events: ["*"] }, "url"],
			[{ url, events: ["*"], secret: "mine" }, ""],
			[{ url: "not a url", events: ["*"] }, "url"],
		];
		for (const [body, path] of cases) {
			const problem = await problemOf(await asMerchant(m, "POST", base(m), body), 422);
			if (path)
				expect(
					problem.errors?.map((e) => e.path),
					JSON.stringify(body).slice(0, 80),
				).toContain(path);
		}
		await problemOf(await asMerchant(m, "GET", `${base(m)}/not-an-id`), 422);
		const one = await createEndpoint(m, url);
		await problemOf(await asMerchant(m, "GET", `${base(m)}/${one.id}/deliveries?cursor=bm9wZQ`), 422);
		await problemOf(await asMerchant(m, "GET", `${base(m)}/${one.id}/deliveries?limit=1000`), 422);
		for (let i = 1; i < 10; i++) await createEndpoint(m, hookUrl(hookName(`cap${i}`)));
		const over = await problemOf(await asMerchant(m, "POST", base(m), { url, events: ["*"] }), 409);
		expect(over.code).toBe("too-many-endpoints");
	});
});
