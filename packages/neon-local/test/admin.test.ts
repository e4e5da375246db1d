import { existsSync } from "node:fs";
import { join } from "node:path";
import { NeonDbError } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNeonLocal } from "../src/index.ts";
import { backendCases, cleanupTempDirs, postSql, startTestServer, type TestServer, tempDir, uniqueName } from "./helpers.ts";

afterAll(cleanupTempDirs);

describe.each(backendCases)("admin API and request handling ($kind)", ({ kind, options }) => {
	let t: TestServer;

	beforeAll(async () => {
		t = await startTestServer(await options());
	});
	afterAll(() => t?.close());

	it("reports health and the backend in use", async () => {
		expect(t.server.backend).toBe(kind);
		expect(t.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(t.server.sqlEndpoint).toBe(`${t.server.url}/sql`);
		const res = await fetch(`${t.server.url}/_local/health`);
		expect(await res.json()).toEqual({ ok: true, backend: kind });
	});

	it("creates a database from a template as an independent copy", async () => {
		const source = await t.freshDatabase("src");
		await t
			.sql(source)
			.transaction((sql) => [
				sql`CREATE TABLE items (id int PRIMARY KEY, name text)`,
				sql`INSERT INTO items VALUES (1, 'from template')`,
			]);
		const copy = uniqueName("copy");
		try {
			await t.admin.createDatabase(copy, source);
			const sql = t.sql(copy);
			expect(await sql`SELECT * FROM items`).toEqual([{ id: 1, name: "from template" }]);
			await sql`INSERT INTO items VALUES (2, 'only in copy')`;
			expect(await t.sql(source)`SELECT count(*)::int AS n FROM items`).toEqual([{ n: 1 }]);

			await expect(t.admin.createDatabase(copy, source)).rejects.toThrow(/HTTP 409.*already exists/);
			await t.admin.createDatabase(copy, source, { replace: true });
			expect(await t.sql(copy)`SELECT id FROM items`).toEqual([{ id: 1 }]);
		} finally {
			await t.admin.dropDatabase(copy);
		}
	});

	it("creates empty databases, validates names and drops", async () => {
		const name = uniqueName("empty");
		await t.admin.createDatabase(name);
		expect(await t.sql(name)`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`).toEqual([{ n: 0 }]);
		expect(await t.admin.dropDatabase(name)).toBe(true);
		expect(await t.admin.dropDatabase(name)).toBe(false);

		await expect(t.admin.createDatabase("Bad-Name")).rejects.toThrow(/HTTP 400.*invalid database name/);
		await expect(t.admin.createDatabase(uniqueName("x"), uniqueName("missing"))).rejects.toThrow(/HTTP 404/);
		const res = await fetch(`${t.server.url}/_local/databases`, { method: "POST", body: "{" });
		expect(res.status).toBe(400);
	});

	it("keeps databases separate", async () => {
		const a = await t.freshDatabase("sep_a");
		const b = await t.freshDatabase("sep_b");
		await t.sql(a)`CREATE TABLE only_here (id int)`;
		const error = await t.sql(b)`SELECT * FROM only_here`.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NeonDbError);
		expect((error as NeonDbError).code).toBe("42P01");
	});

	it("counts round trips, statements, batches and errors", async () => {
		const db = await t.freshDatabase("stats");
		const sql = t.sql(db);
		await t.admin.resetStats();
		await sql`SELECT 1`;
		await sql`SELECT 2`;
		await sql.transaction([sql`SELECT 3`, sql`SELECT 4`]);
		await sql`SELECT nope`.catch(() => undefined);
		const stats = await t.admin.stats();
		expect(stats).toMatchObject({ requests: 4, queries: 5, batches: 1, errors: 1 });
		// Batches are also counted by size, so a test can tell a 12-statement checkout from other traffic.
		expect(stats.byDatabase[db]).toEqual({ requests: 4, queries: 5, batchSizes: { "2": 1 } });
		await t.admin.resetStats();
		expect(await t.admin.stats()).toEqual({ requests: 0, queries: 0, batches: 0, errors: 0, byDatabase: {} });
	});

	it("counts round trips that call one of Oja's functions, by name", async () => {
		const db = await t.freshDatabase("calls");
		const sql = t.sql(db);
		await sql`CREATE FUNCTION oja_twice(n int) RETURNS int LANGUAGE sql AS 'SELECT n * 2'`;
		await t.admin.resetStats();
		await sql`SELECT oja_twice(${2})`;
		await sql`select  oja_twice (${3}) AS six`;
		await sql.transaction([sql`SELECT oja_twice(${4})`, sql`SELECT 1`]);
		// Not a call of one of ours, or not the statement's first thing: not counted.
		await sql`SELECT 1 + oja_twice(${5})`;
		await sql`SELECT lower('OJA_TWICE(1)')`;
		const stats = await t.admin.stats();
		expect(stats.byDatabase[db]?.functionCalls).toEqual({ oja_twice: 3 });
	});

	it("answers malformed requests with 400 and a message, unknown paths with 404", async () => {
		const db = await t.freshDatabase("bad");
		const badJson = await postSql(t.server, db, "{not json");
		expect(badJson.status).toBe(400);
		expect((badJson.json as { message: string }).message).toMatch(/invalid JSON/);

		const noQuery = await postSql(t.server, db, { params: [] });
		expect(noQuery.status).toBe(400);
		expect((noQuery.json as { message: string }).message).toMatch(/query/);

		const noConnection = await fetch(t.server.sqlEndpoint, { method: "POST", body: '{"query":"SELECT 1"}' });
		expect(noConnection.status).toBe(400);
		expect(await noConnection.json()).toEqual({ message: "missing Neon-Connection-String header" });

		expect((await fetch(`${t.server.url}/nope`)).status).toBe(404);
		expect((await fetch(`${t.server.url}/_local/nope`)).status).toBe(404);
		expect((await fetch(t.server.sqlEndpoint)).status).toBe(405);
	});

	it("honours a per-statement arrayMode in the request body", async () => {
		const db = await t.freshDatabase("mode");
		const { json } = await postSql(t.server, db, {
			queries: [
				{ query: "SELECT 1 AS a", params: [], arrayMode: false },
				{ query: "SELECT 2 AS a", params: [] },
			],
		});
		expect(json).toMatchObject({
			results: [
				{ rowAsArray: false, rows: [{ a: "1" }] },
				{ rowAsArray: true, rows: [["2"]] },
			],
		});
	});
});

