import { env } from "cloudflare:workers";
import { signPaystackBody } from "@oja/paystack";
import {
	completePayment,
	injectFailure,
	listTransactions,
	listWebhooks,
	type WebhookDelivery,
} from "@oja/paystack-sandbox/admin";
import { asMerchant, databaseWork, eventually, gateway, jsonOf, problemOf, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
	type CheckoutBody,
	cartWith,
	checkout,
	checkoutBody,
	type OrderBody,
	openShop,
	type Shop,
	shopperGet,
} from "./commerce-fixtures.ts";

// Paying for an order online, end to end: checkout → Paystack's hosted page (the sandbox) →
// Pay → its signed charge.success, POSTed to the gateway as Paystack would → queue → payments
// verifies with Paystack → commerce marks the order paid with its ledger entry, once.

interface PaidCheckout extends CheckoutBody {
	payment: { provider: string; reference: string; authorizationUrl: string } | null;
}
interface Balance {
	currency: string;
	pendingMinor: number;
	availableMinor: number;
	inTransitMinor: number;
	feesOwedMinor: number;
}
interface LedgerPage {
	items: { kind: string; orderId: string | null; postings: { account: string; amountMinor: number }[] }[];
}

const admin = () => env.TEST_PAYSTACK_ADMIN;
let shop: Shop;

beforeAll(async () => {
	shop = await openShop([50, 50]);
});

async function placeOnline(quantity = 1): Promise<PaidCheckout> {
	const cart = await cartWith(shop.m.slug, [[shop.variants[0] as string, quantity]]);
	return jsonOf<PaidCheckout>(await checkout(shop.m.slug, cart.id, checkoutBody(shop, { paymentMethod: "online" })), 201);
}

function postWebhook(body: string, signature: string | null): Promise<Response> {
	return gateway("/webhooks/paystack", {
		method: "POST",
		headers: { "content-type": "application/json", ...(signature === null ? {} : { "x-paystack-signature": signature }) },
		body,
	});
}

/** The charge.success the sandbox signed for this reference (its Pay button sends it). */
async function chargeWebhook(reference: string): Promise<WebhookDelivery> {
	return eventually(async () =>
		(await listWebhooks(admin())).find((w) => w.event === "charge.success" && w.body.includes(`"${reference}"`)),
	);
}

async function orderOf(placed: PaidCheckout): Promise<OrderBody> {
	return jsonOf<OrderBody>(await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken));
}

async function paidEventually(placed: PaidCheckout): Promise<OrderBody> {
	return eventually(
		async () => {
			const order = await orderOf(placed);
			return order.paymentStatus === "paid" ? order : undefined;
		},
		15_000,
		"the order paid",
	);
}

const balance = async () => jsonOf<Balance>(await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/balance`));
const entriesFor = async (orderId: string) =>
	(await jsonOf<LedgerPage>(await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/ledger?orderId=${orderId}`))).items;
/** The default fee: 1.5% (half-up) + ₦100, capped at ₦2,000 and at the total. */
const feeOn = (total: number) => Math.min(Math.floor((total * 150 + 5_000) / 10_000) + 10_000, 200_000, total);

describe("the webhook at the edge", () => {
	it("verifies and enqueues without touching the database", async () => {
		const secret = (env as { PAYSTACK_SECRET_KEY?: string }).PAYSTACK_SECRET_KEY ?? "";
		// Wait for the set-up's own async work (outbox relay, consumers) to go quiet.
		let last = -1;
		await eventually(async () => {
			const now = (await databaseWork()).requests;
			const quiet = now === last;
			last = now;
			if (!quiet) await new Promise((r) => setTimeout(r, 1_200));
			return quiet ? true : undefined;
		}, 20_000);
		const body = JSON.stringify({
			event: "charge.success",
			data: {
				id: 1,
				status: "success",
				reference: `ref-unknown-${crypto.randomUUID()}`,
				amount: 5000,
				currency: "NGN",
				domain: "test",
			},
		});
		const signature = await signPaystackBody(body, secret);
		const before = (await databaseWork()).requests;
		// Nine, one short of the consumer's max_batch_size: a full batch would be handed to the
		// consumer at once, while this one waits its max_batch_timeout (a second) first.
		const answers = await Promise.all(Array.from({ length: 9 }, () => postWebhook(body, signature)));
		// Read at once, before the consumer's batch runs.
		const after = (await databaseWork()).requests;
		expect(answers.map((r) => r.status)).toEqual(Array(9).fill(200));
		expect(after - before).toBe(0);
	});
});

