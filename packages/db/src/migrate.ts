import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";

// Migrations are applied over the same Neon HTTP protocol the Workers use, so the path that
// runs in production (Neon) is the path we exercise locally (neon-local). There are no
// interactive transactions over HTTP: each migration is one batch transaction containing an
// advisory lock, its tracking row and its statements, so it commits whole or not at all.
//
// A migration whose first line is `-- oja:no-transaction` runs its statements one at a time
// outside any transaction instead: `CREATE INDEX CONCURRENTLY` (which builds an index
// without blocking writes) refuses to run inside one. See applyWithoutTransaction.

const TRACKING_TABLE = "_oja_migrations";
// Any constant works; it only has to be the same for every migrator.
const ADVISORY_LOCK_KEY = 727_011;
/** Marks a migration that must run outside a transaction (first line of its file). */
const NO_TRANSACTION = /^--\s*oja:no-transaction\s*$/m;
/** Tracking-row hash prefix while a non-transactional migration is being applied. */
const PENDING = "pending:";

interface JournalEntry {
	idx: number;
	tag: string;
}

export interface Migration {
	name: string;
	hash: string;
	statements: string[];
	/** False for `-- oja:no-transaction` migrations. */
	transactional: boolean;
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
		const firstLine = text.split("\n", 1)[0] ?? "";
		migrations.push({ name: entry.tag, hash: await sha256(text), statements, transactional: !NO_TRANSACTION.test(firstLine) });
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
	/** How long to wait for another migrator's non-transactional migration. Default 15 minutes. */
	waitMs?: number;
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
		if (appliedHash?.startsWith(PENDING)) {
			// Another migrator is applying it (or died doing so): nothing later may run first.
			await waitForOther(sql, migration, options.waitMs);
			result.skipped.push(migration.name);
			continue;
		}
		if (appliedHash !== undefined) {
			if (appliedHash !== migration.hash) {
				throw new Error(
					`migration ${migration.name} was edited after it was applied (hash ${appliedHash.slice(0, 12)} → ${migration.hash.slice(0, 12)}); add a new migration instead`,
				);
			}
			result.skipped.push(migration.name);
			continue;
		}
		if (!migration.transactional) {
			if (await applyWithoutTransaction(sql, migration, options.waitMs)) {
				log(`applied ${migration.name} (${migration.statements.length} statements, no transaction)`);
				result.applied.push(migration.name);
			} else result.skipped.push(migration.name);
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

type Sql = NeonQueryFunction<false, false>;

/**
 * Applies a `-- oja:no-transaction` migration. Its statements commit one by one, so the
 * tracking row cannot commit with them; instead it is written in two steps:
 * 1. claim: a `pending:` row inserted under the advisory lock (a second migrator's insert
 *    fails on the primary key, and it waits for this one rather than running later
 *    migrations early);
 * 2. each statement runs on its own; then, if no index was left invalid (a failed
 *    CONCURRENTLY build leaves one behind, and IF NOT EXISTS would skip it next time), the
 *    row gets the real hash. On failure the claim is removed so the migration runs again
 *    next time: statements that did run stay applied, so such a migration must be safe to
 *    re-run (IF NOT EXISTS; DROP INDEX CONCURRENTLY IF EXISTS before rebuilding an index).
 * Returns false when another migrator applied it.
 */
async function applyWithoutTransaction(sql: Sql, migration: Migration, waitMs: number | undefined): Promise<boolean> {
	const claim = PENDING + migration.hash;
	try {
		await sql.transaction([
			sql.query("SELECT pg_advisory_xact_lock($1)", [ADVISORY_LOCK_KEY]),
			sql.query(`INSERT INTO ${TRACKING_TABLE} (name, hash) VALUES ($1, $2)`, [migration.name, claim]),
		]);
	} catch (error) {
		if ((error as { code?: string }).code !== "23505") throw error;
		await waitForOther(sql, migration, waitMs);
		return false;
	}
	try {
		for (const statement of migration.statements) await sql.query(statement);
		const invalid = (await sql.query(
			"SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid",
		)) as { name: string }[];
		if (invalid.length > 0) {
			throw new Error(`index(es) left invalid: ${invalid.map((r) => r.name).join(", ")}; drop them and run again`);
		}
		await sql.query(`UPDATE ${TRACKING_TABLE} SET hash = $1, applied_at = now() WHERE name = $2 AND hash = $3`, [
			migration.hash,
			migration.name,
			claim,
		]);
		return true;
	} catch (error) {
		await sql
			.query(`DELETE FROM ${TRACKING_TABLE} WHERE name = $1 AND hash = $2`, [migration.name, claim])
			.catch(() => undefined);
		throw new Error(
			`migration ${migration.name} (no transaction) failed; statements before the failure stay applied: ${(error as Error).message}`,
			{ cause: error },
		);
	}
}

/** Waits until another migrator finishes (or abandons) a non-transactional migration. */
async function waitForOther(sql: Sql, migration: Migration, waitMs = 15 * 60_000): Promise<void> {
	const deadline = Date.now() + waitMs;
	for (;;) {
		const rows = (await sql.query(`SELECT hash FROM ${TRACKING_TABLE} WHERE name = $1`, [migration.name])) as {
			hash: string;
		}[];
		const hash = rows[0]?.hash;
		if (hash === undefined) throw new Error(`migration ${migration.name} failed in another migrator; run again`);
		if (!hash.startsWith(PENDING)) {
			if (hash !== migration.hash) throw new Error(`migration ${migration.name} was applied from a different file`);
			return;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`migration ${migration.name} has been pending for too long; if its migrator died, delete its row from ${TRACKING_TABLE} (hash ${PENDING}…) and run again`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
