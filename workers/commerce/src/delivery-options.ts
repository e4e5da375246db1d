import type { DeliveryOption, DeliveryOptionList } from "@oja/contracts";
import { type FieldError, ProblemError, type PutDeliveryOptionsInput, problem } from "@oja/contracts";
import { type Database, newId, pgErrorCode, schema } from "@oja/db";
import { and, asc, eq, inArray, isNull, notInArray, sql } from "drizzle-orm";
import type { z } from "zod";

// A store's delivery options, replaced as a whole set (the merchant edits one list; its order
// is the storefront's order). What checkout may rely on:
// - live = archived_at IS NULL; only live options may be chosen. Options are never deleted, so
//   an order's delivery_option_id always points at a row, and a retired id fails cleanly.
// - states/cities empty = no restriction at that level; fee_minor and currency (the store's)
//   are what the option costs now (orders snapshot them).
// - pay_on_delivery_max_total_minor caps the order total for pay on delivery (NULL = no cap).

type OptionRow = typeof schema.deliveryOptions.$inferSelect;
const o = schema.deliveryOptions;

function toOption(row: OptionRow): DeliveryOption {
	return {
		id: row.id,
		kind: row.kind,
		name: row.name,
		states: row.states,
		cities: row.cities,
		feeMinor: row.feeMinor,
		currency: row.currency as DeliveryOption["currency"],
		booksCourier: row.booksCourier,
		payOnDelivery: row.payOnDelivery,
		payOnDeliveryMaxTotalMinor: row.payOnDeliveryMaxTotalMinor,
	};
}

function liveOptions(db: Database, storeId: string) {
	return db
		.select()
		.from(o)
		.where(and(eq(o.storeId, storeId), isNull(o.archivedAt)))
		.orderBy(asc(o.position), asc(o.id));
}

export async function listDeliveryOptions(db: Database, storeId: string): Promise<DeliveryOptionList> {
	return { items: (await liveOptions(db, storeId)).map(toOption) };
}

/**
 * Replaces the store's set: given ids are updated in place (an archived one of this store comes
 * back), options without an id are created, and every live option left out is archived.
 */
export async function putDeliveryOptions(
	db: Database,
	storeId: string,
	input: z.output<typeof PutDeliveryOptionsInput>,
): Promise<DeliveryOptionList> {
	const givenIds = input.options.flatMap((opt) => (opt.id ? [opt.id] : []));
	const [stores, owned] = await db.batch([
		db.select({ currency: schema.stores.currency }).from(schema.stores).where(eq(schema.stores.id, storeId)),
		db
			.select({ id: o.id })
			.from(o)
			.where(and(eq(o.storeId, storeId), givenIds.length > 0 ? inArray(o.id, givenIds) : sql`false`)),
	]);
	const store = stores[0];
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	// Options are never deleted and ids never change store, so this check cannot go stale
	// before the batch below; the upsert's store guard is a second line anyway.
	const known = new Set(owned.map((r) => r.id));
	const errors: FieldError[] = input.options.flatMap((opt, i) =>
		opt.id && !known.has(opt.id)
			? [{ path: `options.${i}.id`, message: `No delivery option ${opt.id} in this store`, code: "unknown" }]
			: [],
	);
	if (errors.length > 0) {
		throw new ProblemError(problem("validation-failed", "Some delivery options do not exist in this store.", { errors }));
	}

	const rows = input.options.map((opt, position) => ({
		id: opt.id ?? newId("deliveryOption"),
		storeId,
		kind: opt.kind,
		name: opt.name,
		states: opt.states,
		cities: opt.cities,
		feeMinor: opt.feeMinor,
		currency: store.currency,
		booksCourier: opt.booksCourier,
		payOnDelivery: opt.payOnDelivery,
		payOnDeliveryMaxTotalMinor: opt.payOnDeliveryMaxTotalMinor,
		position,
		archivedAt: null,
	}));
	const keep = rows.map((r) => r.id);
	const excluded = (column: string) => sql.raw(`excluded.${column}`);
	try {
		const results = await db.batch([
			// Two concurrent replacements serialise here, so the later one archives what the
			// earlier one created instead of both sets staying live.
			db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`delivery_options:${storeId}`}, 0))`),
			...(rows.length > 0
				? [
						db
							.insert(o)
							.values(rows)
							.onConflictDoUpdate({
								target: o.id,
								set: {
									kind: excluded("kind"),
									name: excluded("name"),
									states: excluded("states"),
									cities: excluded("cities"),
									feeMinor: excluded("fee_minor"),
									currency: excluded("currency"),
									booksCourier: excluded("books_courier"),
									payOnDelivery: excluded("pay_on_delivery"),
									payOnDeliveryMaxTotalMinor: excluded("pay_on_delivery_max_total_minor"),
									position: excluded("position"),
									archivedAt: null,
									updatedAt: sql`now()`,
								},
								setWhere: eq(o.storeId, storeId),
							}),
					]
				: []),
			db
				.update(o)
				.set({ archivedAt: sql`now()`, updatedAt: sql`now()` })
				.where(and(eq(o.storeId, storeId), isNull(o.archivedAt), keep.length > 0 ? notInArray(o.id, keep) : undefined)),
			liveOptions(db, storeId),
		]);
		const live = results[results.length - 1] as OptionRow[];
		return { items: live.map(toOption) };
	} catch (error) {
		// The contract already keeps pickup free; the CHECK is the backstop.
		if (pgErrorCode(error) === "23514") {
			throw new ProblemError(problem("validation-failed", "A delivery option breaks the store's rules (pickup is free)."));
		}
		throw error;
	}
}
