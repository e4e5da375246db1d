import { type DiscountTerms, type PricedCart, priceCart, type StoredCart, type VariantSnapshot } from "@oja/cart";
import { ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import type { Cart } from "./cart.ts";

// Storefront cart operations: the gateway resolved the store from the slug and, for adds, the
// variant's price and availability from its cache; these functions talk to the cart's object.

export function cartStub(env: CommerceEnv, storeId: string, cartId: string): DurableObjectStub<Cart> {
	// The store is part of the name, so another store's cart id is a different, empty object.
	return env.CART.get(env.CART.idFromName(`${storeId}:${cartId}`));
}

export function notFound(): ProblemError {
	return new ProblemError(problem("not-found", "No such cart."));
}

type Edit = { ok: true; cart: StoredCart } | { ok: false; code: string; message: string };

/** A refused edit as the API reports it. */
export function editOutcome(edit: Edit, variantId?: string): PricedCart {
	if (edit.ok) return priceCart(edit.cart, Date.now());
	switch (edit.code) {
		case "not-found":
			throw notFound();
		case "frozen":
			throw new ProblemError(
				problem("conflict", "This cart has been checked out; start a new cart.", { extensions: { code: "cart-checked-out" } }),
			);
		case "sold-out":
			throw new ProblemError(
				problem("validation-failed", edit.message, {
					errors: [{ path: variantId ? "variantId" : "quantity", message: edit.message, code: "sold_out" }],
				}),
			);
		case "unknown-line":
			throw new ProblemError(problem("not-found", edit.message));
		default:
			throw new ProblemError(
				problem("validation-failed", edit.message, { errors: [{ path: "variantId", message: edit.message, code: edit.code }] }),
			);
	}
}

export function priced(cart: StoredCart | null): PricedCart {
	if (!cart) throw notFound();
	return priceCart(cart, Date.now());
}

/** A live discount code's terms, for the cart to show; checkout re-checks every limit atomically. */
export async function discountTerms(db: Database, storeId: string, code: string): Promise<DiscountTerms> {
	const result = await db.execute<{
		code: string;
		kind: "percentage" | "fixed";
		percent_off: number | null;
		amount_off_minor: string | number | null;
		min_subtotal_minor: string | number | null;
		ends_at: string | Date | null;
	}>(sql`
		SELECT code, kind, percent_off, amount_off_minor, min_subtotal_minor, ends_at FROM discounts
		WHERE store_id = ${storeId} AND code = ${code} AND deleted_at IS NULL AND active
			AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())
			AND (usage_limit IS NULL OR used_count < usage_limit)`);
	const row = result.rows[0];
	if (!row) {
		throw new ProblemError(
			problem("validation-failed", "That discount code is not valid here.", {
				errors: [{ path: "code", message: "Unknown, expired or used-up code", code: "invalid_discount" }],
			}),
		);
	}
	return {
		code: row.code,
		kind: row.kind,
		percentOff: row.percent_off === null ? null : Number(row.percent_off),
		amountOffMinor: row.amount_off_minor === null ? null : Number(row.amount_off_minor),
		minSubtotalMinor: row.min_subtotal_minor === null ? null : Number(row.min_subtotal_minor),
		endsAt: row.ends_at === null ? null : new Date(row.ends_at).toISOString(),
	};
}

export type { VariantSnapshot };
