import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { errorToJson, isPostgresError, parsePayload, parseRequestOptions, resultToJson } from "./protocol.ts";
import { assertDatabaseName, type Backend, type BackendKind, HttpError } from "./types.ts";

export interface NeonLocalOptions {
	/** 0 picks a free port. Default 0. */
	port?: number;
	/** A loopback address (127.0.0.1, ::1 or localhost); default 127.0.0.1. */
	host?: string;
	/** When set, serve a real PostgreSQL server instead of embedded PGlite. */
	databaseUrl?: string;
	/** Parent directory of persistent PGlite databases. Default `<repo>/.data/pglite`. */
	dataDir?: string;
	/**
	 * Count round trips by the shape of their (first) statement, in `stats.shapes`: for finding
	 * which statements a workload makes. Off by default: it costs CPU on every round trip.
	 */
	statementShapes?: boolean;
	/**
	 * Wait this long before running each round trip: the network between an edge location and
	 * Neon's region, which this machine's loopback lacks. For benchmarks of what overlaps I/O;
	 * default 0.
	 */
	roundTripDelayMs?: number;
}

export interface NeonLocal {
	/** e.g. `http://127.0.0.1:5445` */
	url: string;
	/** `url + '/sql'`: the value for `neonConfig.fetchEndpoint`. */
	sqlEndpoint: string;
	backend: BackendKind;
	close(): Promise<void>;
}

export interface DatabaseStats {
	requests: number;
	queries: number;
	/** Batch round trips by their statement count ("12": 3 means three batches of 12). */
	batchSizes?: Record<string, number>;
	/**
	 * Round trips whose first statement is `SELECT <function>(…)` of one of Oja's own functions
	 * (`oja_…`), by function name: how tests and the bench count a write done in one call.
	 */
	functionCalls?: Record<string, number>;
}

const FUNCTION_CALL = /^\s*select\s+(oja_[a-z0-9_]+)\s*\(/i;

export interface NeonLocalStats {
	/** SQL round trips: every POST /sql, single or batch, successful or not. */
	requests: number;
	/** Statements submitted (a batch of n counts n). */
	queries: number;
	batches: number;
	errors: number;
	byDatabase: Record<string, DatabaseStats>;
	/**
	 * With `statementShapes`: round trips by their first statement's text, whitespace collapsed
	 * and cut to 100 characters, prefixed with the batch size. Statement text only: parameters
	 * are never part of it.
	 */
	shapes?: Record<string, number>;
}

function shapeOf(query: string, batchSize: number | null): string {
	const text = query.replace(/\s+/g, " ").trim().slice(0, 100);
	return batchSize === null ? text : `[batch of ${batchSize}] ${text}`;
}

const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../../.data/pglite", import.meta.url));

export async function startNeonLocal(options: NeonLocalOptions = {}): Promise<NeonLocal> {
	const host = options.host ?? "127.0.0.1";
	// It runs any SQL it is sent, unauthenticated: nothing off this machine may reach it.
	if (!LOOPBACK_BIND.has(host)) throw new Error(`neon-local binds a loopback address only, not ${JSON.stringify(host)}`);
	// Load only the backend in use: importing PGlite or pg costs startup time for nothing.
	const backend: Backend = options.databaseUrl
		? new (await import("./postgres-backend.ts")).PostgresBackend(options.databaseUrl)
		: new (await import("./pglite-backend.ts")).PgliteBackend(options.dataDir ?? DEFAULT_DATA_DIR);

	const recordShapes = options.statementShapes === true;
	let stats = emptyStats();
	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const path = (req.url ?? "/").split("?")[0] ?? "/";
		const refused = refusal(req);
		if (refused) return send(res, 403, { message: refused });
		if (path === "/sql") {
			if (req.method !== "POST") return send(res, 405, { message: "use POST" });
			return handleSql(req, res);
		}
		if (path === "/_local/health" && req.method === "GET") return send(res, 200, { ok: true, backend: backend.kind });
		if (path === "/_local/stats" && req.method === "GET") return send(res, 200, stats);
		if (path === "/_local/stats/reset" && req.method === "POST") {
			stats = emptyStats();
			return send(res, 200, { ok: true });
		}
		if (path === "/_local/databases" && req.method === "POST") {
			const body = parseJsonObject(await readBody(req));
			const { name, template, replace } = body;
			if (typeof name !== "string") throw new HttpError(400, 'expected {"name": string, "template"?: string}');
			assertDatabaseName(name);
			if (template !== undefined && template !== null) {
				if (typeof template !== "string") throw new HttpError(400, '"template" must be a string');
				assertDatabaseName(template);
			}
			await backend.createDatabase(name, template ?? undefined, replace === true);
			return send(res, 201, { name });
		}
		const drop = /^\/_local\/databases\/([^/]+)$/.exec(path);
		if (drop?.[1] !== undefined && req.method === "DELETE") {
			const name = decodeURIComponent(drop[1]);
			assertDatabaseName(name);
			if (!(await backend.dropDatabase(name))) throw new HttpError(404, `database "${name}" does not exist`);
			return send(res, 200, { name });
		}
		send(res, 404, { message: `no route for ${req.method} ${path}` });
	};

	const delayMs = options.roundTripDelayMs ?? 0;
	const handleSql = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		stats.requests++;
		if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
		try {
			const options = parseRequestOptions(req.headers);
			assertDatabaseName(options.database);
			const perDb = stats.byDatabase[options.database] ?? { requests: 0, queries: 0 };
			stats.byDatabase[options.database] = perDb;
			perDb.requests++;
			const payload = parsePayload(await readBody(req));
			const called = FUNCTION_CALL.exec((payload.kind === "single" ? payload.statement : payload.statements[0])?.query ?? "");
			if (called?.[1]) {
				perDb.functionCalls ??= {};
				perDb.functionCalls[called[1]] = (perDb.functionCalls[called[1]] ?? 0) + 1;
			}
			if (recordShapes) {
				const first = payload.kind === "single" ? payload.statement : payload.statements[0];
				const shape = shapeOf(first?.query ?? "", payload.kind === "single" ? null : payload.statements.length);
				stats.shapes ??= {};
				stats.shapes[shape] = (stats.shapes[shape] ?? 0) + 1;
			}
			if (payload.kind === "single") {
				stats.queries++;
				perDb.queries++;
				const result = await backend.query(options.database, payload.statement);
				return sendRaw(res, 200, resultToJson(result, payload.statement, options));
			}
			const { statements } = payload;
			stats.batches++;
			perDb.batchSizes ??= {};
			perDb.batchSizes[statements.length] = (perDb.batchSizes[statements.length] ?? 0) + 1;
			stats.queries += statements.length;
			perDb.queries += statements.length;
			const results = await backend.batch(options.database, statements, options.transaction);
			const json = results.map((result, i) => resultToJson(result, statements[i] ?? { query: "", params: [] }, options));
			// Neon echoes the transaction settings it applied on batch responses.
			const headers: Record<string, string> = {};
			if (options.transaction.isolationLevel) headers["neon-batch-isolation-level"] = options.transaction.isolationLevel;
			if (options.transaction.readOnly) headers["neon-batch-read-only"] = "true";
			if (options.transaction.deferrable) headers["neon-batch-deferrable"] = "true";
			return sendRaw(res, 200, `{"results":[${json.join(",")}]}`, headers);
		} catch (error) {
			stats.errors++;
			throw error;
		}
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			const err = error instanceof Error ? error : new Error(String(error));
			const status = err instanceof HttpError ? err.status : isPostgresError(err) ? 400 : 500;
			if (res.headersSent) res.destroy(err);
			else sendRaw(res, status, errorToJson(err));
		});
	});
	// Workers and benchmarks fire many parallel requests over kept-alive sockets; Node's 5s
	// default keep-alive would otherwise race with clients reusing a socket just as it closes.
	server.keepAliveTimeout = 60_000;

	try {
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(options.port ?? 0, host, () => {
				server.off("error", reject);
				resolve();
			});
		});
	} catch (error) {
		await backend.close();
		throw error;
	}
	const { port } = server.address() as AddressInfo;
	const url = `http://${urlHost(host)}:${port}`;

	let closing: Promise<void> | undefined;
	return {
		url,
		sqlEndpoint: `${url}/sql`,
		backend: backend.kind,
		close() {
			closing ??= (async () => {
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeIdleConnections();
					// Don't let a stuck client hold shutdown hostage.
					setTimeout(() => server.closeAllConnections(), 2_000).unref();
				});
				await backend.close();
			})();
			return closing;
		},
	};
}

