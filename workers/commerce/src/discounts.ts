import type { CreateDiscountInput, Discount, DiscountList, UpdateDiscountInput } from "@oja/contracts";
import { type FieldError, ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, newId, pgErrorCode, schema } from "@oja/db";
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";

// Merchant-side discount codes. Checkout reads these rows directly; what a row means:
// - `code` is upper-cased here, so checkout compares against upper(input).
// - A code is usable when deleted_at IS NULL AND active AND (starts_at IS NULL OR starts_at <= now())
//   AND (ends_at IS NULL OR now() < ends_at) AND (usage_limit IS NULL OR used_count < usage_limit).
//   ends_at is exclusive; `active` is the merchant's pause switch, independent of the window.
// - Deleting sets deleted_at (orders keep discount_id); the code can then be created again.
// - currency is the store's (stores.currency never changes), so a fixed amount is in the
//   currency every cart of the store is in.

type DiscountRow = typeof schema.discounts.$inferSelect;

const d = schema.discounts;

function toDiscount(row: DiscountRow): Discount {
	return {
		id: row.id,
		code: row.code,
		kind: row.kind,
		percentOff: row.percentOff,
		amountOffMinor: row.amountOffMinor,
		currency: row.currency as Discount["currency"],
		minSubtotalMinor: row.minSubtotalMinor,
		startsAt: row.startsAt?.toISOString() ?? null,
		endsAt: row.endsAt?.toISOString() ?? null,
		usageLimit: row.usageLimit,
		usedCount: row.usedCount,
		perCustomerLimit: row.perCustomerLimit,
		active: row.active,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
	};
}

const notFound = () => new ProblemError(problem("not-found", "No such discount."));

function invalid(detail: string, errors: FieldError[]): ProblemError {
	return new ProblemError(problem("validation-failed", detail, { errors }));
}

function constraintOf(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
		const fields = current as { constraint?: unknown; cause?: unknown };
		if (typeof fields.constraint === "string") return fields.constraint;
		current = fields.cause;
	}
	return undefined;
}

/**
 * Turns the table's constraints into the problem a client can act on. The CHECKs are the
 * source of truth under concurrency (a checkout may bump used_count between our read and write).
 */
function rethrow(error: unknown): never {
	if (isUniqueViolation(error, "discounts_store_code_key")) {
		throw new ProblemError(
			problem("conflict", "This store already has a discount with that code.", {
				errors: [{ path: "code", message: "Already used", code: "taken" }],
			}),
		);
	}
	if (pgErrorCode(error) === "23514") {
		switch (constraintOf(error)) {
			case "discounts_usage_check":
				throw new ProblemError(
					problem("conflict", "The code has already been used more times than that limit.", {
						errors: [{ path: "usageLimit", message: "Below the number of uses so far", code: "below-used" }],
					}),
				);
			case "discounts_window_check":
				throw invalid("The discount must end after it starts.", [
					{ path: "endsAt", message: "Must end after it starts", code: "window" },
				]);
			case "discounts_kind_check":
				throw invalid("The amount does not fit the discount's kind.", [
					{ path: "kind", message: "percentOff and amountOffMinor do not match the kind", code: "kind" },
				]);
		}
	}
	throw error;
}

const date = (iso: string | null) => (iso === null ? null : new Date(iso));

export async function getDiscount(db: Database, storeId: string, discountId: string): Promise<Discount> {
	const [row] = await db
		.select()
		.from(d)
		.where(and(eq(d.id, discountId), eq(d.storeId, storeId), isNull(d.deletedAt)));
	if (!row) throw notFound();
	return toDiscount(row);
}

export async function listDiscounts(
	db: Database,
	storeId: string,
	query: { cursor?: string; limit: number },
): Promise<DiscountList> {
	const rows = await db
		.select()
		.from(d)
		.where(and(eq(d.storeId, storeId), isNull(d.deletedAt), query.cursor ? lt(d.id, query.cursor) : undefined))
		.orderBy(desc(d.id))
		.limit(query.limit + 1);
	const page = rows.slice(0, query.limit);
	return {
		items: page.map(toDiscount),
		nextCursor: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
	};
}

export async function createDiscount(db: Database, storeId: string, input: CreateDiscountInput): Promise<Discount> {
	const [store] = await db.select({ currency: schema.stores.currency }).from(schema.stores).where(eq(schema.stores.id, storeId));
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	try {
		const [row] = await db
			.insert(d)
			.values({
				id: newId("discount"),
				storeId,
				code: input.code,
				kind: input.kind,
				percentOff: input.kind === "percentage" ? input.percentOff : null,
				amountOffMinor: input.kind === "fixed" ? input.amountOffMinor : null,
				currency: store.currency,
				minSubtotalMinor: input.minSubtotalMinor,
				startsAt: date(input.startsAt),
				endsAt: date(input.endsAt),
				usageLimit: input.usageLimit,
				perCustomerLimit: input.perCustomerLimit,
				active: input.active,
			})
			.returning();
		if (!row) throw new Error("discount insert returned no row");
		return toDiscount(row);
	} catch (error) {
		rethrow(error);
	}
}

export async function updateDiscount(
	db: Database,
	storeId: string,
	discountId: string,
	input: UpdateDiscountInput,
): Promise<Discount> {
	const existing = await getDiscount(db, storeId, discountId);
	const errors: FieldError[] = [];
	if (input.percentOff !== undefined && existing.kind !== "percentage")
		errors.push({ path: "percentOff", message: "Only a percentage discount has percentOff", code: "kind" });
	if (input.amountOffMinor !== undefined && existing.kind !== "fixed")
		errors.push({ path: "amountOffMinor", message: "Only a fixed discount has amountOffMinor", code: "kind" });
	const startsAt = input.startsAt === undefined ? existing.startsAt : input.startsAt;
	const endsAt = input.endsAt === undefined ? existing.endsAt : input.endsAt;
	if (startsAt !== null && endsAt !== null && Date.parse(startsAt) >= Date.parse(endsAt))
		errors.push({ path: "endsAt", message: "Must end after it starts", code: "window" });
	if (errors.length > 0) throw invalid(`The request has ${errors.length} invalid field(s).`, errors);

	const { startsAt: newStart, endsAt: newEnd, ...fields } = input;
	try {
		const [row] = await db
			.update(d)
			.set({
				...fields,
				...(newStart !== undefined ? { startsAt: date(newStart) } : {}),
				...(newEnd !== undefined ? { endsAt: date(newEnd) } : {}),
				updatedAt: sql`now()`,
			})
			.where(and(eq(d.id, discountId), eq(d.storeId, storeId), isNull(d.deletedAt)))
			.returning();
		// Deleted since the read above.
		if (!row) throw notFound();
		return toDiscount(row);
	} catch (error) {
		if (error instanceof ProblemError) throw error;
		rethrow(error);
	}
}

export async function deleteDiscount(db: Database, storeId: string, discountId: string): Promise<void> {
	const gone = await db
		.update(d)
		.set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
		.where(and(eq(d.id, discountId), eq(d.storeId, storeId), isNull(d.deletedAt)))
		.returning({ id: d.id });
	if (gone.length === 0) throw notFound();
}
