/**
 * The wire format of Neon's SQL-over-HTTP endpoint (proxy `sql_over_http.rs`), independent of
 * which database executes the statements.
 */
import { textToJson } from "./text-to-json.ts";
import { HttpError, type IsolationLevel, type Statement, type StatementResult, type TransactionOptions } from "./types.ts";

export type Payload = { kind: "single"; statement: Statement } | { kind: "batch"; statements: Statement[] };

export interface RequestOptions {
	database: string;
	rawTextOutput: boolean;
	arrayMode: boolean;
	transaction: TransactionOptions;
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function parsePayload(body: string): Payload {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch (error) {
		throw new HttpError(400, `invalid JSON body: ${(error as Error).message}`);
	}
	if (isObject(json) && Array.isArray(json.queries) && !("query" in json)) {
		return { kind: "batch", statements: json.queries.map((q, i) => parseStatement(q, `queries[${i}]`)) };
	}
	return { kind: "single", statement: parseStatement(json, "body") };
}

function parseStatement(value: unknown, where: string): Statement {
	if (!isObject(value) || typeof value.query !== "string") {
		throw new HttpError(400, `${where}: expected an object with a string "query"`);
	}
	const params = value.params ?? [];
	if (!Array.isArray(params)) throw new HttpError(400, `${where}: "params" must be an array`);
	const statement: Statement = { query: value.query, params: params.map((p) => paramToText(p as JsonValue)) };
	if (typeof value.arrayMode === "boolean") statement.arrayMode = value.arrayMode;
	return statement;
}

/**
 * The driver already sends every parameter as text or null, but Neon also accepts other JSON
 * values and converts them the same way its proxy does, so hand-written clients behave alike.
 */
function paramToText(value: JsonValue): string | null {
	if (value === null || typeof value === "string") return value;
	if (Array.isArray(value)) return arrayToPgText(value);
	return JSON.stringify(value);
}

function arrayToPgText(value: JsonValue): string {
	if (value === null) return "NULL";
	if (Array.isArray(value)) return `{${value.map(arrayToPgText).join(",")}}`;
	// Inside an array literal strings must be quoted and escaped; JSON string syntax does both.
	if (typeof value === "object") return JSON.stringify(JSON.stringify(value));
	return JSON.stringify(value);
}

const ISOLATION_LEVELS: readonly IsolationLevel[] = ["ReadUncommitted", "ReadCommitted", "RepeatableRead", "Serializable"];

type HeaderBag = Record<string, string | string[] | undefined>;

export function parseRequestOptions(headers: HeaderBag): RequestOptions {
	const header = (name: string): string | undefined => {
		const value = headers[name];
		return Array.isArray(value) ? value[0] : value;
	};
	const connectionString = header("neon-connection-string");
	if (!connectionString) throw new HttpError(400, "missing Neon-Connection-String header");
	let url: URL;
	try {
		url = new URL(connectionString);
	} catch {
		throw new HttpError(400, "invalid Neon-Connection-String header: not a URL");
	}
	const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
	if (!database) throw new HttpError(400, "database name missing");

	const isolation = header("neon-batch-isolation-level");
	if (isolation !== undefined && !ISOLATION_LEVELS.includes(isolation as IsolationLevel)) {
		throw new HttpError(400, "invalid isolation level");
	}
	// Like Neon, anything other than the exact string "true" means false.
	const transaction: TransactionOptions = {
		readOnly: header("neon-batch-read-only") === "true",
		deferrable: header("neon-batch-deferrable") === "true",
	};
	if (isolation !== undefined) transaction.isolationLevel = isolation as IsolationLevel;
	return {
		database,
		rawTextOutput: header("neon-raw-text-output") === "true",
		arrayMode: header("neon-array-mode") === "true",
		transaction,
	};
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
	ReadUncommitted: "READ UNCOMMITTED",
	ReadCommitted: "READ COMMITTED",
	RepeatableRead: "REPEATABLE READ",
	Serializable: "SERIALIZABLE",
};

export function beginStatement(options: TransactionOptions): string {
	const modes: string[] = [];
	if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`);
	if (options.readOnly) modes.push("READ ONLY");
	if (options.deferrable) modes.push("DEFERRABLE");
	return modes.length ? `BEGIN ${modes.join(", ")}` : "BEGIN";
}

/** Mirrors Neon's `parse_command_tag`: the first word, and the trailing row count when there is one. */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
	const space = tag.indexOf(" ");
	if (space === -1) return { command: tag, rowCount: null };
	const command = tag.slice(0, space);
	const countText = command === "INSERT" ? tag.slice(space + 1).split(" ")[1] : tag.slice(space + 1);
	const rowCount = countText !== undefined && /^\d+$/.test(countText) ? Number(countText) : null;
	return { command, rowCount };
}

/** The JSON body for one statement, shaped by the array-mode and raw-text headers. */
export function resultToJson(result: StatementResult, statement: Statement, options: RequestOptions): string {
	const arrayMode = statement.arrayMode ?? options.arrayMode;
	let rows: unknown[] = result.rows;
	if (!options.rawTextOutput) {
		const types = result.fields.map((f) => f.dataTypeID);
		rows = result.rows.map((row) => row.map((value, i) => (value === null ? null : textToJson(value, types[i] ?? 0))));
	}
	if (!arrayMode) {
		const names = result.fields.map((f) => f.name);
		rows = (rows as unknown[][]).map((row) => Object.fromEntries(row.map((value, i) => [names[i], value])));
	}
	return JSON.stringify({
		command: result.command,
		rowCount: result.rowCount,
		rows,
		fields: result.fields,
		rowAsArray: arrayMode,
	});
}

/** The fields the driver copies from a 400 body onto NeonDbError. */
export const ERROR_FIELDS = [
	"severity",
	"code",
	"detail",
	"hint",
	"position",
	"internalPosition",
	"internalQuery",
	"where",
	"schema",
	"table",
	"column",
	"dataType",
	"constraint",
	"file",
	"line",
	"routine",
] as const;

/** A Postgres error as raised by pg or PGlite (both use pg-protocol's DatabaseError). */
export function isPostgresError(error: unknown): error is Error & Partial<Record<(typeof ERROR_FIELDS)[number], string>> {
	return error instanceof Error && typeof (error as { severity?: unknown }).severity === "string";
}

export function errorToJson(error: Error): string {
	const body: Record<string, string> = { message: error.message };
	if (isPostgresError(error)) {
		for (const field of ERROR_FIELDS) {
			const value = error[field];
			if (value !== undefined && value !== null) body[field] = String(value);
		}
	}
	return JSON.stringify(body);
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}