describe("PGlite persistence", () => {
	it("persists request-named databases under dataDir across restarts, and drop removes them", async () => {
		const dataDir = await tempDir();
		const first = await startTestServer({ dataDir });
		await first.sql("persisted")`CREATE TABLE kept (v text)`;
		await first.sql("persisted")`INSERT INTO kept VALUES ('still here')`;
		await first.close();
		expect(existsSync(join(dataDir, "persisted", "PG_VERSION"))).toBe(true);

		const second = await startTestServer({ dataDir });
		try {
			expect(await second.sql("persisted")`SELECT v FROM kept`).toEqual([{ v: "still here" }]);
			await expect(second.admin.createDatabase("persisted")).rejects.toThrow(/HTTP 409/);
			expect(await second.admin.dropDatabase("persisted")).toBe(true);
			expect(existsSync(join(dataDir, "persisted"))).toBe(false);
		} finally {
			await second.close();
		}
	});

	it("closes cleanly and frees its port", async () => {
		const server = await startNeonLocal({ dataDir: await tempDir() });
		await server.close();
		await expect(fetch(`${server.url}/_local/health`)).rejects.toThrow();
	});
});

describe("statement shapes (opt-in)", () => {
	let t: TestServer;

	beforeAll(async () => {
		t = await startTestServer({ dataDir: await tempDir(), statementShapes: true });
	});
	afterAll(() => t?.close());

	it("counts round trips by their first statement's text, never its parameters", async () => {
		const db = await t.freshDatabase("shapes");
		const sql = t.sql(db);
		await t.admin.resetStats();
		const secret = "ada@example.com";
		await sql`SELECT ${secret}::text AS   email`;
		await sql`SELECT ${"someone else"}::text AS   email`;
		await sql.transaction([sql`SELECT 1`, sql`SELECT ${secret}::text`]);
		const { shapes } = await t.admin.stats();
		expect(shapes).toEqual({ "SELECT $1::text AS email": 2, "[batch of 2] SELECT 1": 1 });
		expect(JSON.stringify(shapes)).not.toContain(secret);
	});

	it("is off unless asked for", async () => {
		const plain = await startTestServer({ dataDir: await tempDir() });
		try {
			await plain.sql(await plain.freshDatabase("noshapes"))`SELECT 1`;
			expect((await plain.admin.stats()).shapes).toBeUndefined();
		} finally {
			await plain.close();
		}
	});
});
