import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

/**
 * The statement for a guarded write inside a batch transaction: the write (which must have a
 * RETURNING clause) runs as a CTE, and if it changed no row oja_assert (migrations/0007)
 * raises P0001, aborting the whole batch — so the event batched with it is never committed.
 * Over Neon's HTTP batches there is no interactive transaction to check a row count in.
 */
export function unlessChanged(write: SQLWrapper, reason: string): SQL {
	return sql`WITH changed AS (${write.getSQL()}) SELECT oja_assert(EXISTS (SELECT 1 FROM changed), ${reason})`;
}

/** True when a batch was vetoed by oja_assert (as opposed to any other failure). */
export function isVeto(error: unknown): boolean {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
		const fields = current as { code?: unknown; hint?: unknown; cause?: unknown };
		if (fields.code === "P0001") return fields.hint === undefined || fields.hint === "oja_assert";
		current = fields.cause;
	}
	return false;
}

/**
 * Which oja_assert vetoed a batch (its reason), or undefined for any other failure. For control
 * flow only: a reason is a fixed identifier chosen by the caller, never data.
 */
export function vetoReason(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
		const fields = current as { code?: unknown; hint?: unknown; message?: unknown; cause?: unknown };
		if (fields.code === "P0001" && (fields.hint === undefined || fields.hint === "oja_assert")) {
			return typeof fields.message === "string" ? fields.message : undefined;
		}
		current = fields.cause;
	}
	return undefined;
}
