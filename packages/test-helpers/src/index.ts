// Helpers for integration tests that run inside workerd with the gateway as the main Worker.
import { env, exports } from "cloudflare:workers";
import { newOperatorCredentials } from "@oja/auth";
import { createDb, type Database, newId, schema } from "@oja/db";

const ORIGIN = "http://oja.test";

/** A request through the gateway's real fetch handler (the same code path production uses). */
export function gateway(path: string, init?: RequestInit): Promise<Response> {
	// The gateway is the test run's main Worker, so `exports.default` is its fetch handler.
	const main = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
	return main.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** A request through the gateway to any URL (e.g. a merchant's custom domain). */
export function gatewayAt(url: string, init?: RequestInit): Promise<Response> {
	const main = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
	return main.fetch(new Request(url, init));
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
	return gateway(path, {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
}

/** The test file's own database (cloned from the migrated template by `npm test`). */
export function testDb(): Database {
	return createDb(env);
}

export interface DatabaseWork {
	requests: number;
	queries: number;
	/** Batch round trips by statement count. */
	batchSizes?: Record<string, number>;
	/** Round trips that open with `SELECT oja_…(…)`, by function name. */
	functionCalls?: Record<string, number>;
}

/**
 * How many SQL round trips and statements this test file's database has served so far, as
 * counted by neon-local (every Worker's queries go through it). Compare two readings to see
 * how much database work a request did.
 */
export async function databaseWork(): Promise<DatabaseWork> {
	const endpoint = (env as { NEON_LOCAL_ENDPOINT?: string }).NEON_LOCAL_ENDPOINT;
	const url = (env as { DATABASE_URL?: string }).DATABASE_URL;
	if (!endpoint || !url) throw new Error("databaseWork() needs NEON_LOCAL_ENDPOINT and DATABASE_URL");
	const database = decodeURIComponent(new URL(url).pathname.slice(1));
	const res = await fetch(new URL("/_local/stats", endpoint));
	if (!res.ok) throw new Error(`neon-local stats: ${res.status}`);
	const stats = (await res.json()) as {
		byDatabase: Record<string, DatabaseWork>;
	};
	return stats.byDatabase[database] ?? { requests: 0, queries: 0 };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = "condition"): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		try {
			const value = await check();
			if (value !== undefined) return value;
		} catch (error) {
			last = error;
		}
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

let counter = 0;

/** Unique, valid signup input; override any field to make it invalid. */
export function signupInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	counter++;
	const tag = `${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e6).toString(36)}`;
	return {
		email: `merchant-${tag}@example.com`,
		password: "correct horse battery",
		name: "Ada Obi",
		storeName: "Ada's Fabrics",
		storeSlug: `ada-${tag}`,
		...overrides,
	};
}

export interface ProblemBody {
	type: string;
	title: string;
	status: number;
	detail?: string;
	requestId: string;
	errors?: { path: string; message: string; code: string }[];
	[key: string]: unknown;
}

/** Asserts the response is problem+json with the status, and returns the parsed body. */
export async function problemOf(res: Response, status: number): Promise<ProblemBody> {
	const text = await res.text();
	if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
	const type = res.headers.get("content-type") ?? "";
	if (!type.startsWith("application/problem+json")) throw new Error(`expected problem+json, got ${type}: ${text}`);
	const body = JSON.parse(text) as ProblemBody;
	if (body.status !== status || !body.requestId || !body.type || !body.title) {
		throw new Error(`malformed problem: ${text}`);
	}
	if (body.requestId !== res.headers.get("x-request-id")) throw new Error("problem requestId differs from x-request-id header");
	if (/\bat .+:\d+:\d+/.test(text)) throw new Error(`problem leaks a stack trace: ${text}`);
	return body;
}

export interface TestMerchant {
	storeId: string;
	slug: string;
	token: string;
	email: string;
}

/** Signs up a fresh merchant with their own store (owner role) through the gateway. */
export async function signUpMerchant(overrides: Record<string, unknown> = {}): Promise<TestMerchant> {
	const input = signupInput(overrides);
	const res = await postJson("/v1/auth/signup", input);
	if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
	const body = (await res.json()) as { store: { id: string; slug: string }; accessToken: string };
	return { storeId: body.store.id, slug: body.store.slug, token: body.accessToken, email: String(input.email) };
}

/** A request through the gateway as this merchant (Bearer token; JSON body if given). */
export function asMerchant(m: { token: string }, method: string, path: string, body?: unknown): Promise<Response> {
	return gateway(path, {
		method,
		headers: { authorization: `Bearer ${m.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

/** The JSON body of a response that must have the given status. */
export async function jsonOf<T>(res: Response, status = 200): Promise<T> {
	const text = await res.text();
	if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
	return JSON.parse(text) as T;
}

/**
 * Publishes TXT strings at a name in the DNS sandbox that identity resolves through (no
 * values: removes the name). The sandbox is shared by every test file, so use unique names.
 */
export async function setDnsTxt(name: string, values: string[]): Promise<void> {
	const target = `${env.TEST_DNS_ADMIN}/txt/${encodeURIComponent(name)}`;
	const res =
		values.length === 0
			? await fetch(target, { method: "DELETE" })
			: await fetch(target, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ values }) });
	if (!res.ok) throw new Error(`dns sandbox answered ${res.status}: ${await res.text()}`);
}

export interface StoreDomain {
	name: string;
	status: "pending" | "verified" | "failed";
	verification: { type: "TXT"; name: string; value: string };
	verifiedAt: string | null;
	checkedAt: string | null;
}

/** Claims `domain` for the merchant's store, publishes its TXT proof and verifies it. */
export async function verifiedDomain(m: TestMerchant, domain: string): Promise<StoreDomain> {
	const store = await jsonOf<{ domain: StoreDomain }>(
		await asMerchant(m, "PATCH", `/v1/stores/${m.storeId}`, { customDomain: domain }),
	);
	await setDnsTxt(store.domain.verification.name, [store.domain.verification.value]);
	return jsonOf<StoreDomain>(await asMerchant(m, "POST", `/v1/stores/${m.storeId}/domain/verify`));
}

export interface TestOperator {
	id: string;
	email: string;
	password: string;
	/** The TOTP seed, so a test can compute codes (`totpCode(secret, step)`). */
	secret: string;
}

/** Provisions an operator the way the CLI does (scripts/ops.ts): sealed TOTP seed, hashed password. */
export async function provisionOperator(
	role: "support" | "admin" | "super_admin",
	name = `Operator ${role}`,
): Promise<TestOperator> {
	const email = `op-${crypto.randomUUID()}@oja.dev`;
	const creds = await newOperatorCredentials(
		email,
		(env as unknown as { TEST_OPERATOR_TOTP_KEY: string }).TEST_OPERATOR_TOTP_KEY,
	);
	const id = newId("operator");
	await testDb()
		.insert(schema.operators)
		.values({ id, email, name, role, passwordHash: creds.passwordHash, totpSecretSealed: creds.totpSecretSealed });
	return { id, email, password: creds.password, secret: creds.totpSecret };
}

export * from "./queue.ts";
