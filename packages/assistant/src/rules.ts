// The deterministic rule classifier: normalise, then try ordered patterns, first match wins.
//
// Order matters and encodes the product decisions:
//   human > order status (strong) > "I have paid" > price > checkout > cart > add > sizes
//   > availability > browse > order status (weak: "my order" alone) > thanks > greeting.
// A handoff request beats everything, a tracking question beats a sales word in the same
// message ("where is the gele I paid for"), and "how much" beats "pay"/"buy" because the
// shopper is still asking, not committing ("how much I go pay", "how much if I buy 2").
//
// Every pattern is a flat alternation anchored on single spaces, matched against at most
// MATCH_LIMIT characters, so matching is linear: no pattern can backtrack catastrophically.
import { normalise } from "./normalise.ts";
import { type Classification, type Classifier, categoryOf, clampQuantity, type Intent, unknownClassification } from "./types.ts";

/** Whole-word alternatives on normalised text, where words are separated by single spaces. */
function words(alternatives: string): RegExp {
	return new RegExp(`(?<![^ ])(?:${alternatives})(?![^ ])`);
}

// "person" matches only as a word, so "personal shopper" is not a handoff request.
const HUMAN = words(
	[
		"agent",
		"agents",
		"human",
		"humans",
		"person",
		"persons",
		"someone",
		"somebody",
		"representative",
		"representatives",
		"staff",
		"manager",
		"operator",
		"attendant",
		"customer (?:care|service|support)",
		"(?:speak|talk|chat) (?:to|with) (?:the |a |your |una )?(?:owner|seller|vendor|boss|oga)",
	].join("|"),
);
// Human-hair wigs are a large product category: "human hair" is a product, not a request.
const HUMAN_HAIR = /(?<![^ ])humans? hair(?![^ ])/g;

const ORDER_NOUN = "order|orders|package|packages|parcel|parcels|delivery|goods|shipment|waybill|consignment";
const OWNED_NOUN = `${ORDER_NOUN}|item|items|stuff|things|market`;
// "the item" alone is too often a product question ("does the item come in red").
const ORDER_REF = words(`(?:my|our|me) (?:${OWNED_NOUN})|(?:the|d) (?:${ORDER_NOUN})`);

const SUPPORT_STRONG: readonly RegExp[] = [
	words("track (?:my|our|the|it|am|order|orders|package|parcel|delivery|this|that)|tracking"),
	words(`(?:order|delivery|shipping|shipment) status|status of (?:my|our|the) (?:${ORDER_NOUN})`),
	words(
		`(?:where|wetin happen to|wetin happened to|what happened to|what happen to|how far with|how far to|any update on|update on|when (?:will|is|go|e go|would)) (?:is |be |dey |will |go |with |to )?(?:(?:my|our|the|me) (?:${OWNED_NOUN})|${ORDER_NOUN})`,
	),
	words(
		"never (?:reach|reached|arrive|arrived|come|came|land|landed|get|gotten|receive|received|deliver|delivered|show|showed)|(?:not|no|havent|hasnt|didnt|never) (?:reach|reached|arrive|arrived|receive|received|delivered|gotten)|still waiting",
	),
	words("when (?:will|go|e go|would) (?:it|e|am|i) (?:reach|arrive|come|be delivered|get am|get it|receive)"),
	// Refunds are about an order already placed, whatever product words come with them.
	words("refund|refunds|money back"),
];
// A status word only counts next to "my order"/"the package": alone it is too vague.
const STATUS_WORD = words(
	"status|where|when|late|delay|delayed|yet|arrive|arrived|reach|reached|deliver|delivered|shipped|ship|dispatched|dispatch|sent|receive|received|happen|happened|update|progress|confirm|confirmed|cancel|cancelled|refund|return|wrong|damaged|missing|complain|complaint|issue|problem",
);
// Payment already made: a support question ("I don pay, wetin next"), not a checkout.
const PAID = words(
	"(?:don|have|has|already|just|done) (?:pay|paid|transfer|transferred|send the money|sent the money)|i paid|i transferred|we paid|payment (?:confirmation|proof)|proof of payment",
);

const PRICE = words("how much|how mch|price|prices|pricing|cost|costs|last price|amount|how much be|wetin be the price");

