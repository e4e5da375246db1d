import type { RequestContext, StoreAccess, UpdateVariantInput, Variant, VariantInput } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, newId, pgErrorCode, schema } from "@oja/db";
import { appendEvent } from "@oja/events";
import { and, eq, sql } from "drizzle-orm";
import { conflict, eventIdsOf, getProduct } from "./products.ts";

// A variant belongs to a product; every change to one is a change to its product, so it
// emits catalog.product.updated (what storefront caches and search listen for).

function invalid(path: string, message: string): never {
	throw new ProblemError(problem("validation-failed", message, { errors: [{ path, message, code: "invalid" }] }));
}

async function productOf(db: Database, storeId: string, productId: string) {
	const [product] = await db
		.select({ handle: schema.products.handle, options: schema.products.options })
		.from(schema.products)
		.where(and(eq(schema.products.id, productId), eq(schema.products.storeId, storeId)));
	if (!product) throw new ProblemError(problem("not-found", "No such product."));
	return product;
}

function productUpdated(db: Database, access: StoreAccess, productId: string, handle: string, ctx: RequestContext) {
	return appendEvent(
		db,
		{
			type: "catalog.product.updated",
			storeId: access.storeId,
			aggregateId: productId,
			payload: { storeId: access.storeId, productId, handle },
		},
		ctx.requestId,
	);
}

function findVariant(product: { variants: Variant[] }, variantId: string): Variant {
	const variant = product.variants.find((v) => v.id === variantId);
	if (!variant) throw new ProblemError(problem("not-found", "No such variant."));
	return variant;
}

export async function getVariant(db: Database, storeId: string, productId: string, variantId: string): Promise<Variant> {
	return findVariant(await getProduct(db, storeId, productId), variantId);
}

export async function addVariant(
	db: Database,
	access: StoreAccess,
	productId: string,
	input: VariantInput,
	ctx: RequestContext,
): Promise<{ variant: Variant; eventIds: string[] }> {
	const [product, [store]] = await Promise.all([
		productOf(db, access.storeId, productId),
		db.select({ currency: schema.stores.currency }).from(schema.stores).where(eq(schema.stores.id, access.storeId)),
	]);
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	if (input.optionValues.length !== product.options.length) {
		invalid("optionValues", `Give one value for each of the ${product.options.length} option(s)`);
	}
	input.optionValues.forEach((value, i) => {
		const option = product.options[i];
		if (option && !option.values.includes(value)) invalid(`optionValues.${i}`, `"${value}" is not a value of ${option.name}`);
	});
	if (input.compareAtMinor !== undefined && input.compareAtMinor <= input.priceMinor) {
		invalid("compareAtMinor", "Compare-at price must be above the price");
	}
	const id = newId("variant");
	const onHand = input.inventory?.onHand ?? 0;
	try {
		const results = await db.batch([
			db.insert(schema.variants).values({
				id,
				storeId: access.storeId,
				productId,
				sku: input.sku ?? null,
				title: input.title ?? (input.optionValues.length > 0 ? input.optionValues.join(" / ") : "Default"),
				optionValues: input.optionValues,
				priceMinor: input.priceMinor,
				compareAtMinor: input.compareAtMinor ?? null,
				currency: store.currency,
				weightGrams: input.weightGrams ?? null,
				// After the product's existing variants.
				position: sql`(SELECT coalesce(max(position), -1) + 1 FROM variants WHERE product_id = ${productId})`,
			}),
			db.insert(schema.inventory).values({ variantId: id, storeId: access.storeId, onHand, reserved: 0 }),
			...(onHand > 0
				? [
						db.insert(schema.inventoryAdjustments).values({
							id: newId("adjustment"),
							storeId: access.storeId,
							variantId: id,
							delta: onHand,
							reason: "initial stock",
							onHandAfter: onHand,
							actor: access.userId ?? access.apiKeyId,
							requestId: ctx.requestId,
						}),
					]
				: []),
			productUpdated(db, access, productId, product.handle, ctx),
		]);
		const event = results[results.length - 1] as { rows: unknown[] };
		return { variant: await getVariant(db, access.storeId, productId, id), eventIds: eventIdsOf(event) };
	} catch (error) {
		if (isUniqueViolation(error, "variants_product_options_key")) {
			throw new ProblemError(
				problem("conflict", "The product already has a variant with these option values.", {
					errors: [{ path: "optionValues", message: "Already a variant", code: "taken" }],
				}),
			);
		}
		// A product deleted between the read and the write.
		if (pgErrorCode(error) === "23503") throw new ProblemError(problem("not-found", "No such product."));
		conflict(error);
	}
}

