import { env } from "cloudflare:workers";
import { totpCode, totpStep } from "@oja/auth";
import { createSql } from "@oja/db";
import {
	asMerchant as as,
	gateway,
	jsonOf,
	postJson,
	provisionOperator,
	signUpMerchant,
	type TestMerchant,
} from "@oja/test-helpers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app.ts";
import { declaredRoutes } from "../src/openapi/registry.ts";

// The route fuzzer: walks every operation in the generated OpenAPI document and sends
// generated bad input as an authorised caller (the store's owner, a signed-in shopper, an
// admin operator). For every request: no 5xx; every error is problem+json with the request
// id and no stack trace; and a rejected request wrote nothing (row counts unchanged). New
// routes are covered because the document is generated from the same declarations that
// validate them (openapi/registry.ts). Fixed seed, bounded runs; FUZZ_SEED / FUZZ_RUNS
// (environment of `npm test`) override them, and a failure prints the seed and the request.

const SEED = Number(env.FUZZ_SEED || 20261130);
const RUNS_PER_OPERATION = Number(env.FUZZ_RUNS || 25);

// Tables written after the fact by queue consumers of earlier successful writes (event log,
// consumer bookkeeping, the email log of order emails); their counts move on their own and say
// nothing about this request.
const ASYNC_TABLES = new Set(["event_log", "processed_messages", "consumer_cursors", "dead_letters", "email_log"]);

interface JsonSchema {
	type?: string | string[];
	enum?: unknown[];
	const?: unknown;
	properties?: Record<string, JsonSchema>;
	required?: string[];
	items?: JsonSchema;
	prefixItems?: JsonSchema[];
	anyOf?: JsonSchema[];
	oneOf?: JsonSchema[];
	allOf?: JsonSchema[];
	minimum?: number;
	maximum?: number;
	exclusiveMinimum?: number;
	exclusiveMaximum?: number;
	minLength?: number;
	maxLength?: number;
	maxItems?: number;
	pattern?: string;
	format?: string;
	default?: unknown;
}

