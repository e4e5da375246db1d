import { Client, type FieldDef, Pool, type PoolClient, type PoolConfig, type QueryArrayConfig } from "pg";
import { Mutex } from "./mutex.ts";
import { beginStatement } from "./protocol.ts";
import {
	type Backend,
	type FieldInfo,
	HttpError,
	type Statement,
	type StatementResult,
	type TransactionOptions,
} from "./types.ts";

/** Every value stays the text Postgres sent; the Neon driver parses it on the client side. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

// pg supports `queryMode` but @types/pg does not declare it yet.
type ExtendedQueryConfig = QueryArrayConfig<(string | null)[]> & { queryMode: "extended" };

const SQLSTATE_OBJECT_IN_USE = "55006";

/**
 * A real PostgreSQL server. The database named in each request's connection string selects a
 * database on the server of `databaseUrl` (whose credentials are used for every connection).
 */
export class PostgresBackend implements Backend {
	readonly kind = "postgres";
	readonly #baseUrl: URL;
	readonly #pools = new Map<string, Pool>();
	readonly #admin = new Mutex();

	constructor(databaseUrl: string) {
		this.#baseUrl = new URL(databaseUrl);
	}

	async query(database: string, statement: Statement): Promise<StatementResult> {
		const client = await this.#pool(database).connect();
		let discard = false;
		try {
			const result = await run(client, statement);
			// Neon discards a pooled connection left inside a transaction (e.g. by a bare BEGIN)
			// rather than letting that state leak into a later request.
			discard = client.getTransactionStatus() !== "I";
			return result;
		} finally {
			client.release(discard);
		}
	}

	/**
	 * One transaction: BEGIN, then every statement and COMMIT at once (pg's pipeline mode), so a
	 * batch costs two local exchanges however many statements it has, not one per statement.
	 * That matters beyond speed: locks a statement takes are held for the server's own work, not
	 * across round trips (Neon's proxy runs a batch next to the database). BEGIN is awaited on its
	 * own because each pipelined query carries its own Sync: statements sent behind a BEGIN that
	 * failed would each commit alone. After a failure the server runs the rest as "transaction
	 * aborted" (25P02) and the COMMIT as a ROLLBACK; the first failure, in statement order, is
	 * the batch's error.
	 */
	async batch(database: string, statements: Statement[], options: TransactionOptions): Promise<StatementResult[]> {
		const client = await this.#pool(database).connect();
		let discard = false;
		// A connection that dies while checked out must fail this batch, not crash the process.
		const onError = () => {
			discard = true;
		};
		client.on("error", onError);
		try {
			await client.query(beginStatement(options));
			const settled = await Promise.allSettled([
				...statements.map((statement) => run(client, statement)),
				client.query("COMMIT"),
			]);
			const failure = settled.find((outcome) => outcome.status === "rejected");
			if (failure) throw failure.reason;
			return settled.slice(0, -1).map((outcome) => (outcome as PromiseFulfilledResult<StatementResult>).value);
		} catch (error) {
			// Still inside the transaction (a failed BEGIN's session, a broken pipeline): end it, or
			// throw the connection away if even that fails.
			if (!discard && client.getTransactionStatus() !== "I") {
				await client.query("ROLLBACK").catch(() => {
					discard = true;
				});
			}
			throw error;
		} finally {
			client.off("error", onError);
			client.release(discard);
		}
	}

	createDatabase(name: string, template: string | undefined, replace: boolean): Promise<void> {
		return this.#admin.run(() =>
			this.#withMaintenanceClient([name, template], async (admin) => {
				if (template === name) throw new HttpError(400, "a database cannot be its own template");
				if (await databaseExists(admin, name)) {
					if (!replace) throw new HttpError(409, `database "${name}" already exists`);
					await this.#endPool(name);
					await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
				}
				let create = `CREATE DATABASE "${name}"`;
				if (template !== undefined) {
					if (!(await databaseExists(admin, template))) {
						throw new HttpError(404, `template database "${template}" does not exist`);
					}
					create += ` TEMPLATE "${template}"`;
					// CREATE DATABASE … TEMPLATE fails while anyone is connected to the template,
					// including our own idle pool.
					await this.#endPool(template);
				}
				for (let attempt = 1; ; attempt++) {
					if (template !== undefined) {
						await admin.query(
							"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
							[template],
						);
					}
					try {
						await admin.query(create);
						return;
					} catch (error) {
						// Someone may reconnect between the terminate and the create; try again.
						if ((error as { code?: string }).code !== SQLSTATE_OBJECT_IN_USE || attempt >= 5) throw error;
						await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
					}
				}
			}),
		);
	}

	dropDatabase(name: string): Promise<boolean> {
		return this.#admin.run(() =>
			this.#withMaintenanceClient([name], async (admin) => {
				await this.#endPool(name);
				if (!(await databaseExists(admin, name))) return false;
				await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
				return true;
			}),
		);
	}

	async close(): Promise<void> {
		const pools = [...this.#pools.values()];
		this.#pools.clear();
		await Promise.all(pools.map((pool) => pool.end()));
	}

	#urlFor(database: string): string {
		const url = new URL(this.#baseUrl);
		url.pathname = `/${database}`;
		return url.href;
	}

	#pool(database: string): Pool {
		let pool = this.#pools.get(database);
		if (!pool) {
			// Pipeline mode: a batch's statements are sent without waiting for each answer.
			pool = new Pool({ connectionString: this.#urlFor(database), max: 10, types: RAW_TYPES, pipeline: true } as PoolConfig);
			// An idle client dying (server restart, DROP … WITH (FORCE)) must not crash the process;
			// the pool replaces it on the next checkout.
			pool.on("error", () => {});
			this.#pools.set(database, pool);
		}
		return pool;
	}

	async #endPool(database: string): Promise<void> {
		const pool = this.#pools.get(database);
		if (!pool) return;
		this.#pools.delete(database);
		await pool.end();
	}

	/** Admin DDL runs from a database that is neither created, dropped nor used as the template. */
	async #withMaintenanceClient<T>(involved: (string | undefined)[], fn: (client: Client) => Promise<T>): Promise<T> {
		const database = ["postgres", "template1"].find((candidate) => !involved.includes(candidate)) ?? "postgres";
		const client = new Client({ connectionString: this.#urlFor(database) });
		await client.connect();
		try {
			return await fn(client);
		} finally {
			await client.end();
		}
	}
}

async function run(client: PoolClient, statement: Statement): Promise<StatementResult> {
	// Extended protocol even without parameters, as Neon uses: a multi-statement string is then
	// rejected exactly as it would be in production.
	const config: ExtendedQueryConfig = {
		text: statement.query,
		values: statement.params,
		rowMode: "array",
		queryMode: "extended",
	};
	const result = await client.query(config);
	return {
		command: result.command ?? "",
		rowCount: result.rowCount,
		fields: result.fields.map(toFieldInfo),
		rows: result.rows,
	};
}

function toFieldInfo(field: FieldDef): FieldInfo {
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

async function databaseExists(client: Client, name: string): Promise<boolean> {
	const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
	return (rowCount ?? 0) > 0;
}
