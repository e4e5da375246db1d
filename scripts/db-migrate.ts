// `npm run db:migrate`: applies migrations/ over Neon's HTTP protocol.
//  - Against Neon: DATABASE_URL=postgres://…neon.tech/… npm run db:migrate
//  - Locally: starts neon-local (embedded PGlite under .data/, or the PostgreSQL in
//    DATABASE_URL when NEON_LOCAL=1) for the duration of the run.
import { migrate } from "@oja/db/migrate";
import { startNeonLocal } from "@oja/neon-local";
import { localDatabaseName, workerDatabaseUrl } from "./local-database.ts";

const databaseUrl = process.env.DATABASE_URL || undefined;
const useLocal = !databaseUrl || process.env.NEON_LOCAL === "1" || /@(127\.0\.0\.1|localhost)[:/]/.test(databaseUrl);

if (useLocal) {
	const neon = await startNeonLocal({ port: 0, databaseUrl });
	try {
		const result = await migrate({
			databaseUrl: workerDatabaseUrl(localDatabaseName(databaseUrl)),
			localEndpoint: neon.sqlEndpoint,
			migrationsDir: "migrations",
			log: console.log,
		});
		console.log(`migrations: ${result.applied.length} applied, ${result.skipped.length} already applied (${neon.backend})`);
	} finally {
		await neon.close();
	}
} else {
	const result = await migrate({ databaseUrl: databaseUrl as string, migrationsDir: "migrations", log: console.log });
	console.log(`migrations: ${result.applied.length} applied, ${result.skipped.length} already applied (Neon)`);
}
