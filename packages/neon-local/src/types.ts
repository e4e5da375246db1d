/** One statement as the Neon HTTP protocol carries it: params are already Postgres text. */
export interface Statement {
	query: string;
	params: (string | null)[];
	/** Per-statement override of the `Neon-Array-Mode` header (Neon accepts `arrayMode` in the body). */
	arrayMode?: boolean;
}

/** Column metadata exactly as Neon serialises it (pg's FieldDef with a fixed text format). */
export interface FieldInfo {
	name: string;
	tableID: number;
	columnID: number;
	dataTypeID: number;
	dataTypeSize: number;
	dataTypeModifier: number;
	format: "text";
}

/** What a backend returns for one statement, before output-mode shaping. */
export interface StatementResult {
	command: string;
	rowCount: number | null;
	fields: FieldInfo[];
	/** Every value is the Postgres text representation, or null for SQL NULL. */
	rows: (string | null)[][];
}

export type IsolationLevel = "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";

export interface TransactionOptions {
	isolationLevel?: IsolationLevel;
	readOnly: boolean;
	deferrable: boolean;
}

export type BackendKind = "pglite" | "postgres";

/**
 * The storage behind the HTTP front end. Errors thrown from `query`/`batch` that carry
 * Postgres error fields (`code`, `severity`, …) are forwarded to the client as NeonDbError.
 */
export interface Backend {
	readonly kind: BackendKind;
	query(database: string, statement: Statement): Promise<StatementResult>;
	/** Runs every statement in one transaction: all commit, or none do. */
	batch(database: string, statements: Statement[], options: TransactionOptions): Promise<StatementResult[]>;
	/** Throws `HttpError` 409 if it exists and `replace` is false, 404 if the template is missing. */
	createDatabase(name: string, template: string | undefined, replace: boolean): Promise<void>;
	/** Resolves false when there was nothing to drop. */
	dropDatabase(name: string): Promise<boolean>;
	close(): Promise<void>;
}

/** An error with a definite HTTP status, raised for requests that never reach Postgres. */
export class HttpError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.name = "HttpError";
		this.status = status;
	}
}

const DATABASE_NAME = /^[a-z0-9_]{1,63}$/;

export function assertDatabaseName(name: string): void {
	// Names end up in file paths (PGlite) and quoted identifiers (Postgres); the strict
	// pattern keeps both safe without any escaping.
	if (!DATABASE_NAME.test(name)) {
		throw new HttpError(400, `invalid database name ${JSON.stringify(name)}: must match ${DATABASE_NAME.source}`);
	}
}
