import { NeonDbError, type NeonQueryFunction } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendCases, cleanupTempDirs, postSql, startTestServer, type TestServer } from "./helpers.ts";

afterAll(cleanupTempDirs);

/** Awaits a promise expected to reject with a NeonDbError and returns that error. */
async function neonError(promise: Promise<unknown>): Promise<NeonDbError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(NeonDbError);
	return error as NeonDbError;
}

describe.each(backendCases)("transactions, errors and concurrency ($kind)", ({ options }) => {
	let t: TestServer;
	let db: string;
	let sql: NeonQueryFunction<false, false>;

	beforeAll(async () => {
		t = await startTestServer(await options());
		db = await t.freshDatabase("tx");
		sql = t.sql(db);
		await sql.transaction([
			sql`CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE)`,
			sql`CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)`,
			sql`CREATE TABLE counter_log (id serial PRIMARY KEY, at timestamptz DEFAULT now())`,
			sql`INSERT INTO counters VALUES (1, 0)`,
		]);
	});
	afterAll(() => t?.close());

	it("commits every statement of a batch together and returns each result", async () => {
		const [first, second, count] = await sql.transaction([
			sql`INSERT INTO accounts VALUES (1, 'one@example.com') RETURNING id`,
			sql`INSERT INTO accounts VALUES (2, 'two@example.com') RETURNING email`,
			sql`SELECT count(*)::int AS n FROM accounts`,
		]);
		expect(first).toEqual([{ id: 1 }]);
		expect(second).toEqual([{ email: "two@example.com" }]);
		expect(count).toEqual([{ n: 2 }]);
	});

	it("rolls the whole batch back when a later statement fails", async () => {
		const error = await neonError(
			sql.transaction([
				sql`INSERT INTO accounts VALUES (10, 'ten@example.com')`,
				sql`INSERT INTO accounts VALUES (11, 'one@example.com')`,
			]),
		);
		expect(error.code).toBe("23505");
		const rows = await sql`SELECT id FROM accounts WHERE id IN (10, 11)`;
		expect(rows).toEqual([]);
	});

	it("exposes Postgres error fields on NeonDbError", async () => {
		const unique = await neonError(sql`INSERT INTO accounts VALUES (3, 'one@example.com')`);
		expect(unique).toMatchObject({
			name: "NeonDbError",
			message: 'duplicate key value violates unique constraint "accounts_email_key"',
			severity: "ERROR",
			code: "23505",
			detail: "Key (email)=(one@example.com) already exists.",
			schema: "public",
			table: "accounts",
			constraint: "accounts_email_key",
		});
		const syntax = await neonError(sql`SELECT * FORM accounts`);
		expect(syntax).toMatchObject({ code: "42601", position: "10" });
		expect(syntax.constraint).toBeUndefined();
		const notNull = await neonError(sql`INSERT INTO accounts (id) VALUES (4)`);
		expect(notNull).toMatchObject({ code: "23502", column: "email", table: "accounts" });
	});

	it("applies the read-only batch header", async () => {
		const error = await neonError(sql.transaction([sql`INSERT INTO accounts VALUES (20, 'ro@example.com')`], { readOnly: true }));
		expect(error.code).toBe("25006");
		const [readable] = await sql.transaction([sql`SELECT count(*)::int AS n FROM accounts`], { readOnly: true });
		expect(readable).toEqual([{ n: 2 }]);
	});

	it("applies the isolation level and deferrable batch headers", async () => {
		const show = () => [sql`SHOW transaction_isolation`, sql`SHOW transaction_read_only`, sql`SHOW transaction_deferrable`];
		expect(await sql.transaction(show())).toEqual([
			[{ transaction_isolation: "read committed" }],
			[{ transaction_read_only: "off" }],
			[{ transaction_deferrable: "off" }],
		]);
		expect(await sql.transaction(show(), { isolationLevel: "RepeatableRead" })).toMatchObject([
			[{ transaction_isolation: "repeatable read" }],
			[{ transaction_read_only: "off" }],
			[{ transaction_deferrable: "off" }],
		]);
		expect(await sql.transaction(show(), { isolationLevel: "Serializable", readOnly: true, deferrable: true })).toEqual([
			[{ transaction_isolation: "serializable" }],
			[{ transaction_read_only: "on" }],
			[{ transaction_deferrable: "on" }],
		]);
	});

	it("echoes transaction headers on batch responses and rejects unknown isolation levels", async () => {
		const ok = await postSql(
			t.server,
			db,
			{ queries: [{ query: "SELECT 1", params: [] }] },
			{ "Neon-Batch-Isolation-Level": "Serializable", "Neon-Batch-Read-Only": "true", "Neon-Batch-Deferrable": "false" },
		);
		expect(ok.status).toBe(200);
		expect(ok.headers.get("neon-batch-isolation-level")).toBe("Serializable");
		expect(ok.headers.get("neon-batch-read-only")).toBe("true");
		expect(ok.headers.get("neon-batch-deferrable")).toBeNull();
		expect(ok.json).toMatchObject({ results: [{ command: "SELECT", rowCount: 1, rows: [["1"]] }] });

		const bad = await postSql(t.server, db, { queries: [] }, { "Neon-Batch-Isolation-Level": "Chaos" });
		expect(bad).toMatchObject({ status: 400, json: { message: "invalid isolation level" } });
	});

	it("does not let a lone BEGIN leak transaction state into later requests", async () => {
		await sql`BEGIN ISOLATION LEVEL SERIALIZABLE`;
		const [row] = await sql`SHOW transaction_isolation`;
		expect(row).toEqual({ transaction_isolation: "read committed" });
	});

	it("rejects multi-statement strings like Neon's extended-protocol execution", async () => {
		const error = await neonError(sql.query("SELECT 1; SELECT 2"));
		expect(error.code).toBe("42601");
	});

	it("serves many parallel requests and parallel batches with exact results", async () => {
		const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sql`SELECT ${i}::int * 2 AS doubled`));
		expect(results.map((rows) => rows[0]?.doubled)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));

		await Promise.all([
			...Array.from({ length: 25 }, () =>
				sql.transaction([sql`UPDATE counters SET n = n + 1 WHERE id = 1`, sql`INSERT INTO counter_log DEFAULT VALUES`]),
			),
			...Array.from({ length: 25 }, () => sql`UPDATE counters SET n = n + 1 WHERE id = 1`),
		]);
		const [counter] = await sql`SELECT n FROM counters WHERE id = 1`;
		const [log] = await sql`SELECT count(*)::int AS n FROM counter_log`;
		expect(counter).toEqual({ n: 50 });
		expect(log).toEqual({ n: 25 });
	});
});