describe("paying online", () => {
	it("checkout → hosted page → Pay → webhook: the order turns paid, the ledger has its sale, balances follow", async () => {
		const before = await balance();
		const placed = await placeOnline(2);
		expect(placed.order).toMatchObject({ status: "pending_payment", paymentStatus: "pending" });
		expect(placed.payment?.provider).toBe("paystack");
		const { reference, authorizationUrl } = placed.payment as NonNullable<PaidCheckout["payment"]>;
		const [transaction] = await listTransactions(admin(), reference);
		expect(transaction).toMatchObject({ amount: placed.order.totalMinor, currency: "NGN" });

		const back = await completePayment(authorizationUrl, "pay");
		expect(back).toContain(`/s/${shop.m.slug}/orders/${placed.order.id}`);
		expect(back).toContain(`reference=${reference}`);
		const hook = await chargeWebhook(reference);
		expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);

		const order = await paidEventually(placed);
		expect(order).toMatchObject({ status: "open", paymentStatus: "paid", expiresAt: null });
		const total = placed.order.totalMinor;
		const after = await balance();
		expect(after.pendingMinor - before.pendingMinor).toBe(total - feeOn(total));
		const [sale] = await entriesFor(placed.order.id);
		expect(sale?.kind).toBe("sale");
		expect(sale?.postings).toEqual([{ account: "pending", currency: "NGN", amountMinor: -(total - feeOn(total)) }]);
		expect((await env.LEDGER.verify()).ok).toBe(true);
	});

	it("the same webhook five times, one after another and at once, posts one entry", async () => {
		const placed = await placeOnline();
		const { reference, authorizationUrl } = placed.payment as NonNullable<PaidCheckout["payment"]>;
		await completePayment(authorizationUrl, "pay");
		const hook = await chargeWebhook(reference);
		for (let i = 0; i < 2; i++) expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);
		const burst = await Promise.all(Array.from({ length: 3 }, () => postWebhook(hook.body, hook.signature)));
		expect(burst.map((r) => r.status)).toEqual([200, 200, 200]);
		await paidEventually(placed);
		// Give the other four deliveries time to be processed (and find the first's record).
		await new Promise((r) => setTimeout(r, 2_500));
		const entries = await entriesFor(placed.order.id);
		expect(entries).toHaveLength(1);
		const events = await testDb().execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM payment_events WHERE event_key = ${`charge.success:${reference}`}`,
		);
		expect(Number(events.rows[0]?.n)).toBe(1);
	});

	it("a burst of different orders' webhooks at once: every order paid, each with one sale entry", async () => {
		// Concurrent webhooks share a sendBatch in the gateway (queue-group-send.ts); none may be
		// lost or applied to the wrong order.
		const placed: PaidCheckout[] = [];
		for (let i = 0; i < 8; i++) placed.push(await placeOnline());
		const hooks: WebhookDelivery[] = [];
		for (const p of placed) {
			const { reference, authorizationUrl } = p.payment as NonNullable<PaidCheckout["payment"]>;
			await completePayment(authorizationUrl, "pay");
			hooks.push(await chargeWebhook(reference));
		}
		const answers = await Promise.all(hooks.map((hook) => postWebhook(hook.body, hook.signature)));
		expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
		for (const p of placed) {
			expect(await paidEventually(p)).toMatchObject({ paymentStatus: "paid", totalMinor: p.order.totalMinor });
			const entries = await entriesFor(p.order.id);
			expect(entries.map((e) => e.kind)).toEqual(["sale"]);
		}
	});

	it("refuses forged, missing and re-serialised signatures, and writes nothing for them", async () => {
		const placed = await placeOnline();
		const { reference, authorizationUrl } = placed.payment as NonNullable<PaidCheckout["payment"]>;
		await completePayment(authorizationUrl, "pay");
		const hook = await chargeWebhook(reference);
		const forged = await signPaystackBody(hook.body, "sk_test_not_the_platform_key");
		const reserialised = JSON.stringify(JSON.parse(hook.body), null, 2);
		for (const [body, signature] of [
			[hook.body, forged],
			[hook.body, null],
			[hook.body, ""],
			[hook.body, hook.signature.slice(0, -2)],
			[reserialised, hook.signature],
			[`${hook.body} `, hook.signature],
		] as const) {
			const problem = await problemOf(await postWebhook(body, signature), 401);
			expect(problem.requestId).toMatch(/^req_/);
		}
		// Had any of those been queued, the order would be paid by now.
		await new Promise((r) => setTimeout(r, 2_500));
		expect((await orderOf(placed)).paymentStatus).toBe("pending");
		expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);
		await paidEventually(placed);
	});

	it("answers 400 to a correctly signed body that is not a Paystack event, 200 to an event Oja ignores", async () => {
		const secret = (env as { PAYSTACK_SECRET_KEY?: string }).PAYSTACK_SECRET_KEY ?? "";
		for (const body of ["not json", "[]", '{"event":"charge.success","data":{"reference":42}}']) {
			await problemOf(await postWebhook(body, await signPaystackBody(body, secret)), 400);
		}
		const ignored = JSON.stringify({ event: "subscription.create", data: { id: 1 } });
		expect((await postWebhook(ignored, await signPaystackBody(ignored, secret))).status).toBe(200);
	});

	it("an amount or currency that differs from the order puts the payment under review, never paid", async () => {
		for (const change of [sql`amount_minor = amount_minor + 1`, sql`currency = 'GHS'`]) {
			const placed = await placeOnline();
			const { reference, authorizationUrl } = placed.payment as NonNullable<PaidCheckout["payment"]>;
			// As if the order and Paystack's transaction disagreed: the payment row is what is checked.
			await testDb().execute(sql`UPDATE payments SET ${change} WHERE reference = ${reference}`);
			await completePayment(authorizationUrl, "pay");
			const hook = await chargeWebhook(reference);
			expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);
			const status = await eventually(async () => {
				const rows = await testDb().execute<{ status: string; review_reason: string | null }>(
					sql`SELECT status, review_reason FROM payments WHERE reference = ${reference}`,
				);
				return rows.rows[0]?.status === "review" ? rows.rows[0] : undefined;
			});
			expect(status.review_reason).toContain("amount or currency");
			expect((await orderOf(placed)).paymentStatus).toBe("pending");
			expect(await entriesFor(placed.order.id)).toHaveLength(0);
		}
	});

	it("an event that keeps failing ends in the dead-letter queue, recorded for an operator, the order untouched", async () => {
		const placed = await placeOnline();
		const { reference, authorizationUrl } = placed.payment as NonNullable<PaidCheckout["payment"]>;
		await completePayment(authorizationUrl, "pay");
		const hook = await chargeWebhook(reference);
		// Paystack's verify answers 500 for this transaction, every time.
		await injectFailure(admin(), { path: `/transaction/verify/${reference}`, status: 500, times: 1_000 });
		expect((await postWebhook(hook.body, hook.signature)).status).toBe(200);
		const dead = await eventually(
			async () => {
				const rows = await testDb().execute<{ queue: string; attempts: number }>(
					sql`SELECT queue, attempts FROM dead_letters WHERE queue = 'oja-paystack-events-dlq' AND body::text LIKE ${`%${reference}%`}`,
				);
				return rows.rows[0];
			},
			60_000,
			"the dead letter",
		);
		expect(dead.queue).toBe("oja-paystack-events-dlq");
		expect((await orderOf(placed)).paymentStatus).toBe("pending");
	}, 90_000);

	it("with Paystack down the order still stands; the retry makes one transaction under the same reference", async () => {
		// The client tries three times; all three fail.
		await injectFailure(admin(), { path: "/transaction/initialize", status: 503, times: 3 });
		const placed = await placeOnline();
		expect(placed.payment).toBeNull();
		expect(placed.order.status).toBe("pending_payment");
		const [row] = (
			await testDb().execute<{ reference: string; status: string }>(
				sql`SELECT reference, status FROM payments WHERE order_id = ${placed.order.id}`,
			)
		).rows;
		expect(row?.status).toBe("initializing");
		const path = `/v1/storefront/${shop.m.slug}/orders/${placed.order.id}/payment`;
		// Someone else's attempt: without the order's token the order does not exist.
		await problemOf(await gateway(path, { method: "POST" }), 404);
		const retry = (token: string) => gateway(path, { method: "POST", headers: { authorization: `Bearer ${token}` } });
		const link = await jsonOf<{ reference: string; authorizationUrl: string }>(await retry(placed.orderToken));
		expect(link.reference).toBe(row?.reference);
		const again = await jsonOf<{ reference: string; authorizationUrl: string }>(await retry(placed.orderToken));
		expect(again).toEqual(link);
		expect(await listTransactions(admin(), link.reference)).toHaveLength(1);
	});

	it("a replayed checkout answers with the same payment link", async () => {
		const cart = await cartWith(shop.m.slug, [[shop.variants[1] as string, 1]]);
		const key = crypto.randomUUID();
		const body = checkoutBody(shop, { paymentMethod: "online" });
		const first = await jsonOf<PaidCheckout>(await checkout(shop.m.slug, cart.id, body, key), 201);
		const second = await jsonOf<PaidCheckout>(await checkout(shop.m.slug, cart.id, body, key), 201);
		expect(second.payment).toEqual(first.payment);
		expect(await listTransactions(admin(), first.payment?.reference)).toHaveLength(1);
	});

	it("pay on delivery: recording the cash books the fee the merchant now owes", async () => {
		const before = await balance();
		const cart = await cartWith(shop.m.slug, [[shop.variants[1] as string, 1]]);
		const placed = await jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop)), 201);
		await jsonOf(await asMerchant(shop.m, "POST", `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}/payment-collected`));
		const after = await balance();
		expect(after.feesOwedMinor - before.feesOwedMinor).toBe(feeOn(placed.order.totalMinor));
		expect(after.pendingMinor).toBe(before.pendingMinor);
		const [entry] = await entriesFor(placed.order.id);
		expect(entry).toMatchObject({
			kind: "pod_fee",
			postings: [{ account: "fees_receivable", amountMinor: feeOn(placed.order.totalMinor) }],
		});
	});

	it("balances and the ledger are the store's own: another store's member gets 404", async () => {
		const other = await openShop([1]);
		await problemOf(await asMerchant(other.m, "GET", `/v1/stores/${shop.m.storeId}/balance`), 404);
		await problemOf(await asMerchant(other.m, "GET", `/v1/stores/${shop.m.storeId}/ledger`), 404);
		expect((await balance()).currency).toBe("NGN");
	});
});
