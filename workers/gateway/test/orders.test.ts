import { env } from "cloudflare:workers";
import { asMerchant, gateway, jsonOf, postJson, problemOf, signUpMerchant, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import fc from "fast-check";
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
	stockOf,
} from "./commerce-fixtures.ts";

// The order lifecycle through the merchant API: fulfil, cancel, cash collected, delivered,
// expiry exactly once, and the stock invariants under random command sequences.

let shop: Shop;
let other: Shop;
const commerce = (env as unknown as { COMMERCE: { expireReservations(): Promise<{ expired: number; skipped: number }> } })
	.COMMERCE;

beforeAll(async () => {
	shop = await openShop([1000, 1000, 1000]);
	other = await openShop([10]);
});

const orderPath = (id: string, rest = "") => `/v1/stores/${shop.m.storeId}/orders/${id}${rest}`;

async function place(lines: [string, number][], overrides: Record<string, unknown> = {}): Promise<CheckoutBody> {
	const cart = await cartWith(shop.m.slug, lines);
	return jsonOf<CheckoutBody>(await checkout(shop.m.slug, cart.id, checkoutBody(shop, overrides)), 201);
}

/** Every variant's reserved count equals what its open orders' lines still hold. */
async function reservationsBalance(storeId: string): Promise<void> {
	const result = await testDb().execute<{ variant_id: string; reserved: number; held: string }>(sql`
		SELECT i.variant_id, i.reserved, coalesce((SELECT sum(ol.reserved_quantity) FROM order_lines ol
			JOIN orders o ON o.id = ol.order_id WHERE ol.variant_id = i.variant_id AND o.status IN ('pending_payment', 'open')), 0) AS held,
			i.on_hand
		FROM inventory i WHERE i.store_id = ${storeId}`);
	for (const row of result.rows) {
		expect({ variant: row.variant_id, reserved: Number(row.reserved) }).toEqual({
			variant: row.variant_id,
			reserved: Number(row.held),
		});
	}
	const lines = await testDb().execute<{ n: string }>(sql`
		SELECT count(*) AS n FROM order_lines ol JOIN orders o ON o.id = ol.order_id
		WHERE o.store_id = ${storeId} AND o.status NOT IN ('pending_payment', 'open') AND ol.reserved_quantity > 0`);
	expect(Number(lines.rows[0]?.n)).toBe(0);
}