interface Operation {
	method: string;
	path: string;
	operationId: string;
	parameters?: { name: string; in: "path" | "query"; schema: JsonSchema }[];
	requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

interface Fixtures {
	owner: TestMerchant;
	other: TestMerchant;
	shopperToken: string;
	operatorToken: string;
	ids: Record<string, string>;
	otherIds: Record<string, string>;
}

let fx: Fixtures;
let operations: Operation[];
let countSql: string;

const HOSTILE_STRINGS = [
	"",
	" ",
	"\u0000",
	"a\u0000b",
	"\ud800",
	"x\udfffy",
	"🙂‍↔️🇳🇬",
	"\u202eevil\u202c",
	"\u200b",
	"مرحبا بالعالم",
	"<script>alert(1)</script>",
	"'; DROP TABLE products; --",
	"%00",
	"../../etc/passwd",
	"x".repeat(5000),
	"\\",
	"null",
	"-1",
	"1e309",
];

const HOSTILE_NUMBERS = [0, -1, 1.5, -0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER];

const hostileScalar = fc.oneof(
	fc.constantFrom<unknown>(null, true, false, ...HOSTILE_STRINGS, ...HOSTILE_NUMBERS),
	fc.string({ unit: "binary", maxLength: 40 }),
	fc.integer(),
	fc.double({ noNaN: true }),
);

/** Values nested deeper than any contract, or wide where a scalar is expected. */
const hostileStructure = fc.oneof(
	fc.constant<unknown>(Array.from({ length: 200 }, () => "x")),
	fc.constant<unknown>(JSON.parse(`${"[".repeat(100)}1${"]".repeat(100)}`)),
	fc.constant<unknown>({ __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }),
	fc.dictionary(fc.string({ maxLength: 8 }), hostileScalar, { maxKeys: 4 }),
	fc.array(hostileScalar, { maxLength: 4 }),
);

const hostile = fc.oneof({ weight: 4, arbitrary: hostileScalar }, { weight: 1, arbitrary: hostileStructure });

/** A value near what the schema asks for: often valid, often just past a bound. */
function nearValid(s: JsonSchema, name: string, depth: number): fc.Arbitrary<unknown> {
	if (s.const !== undefined) return fc.constant(s.const);
	if (s.enum) return fc.constantFrom(...s.enum);
	const alternatives = s.anyOf ?? s.oneOf;
	if (alternatives) return fc.oneof(...alternatives.map((a) => value(a, name, depth)));
	if (s.allOf?.[0]) return value(s.allOf[0], name, depth);
	const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "null") : s.type;
	switch (type) {
		case "string": {
			const fixture = Object.entries(fx.ids).find(([, id]) => s.pattern && new RegExp(s.pattern).test(id));
			if (fixture) return fc.constantFrom(fixture[1], fx.otherIds[fixture[0]] ?? fixture[1]);
			if (s.format === "email") return fc.constantFrom("fuzz@example.com", "FUZZ@Example.COM", "a@b");
			if (s.format === "uri") return fc.constantFrom("https://cdn.example.com/a.jpg", "http://x", "javascript:alert(1)");
			if (s.format === "date-time") return fc.constantFrom("2026-11-30T00:00:00Z", "2026-13-40T99:00:00Z");
			const max = s.maxLength ?? 200;
			return fc.oneof(
				fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(max, 40) }),
				fc.constant("y".repeat(max)),
				fc.constant("y".repeat(max + 1)),
			);
		}
		case "integer":
		case "number": {
			const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -(2 ** 31));
			const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 2 ** 31);
			return fc.oneof(
				fc.constantFrom(min, max, min - 1, max + 1),
				fc.integer({ min: Math.max(min, -1e6), max: Math.min(max, 1e6) }),
			);
		}
		case "boolean":
			return fc.boolean();
		case "null":
			return fc.constant(null);
		case "array": {
			if (depth > 4) return fc.constant([]);
			const items = s.prefixItems
				? fc.tuple(...s.prefixItems.map((p) => value(p, name, depth + 1)))
				: fc.array(value(s.items ?? {}, name, depth + 1), { maxLength: Math.min(s.maxItems ?? 3, 3) });
			return items as fc.Arbitrary<unknown>;
		}
		case "object": {
			if (depth > 4) return fc.constant({});
			const props = s.properties ?? {};
			const record: Record<string, fc.Arbitrary<unknown>> = {};
			for (const [key, prop] of Object.entries(props)) record[key] = value(prop, key, depth + 1);
			return fc
				.tuple(
					fc.record(record, { requiredKeys: s.required?.filter((k) => k in props) ?? [] }),
					fc.option(
						fc.dictionary(fc.constantFrom("unknownField", "__proto__", "constructor", "\u0000"), hostile, { maxKeys: 2 }),
						{
							freq: 4,
						},
					),
				)
				.map(([known, extra]) => ({ ...known, ...(extra ?? {}) }));
		}
		default:
			return hostile;
	}
}

/** Mostly near-valid, sometimes hostile, so bad input reaches every field at every depth. */
function value(s: JsonSchema, name: string, depth: number): fc.Arbitrary<unknown> {
	return fc.oneof({ weight: 3, arbitrary: nearValid(s, name, depth) }, { weight: 1, arbitrary: hostile });
}

/** Path segments that are wrong in every way a caller can make them wrong. */
const hostileSegment = fc.constantFrom(
	"%00",
	"%ED%A0%80",
	"%FF",
	"%F0%9F%99%82",
	"..",
	"%2e%2e%2f",
	"x".repeat(3000),
	"st_01ARZ3NDEKTSV4RRFFQ69G5FAV",
	"prd_01ARZ3NDEKTSV4RRFFQ69G5FAV",
	"%E2%80%AE",
	"null",
	"0",
);