export async function updateVariant(
	db: Database,
	access: StoreAccess,
	productId: string,
	variantId: string,
	input: UpdateVariantInput,
	ctx: RequestContext,
): Promise<{ variant: Variant; eventIds: string[] }> {
	const product = await productOf(db, access.storeId, productId);
	const current = await getVariant(db, access.storeId, productId, variantId);
	const price = input.priceMinor ?? current.priceMinor;
	const compareAt = input.compareAtMinor === undefined ? current.compareAtMinor : input.compareAtMinor;
	if (compareAt !== null && compareAt <= price) invalid("compareAtMinor", "Compare-at price must be above the price");
	try {
		const [updated, event] = await db.batch([
			db
				.update(schema.variants)
				.set({ ...input, updatedAt: new Date() })
				.where(
					and(
						eq(schema.variants.id, variantId),
						eq(schema.variants.productId, productId),
						eq(schema.variants.storeId, access.storeId),
					),
				)
				.returning({ id: schema.variants.id }),
			productUpdated(db, access, productId, product.handle, ctx),
		]);
		if (updated.length === 0) throw new ProblemError(problem("not-found", "No such variant."));
		return { variant: await getVariant(db, access.storeId, productId, variantId), eventIds: eventIdsOf(event) };
	} catch (error) {
		if (error instanceof ProblemError) throw error;
		conflict(error);
	}
}

/**
 * Removes a variant unless it is the product's last one (a product always has something to
 * buy) or units of it are reserved by open orders. Both are checked in the deleting
 * statement itself, and oja_assert vetoes the event when it deleted nothing.
 */
export async function deleteVariant(
	db: Database,
	access: StoreAccess,
	productId: string,
	variantId: string,
	ctx: RequestContext,
): Promise<{ eventIds: string[] }> {
	const product = await productOf(db, access.storeId, productId);
	const remove = db.execute(sql`
		WITH gone AS (
			DELETE FROM variants v
			WHERE v.id = ${variantId} AND v.product_id = ${productId} AND v.store_id = ${access.storeId}
				AND (SELECT count(*) FROM variants o WHERE o.product_id = ${productId}) > 1
				AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.variant_id = v.id AND i.reserved > 0)
			RETURNING v.id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM gone), 'variant-not-deleted')`);
	// Lock the product's variants and their stock first, so two concurrent deletes cannot each
	// see "2 left" and a reservation cannot land between the check and the delete.
	const lock = db.execute(sql`
		SELECT 1 FROM variants v JOIN inventory i ON i.variant_id = v.id
		WHERE v.product_id = ${productId} AND v.store_id = ${access.storeId}
		FOR UPDATE OF v, i`);
	try {
		const [, , event] = await db.batch([lock, remove, productUpdated(db, access, productId, product.handle, ctx)]);
		return { eventIds: eventIdsOf(event) };
	} catch (error) {
		if (pgErrorCode(error) !== "P0001") throw error;
		const current = await getProduct(db, access.storeId, productId);
		const variant = findVariant(current, variantId);
		if (variant.inventory.reserved > 0) {
			throw new ProblemError(
				problem("conflict", `${variant.inventory.reserved} unit(s) of this variant are reserved by open orders.`),
			);
		}
		throw new ProblemError(problem("conflict", "A product keeps at least one variant; delete the product instead."));
	}
}
