import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { type NeonLocal, neonLocalAdmin, startNeonLocal } from "@oja/neon-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/migrate.ts";

// The migrator against neon-local: PGlite always, and real PostgreSQL when DATABASE_URL is set.

function migrationsDir(files: Record<string, string>): string {
	const dir = mkdtempSync(join(tmpdir(), "oja-migrations-"));
	mkdirSync(join(dir, "meta"));
	const entries = Object.keys(files).map((tag, idx) => ({ idx, tag }));
	writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify({ entries }));
	for (const [tag, sql] of Object.entries(files)) writeFileSync(join(dir, `${tag}.sql`), sql);
	return dir;
}

const backends = [{ name: "pglite", databaseUrl: undefined as string | undefined }];
if (process.env.DATABASE_URL) backends.push({ name: "postgres", databaseUrl: process.env.DATABASE_URL });

describe.each(backends)("migrate ($name)", ({ databaseUrl }) => {
	let server: NeonLocal;
	let dataDir: string;
	let n = 0;
	const created: string[] = [];

	beforeAll(async () => {
		dataDir = mkdtempSync(join(tmpdir(), "oja-migrate-data-"));
		server = await startNeonLocal({ port: 0, databaseUrl, dataDir });
	});
	afterAll(async () => {
		const admin = neonLocalAdmin(server.url);
		if (databaseUrl) for (const db of created) await admin.dropDatabase(db);
		await server.close();
		rmSync(dataDir, { recursive: true, force: true });
		// Dropping every database made here takes a while on a busy machine.
	}, 60_000);

	async function freshDatabase(): Promise<{ url: string; sql: NeonQueryFunction<false, false> }> {
		const name = `oja_migrate_${process.pid}_${n++}`;
		await neonLocalAdmin(server.url).createDatabase(name, undefined, { replace: true });
		created.push(name);
		neonConfig.fetchEndpoint = server.sqlEndpoint;
		const url = `postgres://oja:oja@neon-local.test/${name}`;
		return { url, sql: neon(url) };
	}

	it("applies the project's migrations once; re-running is a no-op", async () => {
		const { url, sql } = await freshDatabase();
		const first = await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: "migrations" });
		expect(first.applied.length).toBeGreaterThan(0);
		const second = await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: "migrations" });
		expect(second).toEqual({ applied: [], skipped: first.applied });
		const tables = await sql.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'outbox'");
		expect(tables[0]?.n).toBe(1);
		// Every project migration on PGlite: tens of seconds when the machine is busy.
	}, 120_000);

	it("rolls a failing migration back completely and keeps earlier ones", async () => {
		const { url, sql } = await freshDatabase();
		const dir = migrationsDir({
			"0000_good": "CREATE TABLE a (id int PRIMARY KEY);",
			"0001_bad":
				"CREATE TABLE b (id int);\n--> statement-breakpoint\nINSERT INTO b VALUES (1);\n--> statement-breakpoint\nSELECT no_such_function();",
		});
		await expect(migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir })).rejects.toThrow(
			/0001_bad failed and was rolled back/,
		);
		const tables = await sql.query("SELECT table_name FROM information_schema.tables WHERE table_name IN ('a', 'b') ORDER BY 1");
		expect(tables.map((t) => t.table_name)).toEqual(["a"]);
		const applied = await sql.query("SELECT name FROM _oja_migrations ORDER BY name");
		expect(applied.map((r) => r.name)).toEqual(["0000_good"]);
		rmSync(dir, { recursive: true, force: true });
	});

	it("refuses to run when an applied migration was edited", async () => {
		const { url } = await freshDatabase();
		const dir = migrationsDir({ "0000_x": "CREATE TABLE x (id int);" });
		await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir });
		writeFileSync(join(dir, "0000_x.sql"), "CREATE TABLE x (id bigint);");
		await expect(migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir })).rejects.toThrow(
			/edited after it was applied/,
		);
		rmSync(dir, { recursive: true, force: true });
	});

	it("applies each migration exactly once when several migrators race", async () => {
		const { url, sql } = await freshDatabase();
		const dir = migrationsDir({
			"0000_t": "CREATE TABLE t (id int PRIMARY KEY);",
			"0001_seed": "INSERT INTO t VALUES (1);",
		});
		const results = await Promise.all(
			[1, 2, 3].map(() => migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir })),
		);
		const appliedCount = results.reduce((sum, r) => sum + r.applied.length, 0);
		expect(appliedCount).toBe(2);
		const rows = await sql.query("SELECT count(*)::int AS n FROM t");
		expect(rows[0]?.n).toBe(1);
		rmSync(dir, { recursive: true, force: true });
	});

	describe("-- oja:no-transaction", () => {
		const concurrentIndex =
			"-- oja:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx ON t (v);\n--> statement-breakpoint\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_w_idx ON t (w);";

		async function validIndexes(sql: NeonQueryFunction<false, false>): Promise<string[]> {
			const rows = await sql.query(
				"SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 't' AND i.indisvalid ORDER BY 1",
			);
			return rows.map((r) => String(r.name));
		}

		it("builds indexes CONCURRENTLY (impossible in a transaction) and records the migration once", async () => {
			const { url, sql } = await freshDatabase();
			const dir = migrationsDir({
				"0000_t": "CREATE TABLE t (id int PRIMARY KEY, v int, w int);",
				"0001_idx": concurrentIndex,
				"0002_after": "INSERT INTO t VALUES (1, 1, 1);",
			});
			const first = await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir });
			expect(first.applied).toEqual(["0000_t", "0001_idx", "0002_after"]);
			expect(await validIndexes(sql)).toEqual(["t_pkey", "t_v_idx", "t_w_idx"]);
			const rows = await sql.query("SELECT name, hash FROM _oja_migrations WHERE name = '0001_idx'");
			expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
			const again = await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir });
			expect(again).toEqual({ applied: [], skipped: ["0000_t", "0001_idx", "0002_after"] });
			rmSync(dir, { recursive: true, force: true });
		});

		it("on failure records nothing, runs nothing after it, and applies on the next run once fixed", async () => {
			const { url, sql } = await freshDatabase();
			const dir = migrationsDir({
				"0000_t":
					"CREATE TABLE t (id int PRIMARY KEY, v int, w int);\n--> statement-breakpoint\nINSERT INTO t VALUES (1, 7, 1), (2, 7, 2);",
				// The unique build fails on the duplicate v, leaving an invalid index behind.
				"0001_idx": "-- oja:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx ON t (v);",
				"0002_after": "CREATE TABLE after_idx (id int);",
			});
			await expect(migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir })).rejects.toThrow(
				/0001_idx \(no transaction\) failed/,
			);
			const applied = await sql.query("SELECT name FROM _oja_migrations ORDER BY name");
			expect(applied.map((r) => r.name)).toEqual(["0000_t"]);
			const after = await sql.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'after_idx'");
			expect(after[0]?.n).toBe(0);

			await sql.query("DELETE FROM t WHERE id = 2");
			writeFileSync(
				join(dir, "0001_idx.sql"),
				"-- oja:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_v_idx;\n--> statement-breakpoint\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_v_idx ON t (v);",
			);
			const fixed = await migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir });
			expect(fixed.applied).toEqual(["0001_idx", "0002_after"]);
			expect(await validIndexes(sql)).toEqual(["t_pkey", "t_v_idx"]);
			rmSync(dir, { recursive: true, force: true });
		});

		it("applies exactly once when several migrators race, and none runs past it early", async () => {
			const { url, sql } = await freshDatabase();
			const dir = migrationsDir({
				"0000_t": "CREATE TABLE t (id int PRIMARY KEY, v int, w int);",
				"0001_idx": concurrentIndex,
				// Fails (duplicate key) if it ran twice.
				"0002_after": "INSERT INTO t VALUES (1, 1, 1);",
			});
			const results = await Promise.all(
				[1, 2, 3].map(() => migrate({ databaseUrl: url, localEndpoint: server.sqlEndpoint, migrationsDir: dir })),
			);
			expect(results.reduce((sum, r) => sum + r.applied.length, 0)).toBe(3);
			expect(await validIndexes(sql)).toEqual(["t_pkey", "t_v_idx", "t_w_idx"]);
			const rows = await sql.query("SELECT count(*)::int AS n FROM _oja_migrations WHERE hash LIKE 'pending:%'");
			expect(rows[0]?.n).toBe(0);
			rmSync(dir, { recursive: true, force: true });
		});
	});
});