const CHECKOUT = words(
	[
		"checkout",
		"check out",
		"pay",
		"paying",
		"payment",
		"make payment",
		"send (?:me )?(?:the |your |a )?(?:payment |pay )?link",
		"payment link",
		"pay link",
		"account (?:number|details|no)",
		"acct (?:no|number|details)",
		"bank details",
		"place (?:the |my |an )?order",
		"complete (?:the |my )?order",
		"proceed",
		"transfer",
	].join("|"),
);

const CART = words("cart|basket|trolley");
const ADD_VERB = words("add|put|buy|purchase|take|carry|collect|order");
const ADD = words(
	[
		"add",
		"buy",
		"purchase",
		"(?:to|wan|go|me|will|fit|lets|make i|can i) order",
		"(?:i|i will|i go|i wan|let me|make i|i would|i want to|i wan to|i shall|i can|we will|we go) take",
		"take (?:am|it|them|dem|this|that|the|all|both)",
		"(?:i|i go|i wan|make i|let me|i will) (?:collect|carry)",
	].join("|"),
);
const WANT = words("i want|i wan|i need|i would like|give me|send me|i go want|i dey want");
const WANT_PRONOUN = words("(?:want|wan|need|like|give me) (?:it|am|this|that|them|dem|this one|that one)");

const SIZES = words("size|sizes|sizing|size chart");

const AVAILABILITY = words(
	[
		"available",
		"availability",
		"avail",
		"in stock",
		"stock",
		"instock",
		"restock",
		"out of stock",
		"sold out",
		"remain",
		"remaining",
		"left",
		"e dey",
		"it dey",
		"am dey",
		"still dey",
		"don finish",
		"finish",
		"finished",
		"still (?:have|get|got)",
	].join("|"),
);
// "gele dey?" — a bare product plus "dey" asks whether it is there.
const TRAILING_DEY = /(?<![^ ])(?!i |we |una |you |wetin )[^ ]+ dey$|^dey$/;
const HAVE_PRONOUN = words("(?:have|get|got|sell) (?:it|am|this|that|them|dem|this one|that one)");

const BROWSE = words(
	[
		"do you have",
		"do you sell",
		"have you got",
		"you have",
		"you sell",
		"you get",
		"una get",
		"una sell",
		"una dey sell",
		"got any",
		"any",
		"show me",
		"show us",
		"dey find",
		"looking for",
		"look for",
		"searching for",
		"search",
		"find",
		"i need",
		"i want",
		"i wan",
		"i like",
		"i would like",
		"interested in",
		"catalogue",
		"catalog",
		"send me (?:pictures|pics|photos|images)",
	].join("|"),
);
// Browse requests with no product mean "show me what you have": query "".
const CATALOGUE = words(
	"catalogue|catalog|show me|show us|what do you (?:have|sell)|what you (?:have|get|sell)|what una (?:get|sell|dey sell)|wetin (?:una|you) (?:get|sell|dey sell|have)|your (?:products|collection|items|goods|stock)|new arrivals|(?:pictures|pics|photos|images)",
);

const THANKS = words(
	"thanks|thank|thank you|thankyou|ty|appreciate|appreciated|god bless|e se|ese|daalu|nagode|merci|grateful|much love",
);
const GREETING = words(
	"hi|hii|hiii|hello|helo|hello there|hey|heyy|good (?:morning|afternoon|evening|day)|morning|evening|afternoon|howdy|how far|howfar|how you dey|how una dey|how are you|sup|wassup|whatsup|what is up|bawo|kedu|sannu|ekaaro|ekaasan|ekaale|wetin dey",
);
// Bare acknowledgements close a turn; a handoff for "ok" would waste a person's time.
const ACK = new Set([
	"ok",
	"okay",
	"okk",
	"okey",
	"alright",
	"alrite",
	"aight",
	"noted",
	"cool",
	"bye",
	"goodbye",
	"kk",
	"k",
	"np",
	"no",
	"wahala",
	"problem",
	"nice",
	"great",
	"oya",
]);

