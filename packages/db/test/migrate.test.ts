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
	});

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
	});

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
});
