import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import * as schema from "./schema/index.ts";

export type Database = NeonHttpDatabase<typeof schema>;

/** The bindings every Worker that touches Postgres has. */
export interface DatabaseEnv {
	DATABASE_URL: string;
	/**
	 * Set only in local dev and tests: the `@oja/neon-local` endpoint that speaks Neon's HTTP
	 * protocol. In production it is absent and the driver talks to Neon directly.
	 */
	NEON_LOCAL_ENDPOINT?: string;
}

const cache = new Map<string, Database>();

/**
 * The one way Workers (and Node scripts) get a database handle. neon-http is stateless
 * HTTP, so a handle is cheap; we still memoise per isolate to skip re-parsing the URL.
 */
export function createDb(env: DatabaseEnv): Database {
	if (env.NEON_LOCAL_ENDPOINT) {
		// neonConfig is module-global; every query in this isolate goes to the same endpoint,
		// so setting it here (idempotently) is safe.
		neonConfig.fetchEndpoint = env.NEON_LOCAL_ENDPOINT;
	}
	const key = `${env.DATABASE_URL}|${env.NEON_LOCAL_ENDPOINT ?? ""}`;
	let db = cache.get(key);
	if (!db) {
		db = drizzle({ client: neon(env.DATABASE_URL), schema });
		cache.set(key, db);
	}
	return db;
}

/** A plain tagged-template client for the few places that want raw SQL (health, migrations). */
export function createSql(env: DatabaseEnv) {
	if (env.NEON_LOCAL_ENDPOINT) neonConfig.fetchEndpoint = env.NEON_LOCAL_ENDPOINT;
	return neon(env.DATABASE_URL);
}