function emptyStats(): NeonLocalStats {
	return { requests: 0, queries: 0, batches: 0, errors: 0, byDatabase: {} };
}

function urlHost(host: string): string {
	return host.includes(":") ? `[${host}]` : host;
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

function parseJsonObject(body: string): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(body);
	} catch (error) {
		throw new HttpError(400, `invalid JSON body: ${(error as Error).message}`);
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) {
		throw new HttpError(400, "expected a JSON object");
	}
	return value as Record<string, unknown>;
}

const LOOPBACK_BIND = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Why a request is refused, if it is. A web page can make the browser send requests to
 * loopback ports, so binding loopback alone is not enough:
 * - Host must name this machine (loopback, `*.localhost`) or a `neon-local.test` name, which
 *   defeats DNS rebinding (an attacker's name resolving to 127.0.0.1 still carries its Host);
 * - any Origin header means a browser sent it (the Neon driver on Workers and Node sends
 *   none), and even a "simple" cross-site POST would run its SQL before CORS could hide the
 *   answer; so no CORS headers are sent either.
 */
export function refusal(req: Pick<IncomingMessage, "headers">): string | undefined {
	if (req.headers.origin !== undefined) return "requests from web pages are refused";
	const hostname = hostnameOf(req.headers.host);
	if (!hostname || !allowedHostname(hostname)) return "unexpected Host header";
	return undefined;
}

function hostnameOf(host: string | undefined): string | undefined {
	if (!host) return undefined;
	const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host.trim());
	return match?.[1]?.toLowerCase();
}

function allowedHostname(hostname: string): boolean {
	return (
		hostname === "127.0.0.1" ||
		hostname === "[::1]" ||
		hostname === "localhost" ||
		hostname.endsWith(".localhost") ||
		hostname === "neon-local.test" ||
		hostname.endsWith(".neon-local.test")
	);
}

function send(res: ServerResponse, status: number, body: unknown): void {
	sendRaw(res, status, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
	res.writeHead(status, {
		...headers,
		"content-type": "application/json",
		"content-length": Buffer.byteLength(body),
	});
	res.end(body);
}
