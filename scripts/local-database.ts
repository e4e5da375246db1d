// Where local dev finds its database: which name the Workers use and how they reach it.
// Shared by `npm start`, `npm run db:migrate` and the benchmarks.

/** The database the Workers use locally: PGlite's "oja", or the one named in DATABASE_URL. */
export function localDatabaseName(databaseUrl: string | undefined): string {
	if (!databaseUrl) return "oja";
	const name = new URL(databaseUrl).pathname.replace(/^\//, "");
	return name || "postgres";
}

/**
 * The connection string the Workers are given. Host and credentials are placeholders:
 * neon-local picks the database by name and connects with its own credentials.
 */
export function workerDatabaseUrl(database: string): string {
	return `postgres://oja:oja@neon-local.localhost/${database}`;
}

/** Where `npm start` keeps the local key that seals operators' TOTP seeds. */
export const LOCAL_TOTP_KEY_PATH = ".data/operator-totp-key";
