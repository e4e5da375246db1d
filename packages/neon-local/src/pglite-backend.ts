import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { messages } from "@electric-sql/pglite";
import { PGlite, protocol } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Mutex } from "./mutex.ts";
import { beginStatement, parseCommandTag } from "./protocol.ts";
import {
	type Backend,
	type FieldInfo,
	HttpError,
	type Statement,
	type StatementResult,
	type TransactionOptions,
} from "./types.ts";

// The Postgres extensions Oja's migrations create (Neon ships them; PGlite loads them on open).
const EXTENSIONS = { pg_trgm };

interface Database {
	pg: PGlite;
	/** PGlite is a single connection: a batch must never interleave with other requests. */
	mutex: Mutex;
}

interface Execution {
	result: StatementResult;
	error: Error | undefined;
	/** The ReadyForQuery transaction status: I (idle), T (in transaction), E (failed transaction). */
	status: string;
}

const { serialize } = protocol;
// The tail of every extended-protocol round trip is constant; build it once.
const DESCRIBE_EXECUTE_SYNC = concat([serialize.describe({ type: "P" }), serialize.execute({}), serialize.sync()]);

/**
 * Embedded Postgres via PGlite. Databases named by requests are opened on first use and persist
 * under `dataDir/<name>`; databases made through `createDatabase` live in memory only.
 *
 * Statements go through PGlite's raw protocol API rather than `pg.query()`: that sends text
 * parameters with unspecified types (as Neon's proxy does, so the server infers them) and hands
 * back DataRow values as the exact text Postgres produced, with no parser or serializer in
 * between to undo.
 */
export class PgliteBackend implements Backend {
	readonly kind = "pglite";
	readonly #dataDir: string;
	readonly #databases = new Map<string, Promise<Database>>();
	/** Serialises create/drop so two admin calls never race on the same name. */
	readonly #admin = new Mutex();
	/** A dump of a freshly initdb'ed cluster: loading it is ~4x faster than a new initdb. */
	#blankImage: Promise<Blob> | undefined;

	constructor(dataDir: string) {
		this.#dataDir = dataDir;
	}

	async query(database: string, statement: Statement): Promise<StatementResult> {
		const db = await this.#open(database);
		return db.mutex.run(async () => {
			const execution = await execute(db.pg, statement, true);
			// Neon drops a pooled connection that a lone statement left inside a transaction
			// (e.g. a bare BEGIN), so its effects never leak into the next request.
			if (execution.status !== "I") await execute(db.pg, { query: "ROLLBACK", params: [] }, true);
			if (execution.error) throw execution.error;
			return execution.result;
		});
	}

	async batch(database: string, statements: Statement[], options: TransactionOptions): Promise<StatementResult[]> {
		const db = await this.#open(database);
		return db.mutex.run(async () => {
			const begin = await execute(db.pg, { query: beginStatement(options), params: [] }, false);
			if (begin.error) throw begin.error;
			const results: StatementResult[] = [];
			for (const statement of statements) {
				const execution = await execute(db.pg, statement, false);
				if (execution.error) {
					await execute(db.pg, { query: "ROLLBACK", params: [] }, true);
					throw execution.error;
				}
				results.push(execution.result);
			}
			// A failing COMMIT (e.g. a serialization failure or deferred constraint) ends the
			// transaction by itself, so there is nothing to roll back afterwards.
			const commit = await execute(db.pg, { query: "COMMIT", params: [] }, true);
			if (commit.error) throw commit.error;
			return results;
		});
	}

