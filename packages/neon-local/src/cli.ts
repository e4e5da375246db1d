/**
 * `node packages/neon-local/src/cli.ts` — serves Neon's HTTP SQL protocol for local dev.
 * Env: NEON_LOCAL_PORT (default 5445), NEON_LOCAL_HOST, DATABASE_URL (use real PostgreSQL
 * instead of PGlite), NEON_LOCAL_DATA_DIR (where PGlite databases persist).
 */
import { startNeonLocal } from "./server.ts";

const env = process.env;
const port = Number(env.NEON_LOCAL_PORT || 5445);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	console.error(`neon-local: invalid NEON_LOCAL_PORT ${JSON.stringify(env.NEON_LOCAL_PORT)}`);
	process.exit(1);
}

const server = await startNeonLocal({
	port,
	host: env.NEON_LOCAL_HOST || undefined,
	databaseUrl: env.DATABASE_URL || undefined,
	dataDir: env.NEON_LOCAL_DATA_DIR || undefined,
});
console.log(`neon-local listening on ${server.url} (backend: ${server.backend})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.once(signal, () => {
		// Closing flushes PGlite to disk; exiting before it finishes could corrupt the data dir.
		server.close().then(
			() => process.exit(0),
			(error: unknown) => {
				console.error("neon-local: error during shutdown", error);
				process.exit(1);
			},
		);
	});
}