/** Query values (already percent-encoded where the raw form cannot be sent). */
const hostileQueryValue = fc.oneof(
	hostileSegment,
	fc.constantFrom("-1", "0", "101", "1e3", "1.5", "9007199254740993", "", "!", "-", "%E2%80%8B", "%20%20"),
	fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

function pathFor(op: Operation): fc.Arbitrary<string> {
	const names = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
	const pick = (name: string) =>
		fc.oneof(
			{ weight: 3, arbitrary: fc.constant(encodeURIComponent(fx.ids[name] ?? "x")) },
			{ weight: 1, arbitrary: fc.constant(encodeURIComponent(fx.otherIds[name] ?? fx.ids[name] ?? "y")) },
			{ weight: 2, arbitrary: hostileSegment },
		);
	return fc.tuple(...names.map(pick)).map((values) => {
		let path = op.path;
		names.forEach((name, i) => {
			path = path.replace(`{${name}}`, values[i] as string);
		});
		return path;
	});
}

/** Where every path parameter is the fixture's own valid value (so the request reaches the handler). */
function validPath(op: Operation): string {
	return op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(fx.ids[name] ?? "x"));
}

/** Shapes known to break search-like inputs; every operation gets them first, whatever the seed. */
const EDGE_QUERY_VALUES = ["", "!", "-", "%F0%9F%99%82", "%E2%80%8B", "%00", "%ED%A0%80", "99999999999999999999"];

function examplesFor(op: Operation): [{ path: string; query: string; body: BodyCase }][] {
	const names = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
	const json: BodyCase = { contentType: "application/json", text: "{}" };
	// One parameter at a time, so the others' defaults let the request reach the handler.
	const queries = names.length ? names.flatMap((n) => EDGE_QUERY_VALUES.map((v) => `?${n}=${v}`)) : [""];
	return queries.map((query) => [{ path: validPath(op), query, body: json }]);
}

function queryFor(op: Operation): fc.Arbitrary<string> {
	const params = (op.parameters ?? []).filter((p) => p.in === "query");
	const pairs = params.map((p) =>
		fc.option(
			fc
				.oneof(
					nearValid(p.schema, p.name, 0).map((v) => encodeURIComponent(String(v))),
					hostileQueryValue,
				)
				.map((v) => `${p.name}=${v}`),
		),
	);
	const unknown = fc.option(
		hostileQueryValue.map((v) => `unknownParam=${v}`),
		{ freq: 4 },
	);
	return fc.tuple(fc.tuple(...pairs), unknown).map(([known, extra]) => {
		const all = [...known, extra].filter((x): x is string => x !== null);
		return all.length ? `?${all.join("&")}` : "";
	});
}

interface BodyCase {
	contentType: string | undefined;
	text: string | undefined;
}

function bodyFor(op: Operation): fc.Arbitrary<BodyCase> {
	const json = op.requestBody?.content["application/json"]?.schema;
	const raw = Object.keys(op.requestBody?.content ?? {}).find((t) => t !== "application/json");
	const wrongType = fc.record({
		contentType: fc.constantFrom<string | undefined>(
			undefined,
			"text/plain",
			"application/x-www-form-urlencoded",
			"multipart/form-data; boundary=x",
			"application/json; charset=utf-16",
			"application/xml",
		),
		text: fc.constantFrom<string | undefined>(undefined, "", "a=1&b=2", '{"a":1}', "\u0000\u0001"),
	});
	const malformed = fc.record({
		contentType: fc.constant("application/json"),
		text: fc.constantFrom("{", "[1,]", "{'a':1}", '"\\ud800"', "nul", "1".repeat(400), '{"a":"\\u0000"}', "\ufeff{}"),
	});
	const arbitraryJson = fc.record({
		contentType: fc.constant<string | undefined>("application/json"),
		text: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
	});
	const options: fc.Arbitrary<BodyCase>[] = [wrongType, malformed, arbitraryJson];
	if (json) {
		const shaped = fc.record({
			contentType: fc.constant<string | undefined>("application/json"),
			text: value(json, "body", 0).map((v) => JSON.stringify(v) ?? "null"),
		});
		options.push(shaped, shaped, shaped);
	}
	if (raw) {
		options.push(
			fc.record({
				contentType: fc.constant<string | undefined>(raw),
				text: fc.constantFrom<string | undefined>(
					"Handle,Title\n\u0000,\ud800",
					'{"title":"\\ud800"}\n{"title":1}',
					"Handle,Title,Variant Price\nx,X,99999999999999999999",
					"\ufeff",
					"",
				),
			}),
		);
	}
	return fc.oneof(...options);
}

