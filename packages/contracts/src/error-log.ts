/**
 * What of an error may go into a log line: its name, codes and the names of the database
 * objects involved, never its message. Messages carry data: drizzle's DrizzleQueryError
 * message holds the statement's parameters (emails, names, password hashes), Postgres'
 * `detail` holds the conflicting values ("Key (email)=(…) already exists"), and a stack
 * trace starts with the message, so only its frame lines are kept.
 */
export interface ErrorLogRecord {
	name: string;
	/** SQLSTATE for Postgres errors; Node/runtime error codes otherwise. */
	code?: string;
	constraint?: string;
	table?: string;
	column?: string;
	/** Stack frames only (`at …` lines), at most FRAMES of them. */
	frames?: string[];
	cause?: ErrorLogRecord;
}

const FRAMES = 8;
const MAX_CAUSES = 3;
// Codes and identifiers are short tokens; anything else is not logged.
const TOKEN = /^[A-Za-z0-9_.$-]{1,128}$/;

function token(value: unknown): string | undefined {
	return typeof value === "string" && TOKEN.test(value) ? value : undefined;
}

/** The loggable part of any thrown value (see ErrorLogRecord). */
export function errorLogRecord(error: unknown, depth = 0): ErrorLogRecord {
	if (error === null || typeof error !== "object") return { name: typeof error };
	const e = error as {
		name?: unknown;
		code?: unknown;
		constraint?: unknown;
		table?: unknown;
		column?: unknown;
		stack?: unknown;
		cause?: unknown;
	};
	// Some classes (drizzle's DrizzleQueryError) leave `name` as "Error"; the class name says more.
	const className = token((error as { constructor?: { name?: unknown } }).constructor?.name);
	const ownName = token(e.name);
	const name = ownName && ownName !== "Error" ? ownName : (className ?? ownName ?? "object");
	const record: ErrorLogRecord = { name };
	for (const key of ["code", "constraint", "table", "column"] as const) {
		const value = token(e[key]);
		if (value !== undefined) record[key] = value;
	}
	if (depth === 0 && typeof e.stack === "string") {
		const frames = e.stack
			.split("\n")
			.filter((line) => /^\s+at /.test(line))
			.slice(0, FRAMES)
			.map((line) => line.trim());
		if (frames.length > 0) record.frames = frames;
	}
	if (e.cause !== undefined && depth < MAX_CAUSES) record.cause = errorLogRecord(e.cause, depth + 1);
	return record;
}

/** One short line for fields that take a string (e.g. a retry reason): "DrizzleQueryError ← NeonDbError 23505 users_email_key". */
export function errorSummary(error: unknown): string {
	const parts: string[] = [];
	for (let r: ErrorLogRecord | undefined = errorLogRecord(error); r; r = r.cause) {
		parts.push([r.name, r.code, r.constraint].filter(Boolean).join(" "));
	}
	return parts.join(" ← ");
}
