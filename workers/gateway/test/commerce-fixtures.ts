// Shared set-up for the cart, checkout and order tests: a store with products in stock and
// delivery options, and a shopper's cart.
import { newId } from "@oja/db";
import { asMerchant, gateway, jsonOf, postJson, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";

export interface CartBody {
	id: string;
	currency: string;
	status: string;
	lines: {
		id: string;
		variantId: string;
		quantity: number;
		unitPriceMinor: number;
		lineTotalMinor: number;
		priceWhenAddedMinor: number;
		priceChanged: boolean;
		available: number;
	}[];
	subtotalMinor: number;
	discountMinor: number;
	totalMinor: number;
	discount: { code: string; amountMinor: number; applies: boolean; reason: string | null } | null;
	orderId: string | null;
}

export interface OrderBody {
	id: string;
	number: number;
	status: string;
	paymentStatus: string;
	fulfilmentStatus: string;
	paymentMethod: string;
	lines: { id: string; variantId: string; quantity: number; unitPriceMinor: number; fulfilledQuantity: number }[];
	subtotalMinor: number;
	discountMinor: number;
	deliveryMinor: number;
	totalMinor: number;
	currency: string;
	expiresAt: string | null;
	timeline?: { kind: string; field: string | null; from: string | null; to: string | null; actor: string }[];
}

export interface CheckoutBody {
	order: OrderBody;
	orderToken: string;
}

export interface Shop {
	m: TestMerchant;
	variants: string[];
	products: { id: string; handle: string }[];
	pickup: string;
	delivery: string;
	deliveryPod: string;
}

/** A store with one product per `stock` entry (price ₦1,000.00 + i), and delivery options. */
export async function openShop(stock: number[], prices?: number[]): Promise<Shop> {
	const m = await signUpMerchant();
	const variants: string[] = [];
	const products: { id: string; handle: string }[] = [];
	for (const [i, onHand] of stock.entries()) {
		const product = await jsonOf<{ id: string; handle: string; variants: { id: string }[] }>(
			await asMerchant(m, "POST", `/v1/stores/${m.storeId}/products`, {
				title: `Ankara Print ${i}`,
				status: "active",
				variants: [{ priceMinor: prices?.[i] ?? 100_000 + i, inventory: { onHand } }],
			}),
			201,
		);
		products.push({ id: product.id, handle: product.handle });
		variants.push(product.variants[0]?.id ?? "");
	}
	const [pickup, delivery, deliveryPod] = [newId("deliveryOption"), newId("deliveryOption"), newId("deliveryOption")];
	// Delivery options are written directly: their API is tested on its own.
	await testDb().execute(sql`
		INSERT INTO delivery_options (id, store_id, kind, name, fee_minor, currency, books_courier, pay_on_delivery,
			pay_on_delivery_max_total_minor, states, position)
		VALUES (${pickup}, ${m.storeId}, 'pickup', 'Pick up in Yaba', 0, 'NGN', false, true, null, '{}', 0),
			(${delivery}, ${m.storeId}, 'delivery', 'Lagos delivery', 150000, 'NGN', true, false, null, '{Lagos}', 1),
			(${deliveryPod}, ${m.storeId}, 'delivery', 'Lagos delivery, pay on delivery', 200000, 'NGN', false, true, 5000000, '{Lagos}', 2)`);
	return { m, variants, products, pickup, delivery, deliveryPod };
}

export async function newCart(slug: string): Promise<CartBody> {
	return jsonOf<CartBody>(await postJson(`/v1/storefront/${slug}/carts`, {}), 201);
}

export async function addLine(slug: string, cartId: string, variantId: string, quantity = 1): Promise<Response> {
	return postJson(`/v1/storefront/${slug}/carts/${cartId}/lines`, { variantId, quantity });
}

export function checkoutBody(shop: Shop, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		name: "Chioma Eze",
		phone: "0803 123 4567",
		email: "chioma@example.com",
		deliveryOptionId: shop.pickup,
		paymentMethod: "pay_on_delivery",
		...overrides,
	};
}

export function checkout(slug: string, cartId: string, body: unknown, key = crypto.randomUUID()): Promise<Response> {
	return postJson(`/v1/storefront/${slug}/carts/${cartId}/checkout`, body, { "idempotency-key": key });
}

/** A cart holding the given variant quantities. */
export async function cartWith(slug: string, lines: [string, number][]): Promise<CartBody> {
	const cart = await newCart(slug);
	for (const [variantId, quantity] of lines) await jsonOf(await addLine(slug, cart.id, variantId, quantity), 201);
	return cart;
}

export async function stockOf(variantId: string): Promise<{ onHand: number; reserved: number }> {
	const result = await testDb().execute<{ on_hand: number; reserved: number }>(
		sql`SELECT on_hand, reserved FROM inventory WHERE variant_id = ${variantId}`,
	);
	const row = result.rows[0];
	return { onHand: Number(row?.on_hand), reserved: Number(row?.reserved) };
}

export function shopperGet(path: string, token: string): Promise<Response> {
	return gateway(path, { headers: { authorization: `Bearer ${token}` } });
}