function authFor(op: Operation): Record<string, string> {
	// Signing out would end the fuzzer's own session: those two are fuzzed without credentials.
	if (op.operationId === "logout" || op.operationId === "customerLogout") return {};
	if (op.path.startsWith("/v1/stores/") || op.path.startsWith("/v1/auth/")) return { authorization: `Bearer ${fx.owner.token}` };
	if (op.path.startsWith("/v1/storefront/{slug}/account")) return { authorization: `Bearer ${fx.shopperToken}` };
	if (op.path.startsWith("/v1/ops/")) return { authorization: `Bearer ${fx.operatorToken}` };
	return {};
}

async function rowCounts(): Promise<Record<string, number>> {
	const sql = createSql(env);
	const rows = (await sql.query(countSql)) as { t: string; n: string | number }[];
	return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

function changedTables(before: Record<string, number>, after: Record<string, number>): string[] {
	return Object.keys(after).filter((t) => !ASYNC_TABLES.has(t) && before[t] !== after[t]);
}

async function operatorToken(): Promise<string> {
	const op = await provisionOperator("super_admin", "Fuzz operator");
	const res = await postJson("/v1/ops/auth/login", {
		email: op.email,
		password: op.password,
		totp: await totpCode(op.secret, totpStep(Date.now())),
	});
	return (await jsonOf<{ accessToken: string }>(res)).accessToken;
}

async function catalogFixture(m: TestMerchant): Promise<Record<string, string>> {
	const product = await jsonOf<{ id: string; handle: string; variants: { id: string }[] }>(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title: "Fuzz Kaftan",
			status: "active",
			options: [{ name: "Size", values: ["S", "M"] }],
			variants: [
				{ sku: `FZ-${m.slug}-S`, optionValues: ["S"], priceMinor: 500_000, inventory: { onHand: 5 } },
				{ sku: `FZ-${m.slug}-M`, optionValues: ["M"], priceMinor: 600_000, inventory: { onHand: 5 } },
			],
		}),
		201,
	);
	const collection = await jsonOf<{ id: string }>(
		await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Fuzz picks", productIds: [product.id] }),
		201,
	);
	const key = await jsonOf<{ id: string }>(
		await as(m, "POST", `/v1/stores/${m.storeId}/api-keys`, { name: "fuzz", kind: "secret", role: "staff" }),
		201,
	).catch(() => ({ id: "key_01ARZ3NDEKTSV4RRFFQ69G5FAV" }));
	return {
		storeId: m.storeId,
		slug: m.slug,
		productId: product.id,
		variantId: product.variants[0]?.id ?? "",
		collectionId: collection.id,
		handle: product.handle,
		keyId: key.id,
		userId: "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV",
		id: "ses_01ARZ3NDEKTSV4RRFFQ69G5FAV",
	};
}

beforeAll(async () => {
	const [owner, other] = await Promise.all([signUpMerchant(), signUpMerchant()]);
	const [ids, otherIds] = await Promise.all([catalogFixture(owner), catalogFixture(other)]);
	const shopper = await jsonOf<{ accessToken: string }>(
		await postJson(`/v1/storefront/${owner.slug}/account/signup`, {
			email: `fuzz-shopper-${crypto.randomUUID()}@example.com`,
			password: "shopper-password-1",
			name: "Fuzz Shopper",
		}),
		201,
	);
	fx = { owner, other, shopperToken: shopper.accessToken, operatorToken: await operatorToken(), ids, otherIds };

	const doc = await jsonOf<{ paths: Record<string, Record<string, Omit<Operation, "method" | "path">>> }>(
		await gateway("/openapi.json"),
	);
	operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
		Object.entries(methods).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
	);

	const tables = (await createSql(env).query(
		"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
	)) as { table_name: string }[];
	countSql = tables.map((t) => `SELECT '${t.table_name}' AS t, count(*) AS n FROM "${t.table_name}"`).join(" UNION ALL ");
}, 120_000);

