// NeonDbError carries Postgres' SQLSTATE and constraint name; drizzle wraps it in `cause`.
interface PgErrorFields {
	code?: string;
	constraint?: string;
}

function pgFields(error: unknown): PgErrorFields | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
		const fields = current as PgErrorFields & { cause?: unknown };
		if (typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code)) return fields;
		current = fields.cause;
	}
	return undefined;
}

export function pgErrorCode(error: unknown): string | undefined {
	return pgFields(error)?.code;
}

/** The constraint a Postgres error names (CHECK, unique, or a trigger's RAISE … CONSTRAINT =). */
export function pgConstraint(error: unknown): string | undefined {
	return pgFields(error)?.constraint;
}

/** True for a unique violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
	const fields = pgFields(error);
	if (fields?.code !== "23505") return false;
	return constraint === undefined || fields.constraint === constraint;
}
