// The "Search plan" section of docs/benchmarks.md, from docs/search-plan.json (written by
// bench/search-plan.ts). Both generators of that page keep the section: the benchmark run
// re-renders it from the JSON, the plan script replaces it in place.
import { existsSync, readFileSync } from "node:fs";

export const SEARCH_PLAN_JSON = "docs/search-plan.json";
const START = "<!-- search-plan -->";
const END = "<!-- /search-plan -->";

interface PlanResult {
	search: string;
	selective: boolean;
	shape: "previous" | "current";
	medianMs: number;
	rows: number;
	indexes: string[];
}
interface PlanFile {
	date: string;
	products: number;
	otherProducts: number;
	runs: number;
	command: string;
	results: PlanResult[];
}

const GIN = ["products_search_idx", "products_title_trgm_idx"];

function ginUsed(r: PlanResult | undefined): string {
	const used = GIN.filter((i) => r?.indexes.includes(i));
	return used.length === 0 ? "none" : used.map((i) => `\`${i}\``).join(" + ");
}

export function renderSearchPlanSection(plan: PlanFile): string {
	const searches = [...new Set(plan.results.map((r) => r.search))];
	const rows = searches.map((search) => {
		const previous = plan.results.find((r) => r.search === search && r.shape === "previous");
		const current = plan.results.find((r) => r.search === search && r.shape === "current");
		return `| \`${search}\` | ${current?.selective ? "selective" : "broad"} | ${previous?.medianMs.toFixed(2)} | ${ginUsed(previous)} | ${current?.medianMs.toFixed(2)} | ${ginUsed(current)} |`;
	});
	return `${START}
### Search plan (PostgreSQL, EXPLAIN ANALYZE)

The storefront search statement on a store of ${plan.products.toLocaleString("en")} products (the table also holds ${plan.otherProducts.toLocaleString("en")} products of nine other stores), median of ${plan.runs} \`EXPLAIN ANALYZE\` runs each. *Previous*: the typo branch as \`word_similarity(…) >= 0.5\` inside the \`OR\`, which no index can serve. *Current*: \`<%\` at a word-similarity threshold of 0.5 set for the read, so each branch of the \`OR\` is an operator its GIN index serves and Postgres can combine bitmap scans of both. For a broad search (a word in 10% of the store) the planner may still prefer the store's own index; the script fails if a selective search's plan does not read both GIN indexes. Timings come from a small shared machine and move between runs; the plan shapes (which indexes are read) are what the script asserts.

| Search | kind | previous ms | previous GIN indexes | current ms | current GIN indexes |
| --- | --- | ---: | --- | ---: | --- |
${rows.join("\n")}

Measured ${plan.date}. Command:

\`\`\`sh
${plan.command}
\`\`\`
${END}`;
}

/** The markdown with its search-plan section replaced (or appended), if the JSON exists. */
export function withSearchPlanSection(markdown: string, jsonPath = SEARCH_PLAN_JSON): string {
	if (!existsSync(jsonPath)) return markdown;
	const section = renderSearchPlanSection(JSON.parse(readFileSync(jsonPath, "utf8")) as PlanFile);
	const start = markdown.indexOf(START);
	const end = markdown.indexOf(END);
	if (start >= 0 && end > start) return `${markdown.slice(0, start)}${section}${markdown.slice(end + END.length)}`;
	return `${markdown.trimEnd()}\n\n${section}\n`;
}