// Words that carry intent, politeness or grammar but never name a product.
const STOP = new Set(
	(
		"i me my mine myself you your yours we us our they them their he she him her it its this that these those there here " +
		"a an the some any all is are was were be been being am do does did done have has had having get got getting gotten " +
		"can could would will shall should may might must to of in on at for from with by about as and or but if so than then " +
		"too also just only still now again already yet not no yes ok okay alright please kindly what which who whom whose how " +
		"when where why much many more another other else like want wants wanted need needs looking look find search searching " +
		"see show send give let make know tell check help thing things stuff item items product products one ones kind kinds type " +
		"types sort available availability avail stock stocks instock restock left remain remaining sold out finish finished " +
		"price prices pricing cost costs amount last total buy buying purchase add put take carry collect order ordering sell " +
		"selling sale size sizes sizing chart cart basket trolley checkout pay paying payment link pieces piece pcs pc pair " +
		"pairs quantity qty sir ma madam maam aunty auntie bro bros boss oga dear hi hello hey good morning afternoon evening " +
		"fine nice great picture pictures pic pics photo photos image images catalogue catalog interested " +
		"abeg biko oya na una dey wan e go don fit wetin wey sef sha shey abi o oo ooo nau jare ehn ehen ya dem " +
		"thanks thank ese"
	).split(" "),
);

const WORD_NUMBERS: Readonly<Record<string, number>> = {
	two: 2,
	three: 3,
	four: 4,
	five: 5,
	six: 6,
	seven: 7,
	eight: 8,
	nine: 9,
	ten: 10,
};
// "one" is left out: it is far more often a pronoun ("the blue one"), and 1 is the default.
const PIECE_WORDS = new Set(["pieces", "piece", "pcs", "pc", "pairs", "pair", "yards", "yard", "packs", "pack", "units"]);
// After these a number is a size or an identifier, never a quantity.
const NOT_QUANTITY_AFTER = new Set(["size", "sizes", "no", "number", "num", "uk", "us", "eu"]);
const SIZE_WORDS = new Set(["size", "sizes"]);
const NUMBER = /^\d+(?:\.\d+)?$/;

/** The quantity a token expresses at position i, or null. */
function quantityAt(tokens: readonly string[], i: number): number | null {
	const t = tokens[i] ?? "";
	const word = WORD_NUMBERS[t];
	if (word !== undefined) return word;
	const affixed = /^x(\d+)$/.exec(t) ?? /^(\d+)(?:x|pcs|pc|pieces|pairs)$/.exec(t);
	if (affixed?.[1] !== undefined) return Number(affixed[1]);
	if (!/^\d+$/.test(t)) return null;
	const prev = tokens[i - 1];
	const next = tokens[i + 1];
	if (next !== undefined && PIECE_WORDS.has(next)) return Number(t);
	if (prev !== undefined && NOT_QUANTITY_AFTER.has(prev)) return null;
	// After a product word a number is part of its name ("iphone 13"), before it a count.
	if (prev === undefined || STOP.has(prev)) return Number(t);
	return null;
}

function firstQuantity(tokens: readonly string[]): number | null {
	for (let i = 0; i < tokens.length; i++) {
		const q = quantityAt(tokens, i);
		if (q !== null) return q;
	}
	return null;
}

/** The product words left once intent phrases, filler and quantities are removed. */
function extractQuery(tokens: readonly string[]): string | null {
	const kept: string[] = [];
	for (let i = 0; i < tokens.length; i++) {
		const t = tokens[i] ?? "";
		const next = tokens[i + 1];
		// "size 42" stays together: the size is what the shopper is asking about.
		if (SIZE_WORDS.has(t) && next !== undefined && NUMBER.test(next)) {
			kept.push("size", next);
			i++;
			continue;
		}
		if (t.startsWith("#") || STOP.has(t) || quantityAt(tokens, i) !== null) continue;
		kept.push(t);
	}
	const query = kept.join(" ").slice(0, 100).trim();
	return query === "" ? null : query;
}

const ORDER_HASH = /#(\d{1,15})(?![^ ])/;
const ORDER_KEYWORD = /(?<![^ ])order(?: (?:no|number|num|id|ref|reference))?(?: is)? #?(\d{1,15})(?![^ ])/;
const ORDER_KEYWORD_EXPLICIT = /(?<![^ ])order (?:no|number|num|id|ref|reference)(?: is)? #?\d|(?<![^ ])order #?\d{3,}/;

