import { ProblemError, problem } from "@oja/contracts";
import type { Database } from "@oja/db";
import { sql } from "drizzle-orm";
import { type PageSpec, readPage, toStorefrontProducts } from "./storefront.ts";

/**
 * Turns what a shopper typed into a prefix-matching tsquery: every word must match the
 * start of a word in the product ("ank dre" finds "Ankara Dress"). Only letters and digits
 * (any script, accents kept, as in the index) survive, so no input can inject tsquery syntax.
 */
export function toPrefixQuery(text: string): string | null {
	const terms = searchTerms(text);
	return terms.length === 0 ? null : terms.map((t) => `${t}:*`).join(" & ");
}

function searchTerms(text: string): string[] {
	return text
		.toLowerCase()
		.split(/[^\p{L}\p{M}\p{N}]+/u)
		.filter((t) => t.length > 0)
		.slice(0, 8);
}

/**
 * Active products ranked by relevance, best first: full-text matches (title > tags >
 * description, prefix matching) rank above typo matches, which come from trigram word
 * similarity on the title ("ankra" finds "Ankara"), so a misspelt search still finds
 * something without making exact searches noisier. One statement, one round trip.
 */
export async function storefrontSearch(db: Database, slug: string, text: string, limit: number) {
	// An API client gets told its query can match nothing; the page shows an empty result instead.
	if (!toPrefixQuery(text)) {
		throw new ProblemError(
			problem("validation-failed", "The search needs at least one letter or digit.", {
				errors: [{ path: "q", message: "Type at least one letter or digit", code: "unsearchable" }],
			}),
		);
	}
	const page = await readPage(db, { slug, ...searchSpec(text), limit });
	return { items: toStorefrontProducts(page) };
}

/** How alike a typed word and a title word must be (pg_trgm word similarity) to count as a typo. */
const TYPO_THRESHOLD = 0.5;

/**
 * The page spec for a search; nothing searchable (only punctuation) matches nothing. Each
 * branch is an operator its GIN index serves (`@@` on products_search_idx, `<%` on
 * products_title_trgm_idx, at TYPO_THRESHOLD), so Postgres can OR two bitmap index scans
 * instead of computing word similarity for every product in the store.
 */
export function searchSpec(text: string): Pick<PageSpec, "where" | "order" | "rank" | "trigramThreshold"> {
	const query = toPrefixQuery(text);
	if (!query) return { where: sql`false`, order: "relevance", rank: sql`null::real` };
	const words = searchTerms(text).join(" ");
	const fts = sql`p.search @@ to_tsquery('simple', ${query})`;
	// Typos only count for words long enough that a trigram match means something.
	const typoTolerant = words.length >= 4;
	const fuzzy = typoTolerant ? sql`${words} <% p.title` : sql`false`;
	return {
		where: sql`(${fts} OR ${fuzzy})`,
		order: "relevance",
		rank: sql`(CASE WHEN ${fts} THEN 1 + ts_rank_cd(p.search, to_tsquery('simple', ${query})) ELSE word_similarity(${words}, p.title) END)`,
		...(typoTolerant ? { trigramThreshold: TYPO_THRESHOLD } : {}),
	};
}
