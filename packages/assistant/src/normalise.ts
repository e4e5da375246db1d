// Text normalisation shared by the rule classifier. Every step is a single linear pass
// (no nested quantifiers), and input is cut to MATCH_LIMIT first, so work is bounded.

/** Only the start of a message is matched: intent is stated early and it bounds the work. */
export const MATCH_LIMIT = 500;

// Text-speak and spelling variants, rewritten token by token so patterns list one spelling.
const ALIASES: Readonly<Record<string, string>> = {
	u: "you",
	ur: "your",
	yu: "you",
	r: "are",
	d: "the",
	da: "the",
	dis: "this",
	dat: "that",
	wat: "what",
	wht: "what",
	watin: "wetin",
	hw: "how",
	hv: "have",
	av: "have",
	pls: "please",
	plz: "please",
	plss: "please",
	pleas: "please",
	thx: "thanks",
	tnx: "thanks",
	tnks: "thanks",
	thanx: "thanks",
	tanks: "thanks",
	tank: "thank",
	gimme: "give me",
	wanna: "want to",
	im: "i am",
	howmuch: "how much",
	hmuch: "how much",
	chekout: "checkout",
	checkot: "checkout",
	neva: "never",
	nor: "no",
};

/**
 * Lowercase, NFKC, contractions expanded, punctuation and emoji stripped (keeping '#'
 * before a digit and a decimal point between digits), aliases applied, spaces collapsed.
 */
export function normalise(text: string): string {
	// Cut before NFKC as well as after: NFKC can expand a character many times over.
	let s = text.slice(0, MATCH_LIMIT).normalize("NFKC").toLowerCase();
	s = s.replace(/[\u2018\u2019\u02bc\u0060\u00b4]/g, "'");
	s = s
		.replace(/\bwon't\b/g, "will not")
		.replace(/\bcan't\b/g, "can not")
		.replace(/n't\b/g, " not")
		.replace(/'ll\b/g, " will")
		.replace(/'m\b/g, " am")
		.replace(/'re\b/g, " are")
		.replace(/'ve\b/g, " have")
		.replace(/'d\b/g, " would")
		.replace(/\b(what|where|it|that|how|who|there|here)'s\b/g, "$1 is")
		.replace(/'/g, "");
	// "12,500" is one number, not two.
	s = s.replace(/(\d),(?=\d{3}(?!\d))/g, "$1");
	s = s.replace(/[^\p{L}\p{M}\p{N}#.\s]/gu, " ");
	s = s.replace(/(?<!\d)\.|\.(?!\d)/g, " ");
	s = s.replace(/#(?!\d)/g, " ");
	// '#' glued to a word ("order#12") still marks an order number.
	s = s.replace(/(?<=[^\s#])#/g, " #");
	// A combining mark with no base (emoji variation selectors) is noise, not a word.
	s = s.replace(/(?<![\p{L}\p{N}\p{M}])\p{M}+/gu, " ");
	const tokens = s.split(/\s+/).filter((t) => t.length > 0);
	const out: string[] = [];
	for (const t of tokens) out.push(ALIASES[t] ?? t);
	return out.join(" ").slice(0, MATCH_LIMIT).trim();
}