/** The order number named in the text; `explicit` when it cannot be a quantity. */
function orderNumber(s: string): { value: number | null; explicit: boolean } {
	const match = ORDER_HASH.exec(s) ?? ORDER_KEYWORD.exec(s);
	const value = match?.[1] !== undefined ? Number(match[1]) : null;
	const safe = value !== null && Number.isSafeInteger(value) ? value : null;
	return { value: safe, explicit: ORDER_HASH.test(s) || ORDER_KEYWORD_EXPLICIT.test(s) };
}

// Long messages tend to mix several requests; a rule match there is weaker evidence.
const LONG_MESSAGE_TOKENS = 40;
const LONG_MESSAGE_PENALTY = 0.2;

function result(intent: Intent, confidence: number, long: boolean): Classification {
	const adjusted = long && intent.kind !== "human" ? confidence - LONG_MESSAGE_PENALTY : confidence;
	return { category: categoryOf(intent.kind), intent, confidence: Math.min(1, Math.max(0, adjusted)) };
}

/** Classifies already-normalised text. Exported for tests; callers use createRuleClassifier. */
export function classifyNormalised(s: string): Classification {
	if (s === "") return unknownClassification();
	const tokens = s.split(" ");
	const long = tokens.length > LONG_MESSAGE_TOKENS;
	const r = (intent: Intent, confidence: number) => result(intent, confidence, long);

	if (HUMAN.test(s.replace(HUMAN_HAIR, " "))) return result({ kind: "human" }, 1, false);

	const order = orderNumber(s);
	const ownsOrder = ORDER_REF.test(s);
	if (order.explicit || SUPPORT_STRONG.some((p) => p.test(s)) || (ownsOrder && STATUS_WORD.test(s))) {
		return r({ kind: "order_status", orderNumber: order.value }, 0.9);
	}
	if (PAID.test(s)) return r({ kind: "order_status", orderNumber: order.value }, 0.7);

	const query = extractQuery(tokens);
	if (PRICE.test(s)) return r({ kind: "price", query }, 0.9);
	if (CHECKOUT.test(s)) return r({ kind: "checkout" }, 0.9);

	const quantity = firstQuantity(tokens);
	const add = (confidence: number) => r({ kind: "add", query, quantity: clampQuantity(quantity ?? 1) }, confidence);
	if (CART.test(s)) return ADD_VERB.test(s) ? add(0.9) : r({ kind: "show_cart" }, 0.9);
	if (ADD.test(s)) return add(0.9);
	// "I want 2 gele": a count turns a wish into a purchase.
	if (quantity !== null && WANT.test(s)) return add(0.8);

	if (SIZES.test(s)) return r({ kind: "sizes", query }, 0.85);
	if (AVAILABILITY.test(s) || TRAILING_DEY.test(s)) return r({ kind: "availability", query }, 0.85);

	if (BROWSE.test(s)) {
		if (query !== null) return r({ kind: "browse", query }, 0.85);
		if (CATALOGUE.test(s)) return r({ kind: "browse", query: "" }, 0.8);
		if (WANT_PRONOUN.test(s)) return add(0.7);
		if (HAVE_PRONOUN.test(s)) return r({ kind: "availability", query: null }, 0.75);
		return unknownClassification();
	}
	if (CATALOGUE.test(s)) return r({ kind: "browse", query: query ?? "" }, 0.8);

	if (ownsOrder) return r({ kind: "order_status", orderNumber: order.value }, 0.6);
	if (THANKS.test(s)) return r({ kind: "thanks" }, 0.9);
	if (GREETING.test(s)) return r({ kind: "greeting" }, 0.9);
	if (tokens.every((t) => ACK.has(t))) return r({ kind: "thanks" }, 0.6);
	return unknownClassification();
}

/** Classifies arbitrary text; never throws. */
export function classifyText(text: unknown): Classification {
	if (typeof text !== "string") return unknownClassification();
	try {
		return classifyNormalised(normalise(text));
	} catch {
		// Rules are total, but a handoff is the safe answer if one ever is not.
		return unknownClassification();
	}
}

export function createRuleClassifier(): Classifier {
	return { classify: async (text: string) => classifyText(text) };
}