describe("orders (merchant)", () => {
	it("lists and reads orders with filters and a cursor; another store sees none of them", async () => {
		const placed = [
			await place([[shop.variants[0] as string, 1]], { email: "list-a@example.com" }),
			await place([[shop.variants[1] as string, 2]], { email: "list-b@example.com" }),
			await place([[shop.variants[2] as string, 1]], { email: "list-b@example.com", phone: "08099990000" }),
		];
		const page1 = await jsonOf<{ items: OrderBody[]; nextCursor: string | null }>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?limit=2`),
		);
		expect(page1.items).toHaveLength(2);
		expect(page1.nextCursor).not.toBeNull();
		const byEmail = await jsonOf<{ items: OrderBody[] }>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?email=LIST-B@example.com`),
		);
		expect(byEmail.items.map((o) => o.id).sort()).toEqual([placed[1]?.order.id, placed[2]?.order.id].sort());
		const byPhone = await jsonOf<{ items: OrderBody[] }>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?phone=0809%209990000`),
		);
		expect(byPhone.items.map((o) => o.id)).toEqual([placed[2]?.order.id]);
		const byNumber = await jsonOf<{ items: OrderBody[] }>(
			await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?number=${placed[0]?.order.number}`),
		);
		expect(byNumber.items.map((o) => o.id)).toEqual([placed[0]?.order.id]);
		const one = await jsonOf<OrderBody>(await asMerchant(shop.m, "GET", orderPath(placed[0]?.order.id as string)));
		expect(one.timeline?.length).toBeGreaterThan(0);
		await problemOf(await asMerchant(other.m, "GET", `/v1/stores/${other.m.storeId}/orders/${placed[0]?.order.id}`), 404);
		await problemOf(await asMerchant(other.m, "GET", `/v1/stores/${shop.m.storeId}/orders`), 404);
		const theirs = await jsonOf<{ items: OrderBody[] }>(await asMerchant(other.m, "GET", `/v1/stores/${other.m.storeId}/orders`));
		expect(theirs.items).toHaveLength(0);
		await problemOf(await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?cursor=bogus`), 422);
		await problemOf(await asMerchant(shop.m, "GET", `/v1/stores/${shop.m.storeId}/orders?status=paid`), 422);
	});

	it("pay on delivery: fulfil in parts, collect the cash, and the order completes", async () => {
		const [a, b] = shop.variants as [string, string];
		const placed = await place([
			[a, 3],
			[b, 1],
		]);
		const before = await stockOf(a);
		const lineA = placed.order.lines.find((l) => l.variantId === a)?.id as string;
		const partial = await jsonOf<OrderBody>(
			await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/fulfilments"), {
				lines: [{ lineId: lineA, quantity: 2 }],
				carrier: "GIG Logistics",
				trackingNumber: "GIG123",
			}),
			201,
		);
		expect(partial).toMatchObject({ status: "open", fulfilmentStatus: "partially_fulfilled" });
		// Fulfilled units leave on hand and reserved together.
		expect(await stockOf(a)).toEqual({ onHand: before.onHand - 2, reserved: before.reserved - 2 });
		const over = await problemOf(
			await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/fulfilments"), { lines: [{ lineId: lineA, quantity: 2 }] }),
			409,
		);
		expect(over.code).toBe("over-fulfilment");
		const rest = await jsonOf<OrderBody>(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/fulfilments"), {}), 201);
		expect(rest).toMatchObject({ status: "open", fulfilmentStatus: "fulfilled", paymentStatus: "due_on_delivery" });
		const paid = await jsonOf<OrderBody>(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/payment-collected")));
		expect(paid).toMatchObject({ status: "completed", paymentStatus: "paid" });
		const timeline = (await jsonOf<OrderBody>(await asMerchant(shop.m, "GET", orderPath(placed.order.id)))).timeline ?? [];
		const changes = timeline.filter((t) => t.kind === "status_changed").map((t) => `${t.field}:${t.from}->${t.to}`);
		expect(changes.slice(0, 2)).toEqual([
			"fulfilmentStatus:unfulfilled->partially_fulfilled",
			"fulfilmentStatus:partially_fulfilled->fulfilled",
		]);
		// Collecting the cash changes two statuses in one transition.
		expect(changes.slice(2).sort()).toEqual(["paymentStatus:due_on_delivery->paid", "status:open->completed"]);
		await problemOf(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/payment-collected")), 409);
		await problemOf(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/cancel"), { reason: "too late" }), 409);
		await reservationsBalance(shop.m.storeId);
	});

	it("an online order cannot be fulfilled before it is paid; cancelling releases its stock", async () => {
		const [c] = shop.variants.slice(2) as [string];
		const before = await stockOf(c);
		const placed = await place([[c, 4]], { paymentMethod: "online" });
		expect((await stockOf(c)).reserved).toBe(before.reserved + 4);
		const illegal = await problemOf(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/fulfilments"), {}), 409);
		expect(illegal.code).toBe("illegal-transition");
		await problemOf(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/cancel"), {}), 422);
		const cancelled = await jsonOf<OrderBody>(
			await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/cancel"), { reason: "customer asked" }),
		);
		expect(cancelled.status).toBe("cancelled");
		expect(await stockOf(c)).toEqual(before);
		await problemOf(await asMerchant(shop.m, "POST", orderPath(placed.order.id, "/cancel"), { reason: "again" }), 409);
		expect(await stockOf(c)).toEqual(before);
	});

	it("another store's staff cannot touch an order", async () => {
		const placed = await place([[shop.variants[0] as string, 1]]);
		for (const [method, rest, body] of [
			["POST", "/fulfilments", {}],
			["POST", "/cancel", { reason: "x" }],
			["POST", "/payment-collected", undefined],
		] as const) {
			await problemOf(
				await asMerchant(other.m, method, `/v1/stores/${other.m.storeId}/orders/${placed.order.id}${rest}`, body),
				404,
			);
			await problemOf(
				await asMerchant(other.m, method, `/v1/stores/${shop.m.storeId}/orders/${placed.order.id}${rest}`, body),
				404,
			);
		}
		const unchanged = await jsonOf<OrderBody>(await asMerchant(shop.m, "GET", orderPath(placed.order.id)));
		expect(unchanged.status).toBe("open");
		const stranger = await signUpMerchant();
		await problemOf(await asMerchant(stranger, "GET", orderPath(placed.order.id)), 404);
	});
});

describe("a signed-in shopper's orders", () => {
	it("lists the shopper's own orders at this store, and no one else's", async () => {
		const signup = async (email: string) =>
			jsonOf<{ accessToken: string }>(
				await postJson(`/v1/storefront/${shop.m.slug}/account/signup`, {
					email,
					password: "correct horse battery",
					name: "Ngozi",
				}),
				201,
			);
		const ngozi = await signup("ngozi@example.com");
		const tunde = await signup("tunde@example.com");
		const mine = await place([[shop.variants[0] as string, 1]], { email: "ngozi@example.com" });
		await place([[shop.variants[0] as string, 1]], { email: "tunde@example.com" });
		// Orders are listed only for a verified email (commerce-attacks.test.ts shows why).
		await testDb().execute(
			sql`UPDATE customers SET email_verified_at = now() WHERE email IN ('ngozi@example.com', 'tunde@example.com')`,
		);
		const list = await jsonOf<{ items: OrderBody[] }>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/account/orders`, ngozi.accessToken),
		);
		expect(list.items.map((o) => o.id)).toEqual([mine.order.id]);
		const theirs = await jsonOf<{ items: OrderBody[] }>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/account/orders`, tunde.accessToken),
		);
		expect(theirs.items.map((o) => o.id)).not.toContain(mine.order.id);
		await problemOf(await gateway(`/v1/storefront/${shop.m.slug}/account/orders`), 401);
		// A token for this store is refused at another store.
		const elsewhere = await shopperGet(`/v1/storefront/${other.m.slug}/account/orders`, ngozi.accessToken);
		expect([401, 404]).toContain(elsewhere.status);
		await elsewhere.body?.cancel();
		// Signing out ends access at once.
		const out = await gateway(`/v1/storefront/${shop.m.slug}/account/logout`, {
			method: "POST",
			headers: { authorization: `Bearer ${ngozi.accessToken}` },
		});
		expect(out.status).toBe(204);
		await problemOf(await shopperGet(`/v1/storefront/${shop.m.slug}/account/orders`, ngozi.accessToken), 401);
	});
});

describe("reservation expiry", () => {
	it("releases an unpaid order exactly once, even when sweeps race", async () => {
		const [a] = shop.variants as [string];
		const before = await stockOf(a);
		const placed = await place([[a, 5]], { paymentMethod: "online" });
		await testDb().execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${placed.order.id}`);
		const sweeps = await Promise.all(Array.from({ length: 4 }, () => commerce.expireReservations()));
		expect(sweeps.reduce((n, s) => n + s.expired, 0)).toBe(1);
		expect(await stockOf(a)).toEqual(before);
		const order = await jsonOf<OrderBody>(
			await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken),
		);
		expect(order.status).toBe("expired");
		const released = await testDb().execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM outbox WHERE aggregate_id = ${placed.order.id} AND type = 'inventory.released'`,
		);
		expect(Number(released.rows[0]?.n)).toBe(1);
		expect((await commerce.expireReservations()).expired).toBe(0);
	});

	it("does not expire an order that is not yet due, or one that left pending_payment meanwhile", async () => {
		const [b] = shop.variants.slice(1) as [string];
		const notDue = await place([[b, 1]], { paymentMethod: "online" });
		const paidMeanwhile = await place([[b, 1]], { paymentMethod: "online" });
		await testDb().execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${paidMeanwhile.order.id}`);
		// A late payment (the payments issue's transition) lands just before the sweep.
		await testDb().execute(
			sql`UPDATE orders SET status = 'open', payment_status = 'paid', paid_minor = total_minor WHERE id = ${paidMeanwhile.order.id}`,
		);
		const before = await stockOf(b);
		await commerce.expireReservations();
		expect(await stockOf(b)).toEqual(before);
		for (const placed of [notDue, paidMeanwhile]) {
			const order = await jsonOf<OrderBody>(
				await shopperGet(`/v1/storefront/${shop.m.slug}/orders/${placed.order.id}`, placed.orderToken),
			);
			expect(order.status).not.toBe("expired");
		}
	});
});

