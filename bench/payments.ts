// The payments benchmark (`npm run bench -- --only payments`): webhook ingest at the edge
// (verify the signature over the raw body, enqueue, answer: no SQL), charge-to-paid end to end
// (the sandbox's Pay button → signed webhook → gateway → queue → payments verifies with the
// sandbox → commerce applies it with its ledger entry), and ledger postings per second.

import { neon, neonConfig } from "@neondatabase/serverless";
import { createDb } from "@oja/db";
import { saleEntry } from "@oja/ledger";
import { postEntry, verifyBalances } from "@oja/ledger/sql";
import { completePayment, listWebhooks } from "@oja/paystack-sandbox/admin";
import type { Stack } from "../scripts/local-stack.ts";
import type { Load } from "./commerce.ts";
import { CART_VARIANTS, makeCarts, SLUG, seedCommerce, settle } from "./commerce.ts";
import { type IngestResult, type IngestRound, measureIngest } from "./ingest.ts";

export interface PaymentsResult {
	ingest: IngestResult;
	helloWorld: { perSecond: number };
	/** Ingest ÷ bare workerd, same run. */
	ingestRatio: number;
	/** Each round's bare workerd then ingest; the figures above are their medians. */
	rounds: IngestRound[];
	chargeToPaid: { orders: number; wallSeconds: number; perSecond: number; allPaid: boolean; ledgerEntries: number };
	ledger: {
		single: { entries: number; seconds: number; perSecond: number };
		batched: { entries: number; seconds: number; perSecond: number; perBatch: number };
		consistent: boolean;
	};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PICKUP = `dlv_01BENCH${"1".padStart(19, "0")}`;

async function placeOnlineOrders(stack: Stack, count: number): Promise<{ orderId: string; payAt: string }[]> {
	const carts = await makeCarts(stack.gatewayUrl, count, (i) => CART_VARIANTS[i % CART_VARIANTS.length] as string);
	const out: { orderId: string; payAt: string }[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: 8 }, async () => {
			while (next < carts.length) {
				const cart = carts[next++] as string;
				const res = await fetch(`${stack.gatewayUrl}/v1/storefront/${SLUG}/carts/${cart}/checkout`, {
					method: "POST",
					headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
					body: JSON.stringify({
						name: "Ada Obi",
						phone: "08031234567",
						email: "ada@example.com",
						deliveryOptionId: PICKUP,
						paymentMethod: "online",
					}),
				});
				const body = (await res.json()) as { order?: { id: string }; payment?: { authorizationUrl: string } | null };
				if (res.status !== 201 || !body.order || !body.payment) throw new Error(`bench: online checkout answered ${res.status}`);
				out.push({ orderId: body.order.id, payAt: body.payment.authorizationUrl });
			}
		}),
	);
	return out;
}

export async function runPayments(
	stack: Stack,
	load: Load,
	durationSeconds: number,
	log: (line: string) => void,
): Promise<PaymentsResult> {
	await seedCommerce(stack);
	neonConfig.fetchEndpoint = stack.sqlEndpoint;
	const sql = neon(stack.databaseUrl);
	const paidCount = async (ids: string[]) =>
		Number(
			(
				(await sql.query("SELECT count(*) AS n FROM orders WHERE id = ANY($1) AND payment_status = 'paid'", [ids])) as {
					n: string;
				}[]
			)[0]?.n,
		);

	// 1. Charge to paid: N orders, Pay pressed on each (16 at a time), until every one is paid.
	const orders = await placeOnlineOrders(stack, 200);
	log(`payments: ${orders.length} online orders placed`);
	await settle(stack);
	const started = performance.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: 16 }, async () => {
			while (next < orders.length) await completePayment((orders[next++] as { payAt: string }).payAt, "pay");
		}),
	);
	const ids = orders.map((o) => o.orderId);
	let paid = 0;
	for (let waited = 0; waited < 120_000; waited += 100) {
		paid = await paidCount(ids);
		if (paid === ids.length) break;
		await sleep(100);
	}
	const wallSeconds = (performance.now() - started) / 1000;
	const entries = Number(
		(
			(await sql.query("SELECT count(*) AS n FROM ledger_entries WHERE kind = 'sale' AND order_id = ANY($1)", [ids])) as {
				n: string;
			}[]
		)[0]?.n,
	);
	const chargeToPaid = {
		orders: ids.length,
		wallSeconds: Math.round(wallSeconds * 100) / 100,
		perSecond: Math.round(ids.length / wallSeconds),
		allPaid: paid === ids.length,
		ledgerEntries: entries,
	};
	log(`payments: charge to paid ${JSON.stringify(chargeToPaid)}`);
	await settle(stack);

	// 2. Webhook ingest: a real signed charge.success (a duplicate by now: the consumer finds it
	// applied), posted as fast as the gateway takes it, beside bare workerd in the same run.
	const hook = (await listWebhooks(stack.paystackAdminUrl)).find((w) => w.event === "charge.success");
	if (!hook) throw new Error("bench: the sandbox sent no charge.success");
	const measured = await measureIngest(
		stack,
		load,
		{
			path: "/webhooks/paystack",
			headers: { "content-type": "application/json", "x-paystack-signature": hook.signature },
			body: hook.body,
		},
		durationSeconds,
	);
	log(`payments: ingest ${JSON.stringify(measured.ingest)}, hello-world ${measured.helloWorld.perSecond} req/s`);
	await settle(stack, 60);

	// 3. Ledger postings: sale entries (4 postings, the store-balance trigger, the deferred
	// balance check) for 100 stores from 16 concurrent clients, one entry per transaction; then
	// the same with 10 entries per transaction (as settlement posts them).
	const db = createDb({ DATABASE_URL: stack.databaseUrl, NEON_LOCAL_ENDPOINT: stack.sqlEndpoint });
	const postFor = async (seconds: number, perBatch: number) => {
		let count = 0;
		const until = performance.now() + seconds * 1000;
		const t0 = performance.now();
		await Promise.all(
			Array.from({ length: 16 }, async (_, worker) => {
				while (performance.now() < until) {
					const batch = Array.from({ length: perBatch }, (_, i) => {
						const store = `st_01BENCHLEDGER${String((worker * 7 + i + count) % 100).padStart(12, "0")}`;
						return postEntry(
							db,
							saleEntry({
								storeId: store,
								currency: "NGN",
								orderId: `ord_${crypto.randomUUID()}`,
								reference: crypto.randomUUID(),
								amountMinor: 1_000_000n,
								feeMinor: 25_000n,
								providerFeeMinor: 15_000n,
							}),
							null,
						);
					});
					await db.batch(batch as [(typeof batch)[number], ...(typeof batch)[number][]]);
					count += perBatch;
				}
			}),
		);
		const secs = (performance.now() - t0) / 1000;
		return { entries: count, seconds: Math.round(secs * 100) / 100, perSecond: Math.round(count / secs) };
	};
	const single = await postFor(durationSeconds, 1);
	const batched = { ...(await postFor(durationSeconds, 10)), perBatch: 10 };
	const consistent = (await verifyBalances(db)).length === 0;
	log(`payments: ledger single ${JSON.stringify(single)}, batched ${JSON.stringify(batched)}, consistent ${consistent}`);
	return {
		...measured,
		chargeToPaid,
		ledger: { single, batched, consistent },
	};
}