describe("route fuzzer", () => {
	it("every API route the gateway mounts is declared (validated and documented)", () => {
		const declared = new Set(declaredRoutes().map((r) => `${r.method.toUpperCase()} ${r.path}`));
		// Not API operations: the front page, the document itself and its HTML reading. The shopper
		// pages are not in this app at all: index.ts forwards /s/… to the storefront Worker (HTML
		// forms, validated in their handlers and fuzzed through the gateway by the last test here).
		const undocumented = /^(GET|HEAD) \/(openapi\.json|docs)?$/;
		// Hono lists each handler of a route (guards included) as an entry of its own.
		const mounted = new Set(
			app.routes
				.filter((r) => r.method !== "ALL")
				.map((r) => `${r.method} ${r.path}`)
				.filter((r) => !undocumented.test(r)),
		);
		expect([...mounted].filter((r) => !declared.has(r))).toEqual([]);
		expect(mounted.size).toBe(declared.size);
	});

	it("covers every documented operation", () => {
		expect(operations.length).toBeGreaterThan(30);
		for (const op of operations) expect(op.operationId, `${op.method} ${op.path}`).toBeTruthy();
	});

	it("answers generated bad input on every operation without a 5xx, a stack trace or a write", async () => {
		for (const op of operations) {
			const request = fc.record({ path: pathFor(op), query: queryFor(op), body: bodyFor(op) });
			await fc.assert(
				fc.asyncProperty(request, async ({ path, query, body }) => {
					const before = await rowCounts();
					const headers: Record<string, string> = { ...authFor(op) };
					if (body.contentType) headers["content-type"] = body.contentType;
					const withBody = op.method !== "GET" && op.method !== "DELETE" && body.text !== undefined;
					const res = await gateway(`${path}${query}`, {
						method: op.method,
						headers,
						body: withBody ? body.text : undefined,
					});
					const text = await res.text();
					const where = `${op.method} ${path}${query} [${body.contentType}] ${withBody ? (body.text ?? "").slice(0, 300) : ""}`;
					expect(res.status, `${where} → ${text.slice(0, 500)}`).toBeLessThan(500);
					expect(text, where).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.ts:\d+/);
					if (res.status >= 400) {
						expect(res.headers.get("content-type"), where).toMatch(/^application\/problem\+json/);
						const problem = JSON.parse(text) as { requestId?: string; status?: number };
						expect(problem.requestId, where).toBe(res.headers.get("x-request-id"));
						expect(problem.status, where).toBe(res.status);
						expect(changedTables(before, await rowCounts()), `${where} → ${res.status} wrote rows`).toEqual([]);
					}
				}),
				{ seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true, examples: examplesFor(op) },
			);
		}
	}, 600_000);

	it("answers hostile paths and queries on the shopper pages without a 5xx", async () => {
		const pages = ["", "/", "/search", "/cart", "/checkout", `/products/${fx.ids.handle}`, "/collections/fuzz-picks"];
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...pages),
				fc.option(hostileSegment),
				fc.array(fc.tuple(fc.constantFrom("q", "cursor", "sort", "Size", "variant"), hostileQueryValue), { maxLength: 3 }),
				async (page, segment, query) => {
					const path = `/s/${fx.owner.slug}${segment ? `/products/${segment}` : page}`;
					const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
					const res = await gateway(`${path}${qs ? `?${qs}` : ""}`);
					const text = await res.text();
					expect(res.status, `${path}?${qs} → ${text.slice(0, 300)}`).toBeLessThan(500);
					expect(text).not.toMatch(/\bat .+:\d+:\d+/);
				},
			),
			{ seed: SEED, numRuns: RUNS_PER_OPERATION * 10 },
		);
	}, 300_000);
});
