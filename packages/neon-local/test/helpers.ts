import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { type NeonLocal, type NeonLocalAdmin, type NeonLocalOptions, neonLocalAdmin, startNeonLocal } from "../src/index.ts";

export interface BackendCase {
	kind: "pglite" | "postgres";
	options: () => Promise<NeonLocalOptions>;
}

const databaseUrl = process.env.DATABASE_URL;

/** PGlite always; real PostgreSQL too when DATABASE_URL is set. */
export const backendCases: BackendCase[] = [
	{ kind: "pglite", options: async () => ({ dataDir: await tempDir() }) },
	...(databaseUrl ? [{ kind: "postgres" as const, options: async () => ({ databaseUrl }) }] : []),
];

const tempDirs: string[] = [];
export async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "neon-local-test-"));
	tempDirs.push(dir);
	return dir;
}

/**
 * neonConfig is global to the module, but one test file may talk to several servers. Each
 * server gets its own fake hostname, and the endpoint function routes by the connection
 * string's host, so no test depends on which server was started last.
 */
const endpoints = new Map<string, string>();
neonConfig.fetchEndpoint = (host: string) => {
	const endpoint = endpoints.get(host);
	if (!endpoint) throw new Error(`no neon-local server registered for host ${host}`);
	return endpoint;
};

export interface TestServer {
	server: NeonLocal;
	admin: NeonLocalAdmin;
	/** The connection string the driver would be given for `database`. */
	connectionString(database: string): string;
	/** A `neon()` query function bound to `database` on this server. */
	sql(database: string): NeonQueryFunction<false, false>;
	/** Creates a uniquely named empty database (unique across parallel test files and runs). */
	freshDatabase(prefix: string): Promise<string>;
	/** Drops every database made by `freshDatabase`, then stops the server. */
	close(): Promise<void>;
}

let serverCount = 0;

export async function startTestServer(options: NeonLocalOptions): Promise<TestServer> {
	const server = await startNeonLocal({ port: 0, ...options });
	const host = `${server.backend}-${++serverCount}.neon-local.test`;
	endpoints.set(host, server.sqlEndpoint);
	const admin = neonLocalAdmin(server.url);
	const created: string[] = [];
	const connectionString = (database: string) => `postgresql://oja:secret@${host}/${database}?sslmode=require`;
	return {
		server,
		admin,
		connectionString,
		sql: (database) => neon(connectionString(database)),
		async freshDatabase(prefix) {
			const name = uniqueName(prefix);
			await admin.createDatabase(name);
			created.push(name);
			return name;
		},
		async close() {
			for (const name of created) await admin.dropDatabase(name);
			endpoints.delete(host);
			await server.close();
		},
	};
}

export function uniqueName(prefix: string): string {
	return `nl_${prefix}_${randomBytes(5).toString("hex")}`;
}

export async function cleanupTempDirs(): Promise<void> {
	await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** POSTs a raw Neon protocol request, for asserting on the exact wire format. */
export async function postSql(
	server: NeonLocal,
	database: string,
	body: unknown,
	headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
	const res = await fetch(server.sqlEndpoint, {
		method: "POST",
		body: typeof body === "string" ? body : JSON.stringify(body),
		headers: {
			"Neon-Connection-String": `postgresql://oja:secret@localhost/${database}`,
			"Neon-Raw-Text-Output": "true",
			"Neon-Array-Mode": "true",
			...headers,
		},
	});
	return { status: res.status, headers: res.headers, json: await res.json() };
}