	createDatabase(name: string, template: string | undefined, replace: boolean): Promise<void> {
		return this.#admin.run(async () => {
			if (template === name) throw new HttpError(400, "a database cannot be its own template");
			if (this.#exists(name)) {
				if (!replace) throw new HttpError(409, `database "${name}" already exists`);
				await this.#drop(name);
			}
			let image: Blob;
			if (template === undefined) {
				image = await this.#blank();
			} else {
				if (!this.#exists(template)) throw new HttpError(404, `template database "${template}" does not exist`);
				const source = await this.#open(template);
				image = await source.mutex.run(() => source.pg.dumpDataDir("none"));
			}
			const pg = await PGlite.create({ loadDataDir: image, extensions: EXTENSIONS });
			this.#databases.set(name, Promise.resolve({ pg, mutex: new Mutex() }));
		});
	}

	dropDatabase(name: string): Promise<boolean> {
		return this.#admin.run(() => this.#drop(name));
	}

	async close(): Promise<void> {
		const open = [...this.#databases.values()];
		this.#databases.clear();
		await Promise.all(
			open.map(async (pending) => {
				const db = await pending.catch(() => undefined);
				if (db) await db.mutex.run(() => db.pg.close());
			}),
		);
	}

	#exists(name: string): boolean {
		return this.#databases.has(name) || existsSync(join(this.#dataDir, name));
	}

	async #drop(name: string): Promise<boolean> {
		const pending = this.#databases.get(name);
		this.#databases.delete(name);
		const dir = join(this.#dataDir, name);
		const onDisk = existsSync(dir);
		if (pending) {
			const db = await pending.catch(() => undefined);
			if (db) await db.mutex.run(() => db.pg.close());
		}
		if (onDisk) await rm(dir, { recursive: true, force: true });
		return pending !== undefined || onDisk;
	}

	#open(name: string): Promise<Database> {
		let pending = this.#databases.get(name);
		if (!pending) {
			const dir = join(this.#dataDir, name);
			pending = mkdir(dir, { recursive: true }).then(async () => ({
				pg: await PGlite.create({ dataDir: dir, extensions: EXTENSIONS }),
				mutex: new Mutex(),
			}));
			this.#databases.set(name, pending);
			// Forget a failed open so the next request retries instead of failing forever.
			pending.catch(() => {
				if (this.#databases.get(name) === pending) this.#databases.delete(name);
			});
		}
		return pending;
	}

	#blank(): Promise<Blob> {
		if (!this.#blankImage) {
			this.#blankImage = (async () => {
				const pg = await PGlite.create({ extensions: EXTENSIONS });
				try {
					return await pg.dumpDataDir("none");
				} finally {
					await pg.close();
				}
			})();
			this.#blankImage.catch(() => {
				this.#blankImage = undefined;
			});
		}
		return this.#blankImage;
	}
}

/** One extended-protocol round trip (Parse, Bind, Describe, Execute, Sync) in a single buffer. */
async function execute(pg: PGlite, statement: Statement, syncToFs: boolean): Promise<Execution> {
	const message = concat([
		serialize.parse({ text: statement.query }),
		serialize.bind({ values: statement.params }),
		DESCRIBE_EXECUTE_SYNC,
	]);
	const { messages: replies } = await pg.execProtocol(message, { throwOnError: false, syncToFs });
	const result: StatementResult = { command: "", rowCount: null, fields: [], rows: [] };
	let error: Error | undefined;
	let status = "I";
	for (const reply of replies) {
		switch (reply.name) {
			case "rowDescription":
				result.fields = (reply as messages.RowDescriptionMessage).fields.map(toFieldInfo);
				break;
			case "dataRow":
				result.rows.push((reply as messages.DataRowMessage).fields);
				break;
			case "commandComplete":
				Object.assign(result, parseCommandTag((reply as messages.CommandCompleteMessage).text));
				break;
			case "error":
				error ??= reply as messages.DatabaseError;
				break;
			case "readyForQuery":
				status = (reply as messages.ReadyForQueryMessage).status;
				break;
		}
	}
	return { result, error, status };
}

function toFieldInfo(field: messages.Field): FieldInfo {
	return {
		name: field.name,
		tableID: field.tableID,
		columnID: field.columnID,
		dataTypeID: field.dataTypeID,
		dataTypeSize: field.dataTypeSize,
		dataTypeModifier: field.dataTypeModifier,
		format: "text",
	};
}

function concat(parts: Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}
