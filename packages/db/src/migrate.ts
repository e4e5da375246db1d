import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { neon, neonConfig } from "@neondatabase/serverless";

// Migrations are applied over the same Neon HTTP protocol the Workers use, so the path that
// runs in production (Neon) is the path we exercise locally (neon-local). There are no
// interactive transactions over HTTP: each migration is one batch transaction containing an
// advisory lock, its tracking row and its statements, so it commits whole or not at all.

const TRACKING_TABLE = "_oja_migrations";
// Any constant works; it only has to be the same for every migrator.
const ADVISORY_LOCK_KEY = 727_011;

interface JournalEntry {
	idx: number;
	tag: string;
}

export interface Migration {
	name: string;
	hash: string;
	statements: string[];
}

export async function readMigrations(dir: string): Promise<Migration[]> {
	const journal = JSON.parse(await readFile(join(dir, "meta", "_journal.json"), "utf8")) as {
		entries: JournalEntry[];
	};
	const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
	const migrations: Migration[] = [];
	for (const entry of entries) {
		const text = await readFile(join(dir, `${entry.tag}.sql`), "utf8");
		const statements = text
			.split("--> statement-breakpoint")
			.map((s) => s.trim())
			.filter((s) => s.length > 0);
		migrations.push({ name: entry.tag, hash: await sha256(text), statements });
	}
	return migrations;
}

async function sha256(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return Buffer.from(digest).toString("hex");
}

export interface MigrateOptions {
	databaseUrl: string;
	/** The neon-local `/sql` endpoint; omit to talk to Neon itself. */
	localEndpoint?: string;
	migrationsDir: string;
	log?: (line: string) => void;
}

export interface MigrateResult {
	applied: string[];
	skipped: string[];
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
	if (options.localEndpoint) neonConfig.fetchEndpoint = options.localEndpoint;
	const sql = neon(options.databaseUrl);
	const log = options.log ?? (() => {});
	const migrations = await readMigrations(options.migrationsDir);

	// Under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type.
	await sql.transaction([
		sql.query("SELECT pg_advisory_xact_lock($1)", [ADVISORY_LOCK_KEY]),
		sql.query(
			`CREATE TABLE IF NOT EXISTS ${TRACKING_TABLE} (name text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		),
	]);
	const rows = (await sql.query(`SELECT name, hash FROM ${TRACKING_TABLE}`)) as { name: string; hash: string }[];
	const done = new Map(rows.map((r) => [r.name, r.hash]));

	const result: MigrateResult = { applied: [], skipped: [] };
	for (const migration of migrations) {
		const appliedHash = done.get(migration.name);
		if (appliedHash !== undefined) {
			if (appliedHash !== migration.hash) {
				throw new Error(
					`migration ${migration.name} was edited after it was applied (hash ${appliedHash.slice(0, 12)} → ${migration.hash.slice(0, 12)}); add a new migration instead`,
				);
			}
			result.skipped.push(migration.name);
			continue;
		}
		try {
			await sql.transaction(
				[
					// Serialises concurrent migrators; released at commit/rollback.
					sql.query("SELECT pg_advisory_xact_lock($1)", [ADVISORY_LOCK_KEY]),
					// Inserted first: if another migrator got here first, the unique violation
					// aborts this batch before any DDL runs twice.
					sql.query(`INSERT INTO ${TRACKING_TABLE} (name, hash) VALUES ($1, $2)`, [migration.name, migration.hash]),
					...migration.statements.map((s) => sql.query(s)),
				],
				{ isolationLevel: "ReadCommitted" },
			);
		} catch (error) {
			if ((error as { code?: string }).code === "23505") {
				result.skipped.push(migration.name);
				continue;
			}
			throw new Error(`migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
				cause: error,
			});
		}
		log(`applied ${migration.name} (${migration.statements.length} statements)`);
		result.applied.push(migration.name);
	}
	return result;
}
