// `DATABASE_URL=postgres://… npm run bench:search-plan`: storefront search's query plan on a
// store of 10,000 products in real PostgreSQL. Migrates and seeds a scratch database
// (oja_search_plan): the bench store's 10,000 products plus 90,000 of nine other stores, as in a
// shared multi-tenant table. Then runs EXPLAIN ANALYZE on the statement the catalog Worker
// sends for a few searches — as it is now and in its earlier shape (typo branch
// `word_similarity(…) >= 0.5` inside an OR) — prints each plan's index use and median time,
// and writes docs/search-plan.json (rendered into docs/benchmarks.md by bench/report.ts).
// Exits non-zero unless, for the selective searches, the current statement reads BOTH GIN
// indexes (full text and trigram). A broad search (a word in 10% of the store) is reported
// only: there the planner rightly prefers the store's own index over either GIN.
//
//   --products <n>   products in the searched store (default 10000)
//   --others <n>     products of other stores (default 90000)
//   --runs <n>       EXPLAIN ANALYZE runs per statement; the median is reported (default 7)
//   --check          only assert the plans (CI): write nothing to docs/
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { migrate } from "@oja/db/migrate";
import { neonLocalAdmin, startNeonLocal } from "@oja/neon-local";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import { BENCH_STORE, seedBulkCatalog } from "../scripts/seed.ts";
import { searchSpec, toPrefixQuery } from "../workers/catalog/src/search.ts";
import { type PageSpec, pageStatement } from "../workers/catalog/src/storefront.ts";
import { SEARCH_PLAN_JSON, withSearchPlanSection } from "./search-plan-report.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT);

const { values: flags } = parseArgs({
	options: {
		products: { type: "string" },
		others: { type: "string" },
		runs: { type: "string" },
		check: { type: "boolean", default: false },
	},
});
const PRODUCTS = Number(flags.products ?? 10_000);
const OTHERS = Number(flags.others ?? 90_000);
const RUNS = Number(flags.runs ?? 7);
const DATABASE = "oja_search_plan";
/** Selective searches must use both GIN indexes; broad ones are reported only. */
const SEARCHES = [
	{ q: "ankara", selective: false },
	{ q: "ankra", selective: false },
	{ q: "kente dress", selective: false },
	{ q: "5555", selective: true },
	{ q: "zzzz", selective: true },
	{ q: "owambe", selective: true },
];
const INDEXES = ["products_search_idx", "products_title_trgm_idx"];

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
	console.error("search-plan: set DATABASE_URL to a PostgreSQL server (PGlite's planner is not what Neon runs)");
	process.exit(2);
}

/** The statement as it was before: the typo branch a function call in an OR, which no index serves. */
function previousSpec(text: string) {
	const query = toPrefixQuery(text) as string;
	const words = text
		.toLowerCase()
		.split(/[^\p{L}\p{M}\p{N}]+/u)
		.filter(Boolean)
		.join(" ");
	const fts = sql`p.search @@ to_tsquery('simple', ${query})`;
	const fuzzy = words.length >= 4 ? sql`word_similarity(${words}, p.title) >= 0.5` : sql`false`;
	return {
		where: sql`(${fts} OR ${fuzzy})`,
		order: "relevance" as const,
		rank: sql`(CASE WHEN ${fts} THEN 1 + ts_rank_cd(p.search, to_tsquery('simple', ${query})) ELSE word_similarity(${words}, p.title) END)`,
	};
}

interface PlanNode {
	"Node Type": string;
	"Relation Name"?: string;
	"Index Name"?: string;
	Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
	visit(node);
	for (const child of node.Plans ?? []) walk(child, visit);
}

export interface SearchPlanResult {
	search: string;
	selective: boolean;
	shape: "previous" | "current";
	medianMs: number;
	rows: number;
	indexes: string[];
	seqScanProducts: boolean;
}

async function explain(client: pg.Client, statement: SQL, threshold: number | undefined) {
	const { sql: text, params } = new PgDialect().sqlToQuery(statement);
	const times: number[] = [];
	let plan: { Plan: PlanNode; "Execution Time": number } | undefined;
	let products = 0;
	for (let run = 0; run < RUNS; run++) {
		await client.query("BEGIN");
		try {
			if (threshold !== undefined) {
				await client.query("SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)", [String(threshold)]);
			}
			const result = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params);
			plan = (result.rows[0] as { "QUERY PLAN": [typeof plan] })["QUERY PLAN"][0];
			times.push(plan?.["Execution Time"] ?? Number.NaN);
			const answer = await client.query(text, params);
			products = (answer.rows[0] as { page: { products: unknown[] } }).page.products.length;
		} finally {
			await client.query("ROLLBACK");
		}
	}
	const indexes = new Set<string>();
	let seqScanProducts = false;
	if (plan) {
		walk(plan.Plan, (n) => {
			if (n["Index Name"]) indexes.add(n["Index Name"]);
			if (n["Node Type"] === "Seq Scan" && n["Relation Name"] === "products") seqScanProducts = true;
		});
	}
	times.sort((a, b) => a - b);
	return {
		medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN,
		indexes: [...indexes].sort(),
		seqScanProducts,
		rows: products,
	};
}