describe("stock invariants under random command sequences", () => {
	it("reserved always equals what open orders hold, and available never goes negative", async () => {
		const seed = Number((env as { FUZZ_SEED?: string }).FUZZ_SEED) || 20261130;
		const s = await openShop([6, 4]);
		const orders: { id: string; online: boolean }[] = [];
		const command = fc.oneof(
			fc.record({ kind: fc.constant("place" as const), v: fc.nat(1), q: fc.integer({ min: 1, max: 4 }), online: fc.boolean() }),
			fc.record({
				kind: fc.constantFrom("fulfil" as const, "cancel" as const, "collect" as const, "expire" as const),
				pick: fc.nat(),
			}),
		);
		await fc.assert(
			fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 10 }), async (commands) => {
				for (const cmd of commands) {
					if (cmd.kind === "place") {
						const cart = await cartWith(s.m.slug, [[s.variants[cmd.v] as string, 1]]).catch(() => null);
						if (!cart) continue;
						const res = await checkout(
							s.m.slug,
							cart.id,
							checkoutBody(s, { paymentMethod: cmd.online ? "online" : "pay_on_delivery" }),
						);
						if (res.status === 201) orders.push({ id: ((await res.json()) as CheckoutBody).order.id, online: cmd.online });
						else expect(res.status).toBe(409);
						await res.body?.cancel().catch(() => undefined);
						continue;
					}
					const target = orders[cmd.pick % Math.max(1, orders.length)];
					if (!target) continue;
					const p = `/v1/stores/${s.m.storeId}/orders/${target.id}`;
					let res: Response;
					if (cmd.kind === "fulfil") res = await asMerchant(s.m, "POST", `${p}/fulfilments`, {});
					else if (cmd.kind === "cancel") res = await asMerchant(s.m, "POST", `${p}/cancel`, { reason: "property test" });
					else if (cmd.kind === "collect") res = await asMerchant(s.m, "POST", `${p}/payment-collected`);
					else {
						await testDb().execute(
							sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${target.id} AND status = 'pending_payment'`,
						);
						await commerce.expireReservations();
						continue;
					}
					// Legal commands succeed; illegal ones are a clean 409 that changes nothing.
					expect([200, 201, 409]).toContain(res.status);
					await res.body?.cancel();
				}
				await reservationsBalance(s.m.storeId);
				const negative = await testDb().execute<{ n: string }>(
					sql`SELECT count(*) AS n FROM inventory WHERE store_id = ${s.m.storeId} AND on_hand - reserved < 0`,
				);
				expect(Number(negative.rows[0]?.n)).toBe(0);
			}),
			{ seed, numRuns: 6 },
		);
	});
});