const neon = await startNeonLocal({ port: 0, databaseUrl });
const results: SearchPlanResult[] = [];
let failed = false;
try {
	await neonLocalAdmin(neon.url).createDatabase(DATABASE, undefined, { replace: true });
	const workerUrl = `postgres://oja:oja@neon-local.test/${DATABASE}`;
	await migrate({ databaseUrl: workerUrl, localEndpoint: neon.sqlEndpoint, migrationsDir: "migrations" });
	await seedBulkCatalog(workerUrl, neon.sqlEndpoint, { products: PRODUCTS, variantsPerProduct: 1 });
	const url = new URL(databaseUrl);
	url.pathname = `/${DATABASE}`;
	const client = new pg.Client({ connectionString: url.toString() });
	await client.connect();
	try {
		await client.query(
			`INSERT INTO stores (id, slug, name, currency)
			SELECT 'st_01OTHER' || lpad(s::text, 18, '0'), 'other-' || s, 'Other ' || s, 'NGN' FROM generate_series(1, 9) s
			ON CONFLICT DO NOTHING`,
		);
		await client.query(
			`INSERT INTO products (id, store_id, handle, title, description, status, tags, options)
			SELECT 'prd_01OTHER' || lpad(n::text, 19, '0'), 'st_01OTHER' || lpad((1 + n % 9)::text, 18, '0'), 'other-' || n,
				(ARRAY['Lace', 'Batik', 'Linen', 'Silk', 'Cotton', 'Wax', 'Ankara', 'Adire', 'Kente', 'Aso Oke'])[1 + n % 10]
					|| ' ' || (ARRAY['Cap', 'Gele', 'Bag', 'Scarf', 'Dress', 'Shirt', 'Gown', 'Kaftan', 'Skirt', 'Wrapper'])[1 + (n / 10) % 10]
					|| ' ' || n,
				'Another store''s product number ' || n || '.', 'active', ARRAY['other'], '[]'::jsonb
			FROM generate_series(1, $1::int) AS n
			ON CONFLICT DO NOTHING`,
			[OTHERS],
		);
		// Statistics from every row, not ANALYZE's random sample (300 × the target rows): with the
		// default target a sample now and then makes "5555" look common enough for another plan, and
		// a check must not pass or fail by the luck of a sample.
		await client.query("SET default_statistics_target = 1000");
		await client.query("ANALYZE");
		for (const { q: search, selective } of SEARCHES) {
			for (const shape of ["previous", "current"] as const) {
				const spec: Pick<PageSpec, "where" | "order" | "rank" | "trigramThreshold"> =
					shape === "current" ? searchSpec(search) : previousSpec(search);
				const statement = pageStatement({ slug: BENCH_STORE.slug, ...spec, limit: 24 });
				const measured = await explain(client, statement, spec.trigramThreshold);
				results.push({ search, selective, shape, ...measured });
				console.log(
					`${JSON.stringify(search).padEnd(14)} ${shape.padEnd(9)} ${measured.medianMs.toFixed(2).padStart(8)} ms  ${String(measured.rows).padStart(3)} rows  ${measured.seqScanProducts ? "SEQ SCAN products  " : ""}indexes: ${measured.indexes.join(", ")}`,
				);
				if (shape === "current" && selective) {
					const missing = INDEXES.filter((i) => !measured.indexes.includes(i));
					if (missing.length > 0 || measured.seqScanProducts) {
						failed = true;
						console.error(`search-plan: ${JSON.stringify(search)} does not use ${missing.join(", ") || "its indexes only"}`);
					}
				}
			}
		}
	} finally {
		await client.end();
	}
	if (!flags.check) {
		await writeFile(
			SEARCH_PLAN_JSON,
			`${JSON.stringify({ date: new Date().toISOString(), products: PRODUCTS, otherProducts: OTHERS, runs: RUNS, command: "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:search-plan", results }, null, "\t")}\n`,
		);
		await writeFile("docs/benchmarks.md", withSearchPlanSection(await readFile("docs/benchmarks.md", "utf8")));
	}
} finally {
	if (!process.env.SEARCH_PLAN_KEEP)
		await neonLocalAdmin(neon.url)
			.dropDatabase(DATABASE)
			.catch(() => false);
	await neon.close();
}
process.exit(failed ? 1 : 0);
