import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Category, createRuleClassifier, HANDOFF_CONFIDENCE, type Intent } from "../src/index.ts";

const classifier = createRuleClassifier();

// [message, expected intent, expected category]. Decisions recorded here:
// - "I wan buy ankara" is `add` (an explicit purchase verb); the caller asks which variant.
// - "I want red shoe" (a wish, no count) is `browse`; "I want 2 gele" (a count) is `add`.
// - "una get size 42?" is `sizes` with query "size 42": the size stays with the query.
// - "personal shopper" is not `human` (whole words only); "human hair" is a product, not a handoff.
// - "someone" always hands off, even in "buying for someone": a needless handoff is cheap.
// - Bare acknowledgements ("ok") are `thanks` at 0.6, so they close the turn without a handoff.
const cases: [string, Intent, Category][] = [
	// greeting / thanks
	["hi", { kind: "greeting" }, "other"],
	["Good morning ma", { kind: "greeting" }, "other"],
	["how far", { kind: "greeting" }, "other"],
	["Hello 👋🏾", { kind: "greeting" }, "other"],
	["wetin dey", { kind: "greeting" }, "other"],
	["thanks", { kind: "thanks" }, "other"],
	["Thank you so much!!", { kind: "thanks" }, "other"],
	["tnx", { kind: "thanks" }, "other"],
	["ok", { kind: "thanks" }, "other"],
	// browse
	["do you have gele", { kind: "browse", query: "gele" }, "sales"],
	["show me ankara", { kind: "browse", query: "ankara" }, "sales"],
	["I dey find red shoe", { kind: "browse", query: "red shoe" }, "sales"],
	["Hi, do you have human hair wigs?", { kind: "browse", query: "human hair wigs" }, "sales"],
	["do you have a personal shopper", { kind: "browse", query: "personal shopper" }, "sales"],
	["u get iphone 13?", { kind: "browse", query: "iphone 13" }, "sales"],
	["I want red shoe", { kind: "browse", query: "red shoe" }, "sales"],
	["any aso ebi lace?", { kind: "browse", query: "aso ebi lace" }, "sales"],
	["show me what you have", { kind: "browse", query: "" }, "sales"],
	["wetin una get", { kind: "browse", query: "" }, "sales"],
	// price
	["how much is the gele?", { kind: "price", query: "gele" }, "sales"],
	["how much be this", { kind: "price", query: null }, "sales"],
	["How much e be?", { kind: "price", query: null }, "sales"],
	["wetin be the price", { kind: "price", query: null }, "sales"],
	["price of the ankara pls", { kind: "price", query: "ankara" }, "sales"],
	["oga abeg how much", { kind: "price", query: null }, "sales"],
	["hw much 4 dis bag", { kind: "price", query: "bag" }, "sales"],
	["how much I go pay", { kind: "price", query: null }, "sales"],
	["how much if I buy 2", { kind: "price", query: null }, "sales"],
	// sizes
	["what sizes", { kind: "sizes", query: null }, "sales"],
	["which size una get for the sneakers", { kind: "sizes", query: "sneakers" }, "sales"],
	["una get size 42?", { kind: "sizes", query: "size 42" }, "sales"],
	["do u have size 9.5 in the loafers", { kind: "sizes", query: "size 9.5 loafers" }, "sales"],
	// availability
	["is it available", { kind: "availability", query: null }, "sales"],
	["e dey?", { kind: "availability", query: null }, "sales"],
	["do you have it in stock", { kind: "availability", query: null }, "sales"],
	["e remain?", { kind: "availability", query: null }, "sales"],
	["gele dey?", { kind: "availability", query: "gele" }, "sales"],
	["is the red gele still available", { kind: "availability", query: "red gele" }, "sales"],
	["una get am?", { kind: "availability", query: null }, "sales"],
	// add
	["I wan buy 2 gele", { kind: "add", query: "gele", quantity: 2 }, "sales"],
	["I wan buy ankara", { kind: "add", query: "ankara", quantity: 1 }, "sales"],
	["add 3 of the blue one", { kind: "add", query: "blue", quantity: 3 }, "sales"],
	["I'll take it", { kind: "add", query: null, quantity: 1 }, "sales"],
	["I go take am", { kind: "add", query: null, quantity: 1 }, "sales"],
	["I want to order 2 gele", { kind: "add", query: "gele", quantity: 2 }, "sales"],
	["i want 2 gele", { kind: "add", query: "gele", quantity: 2 }, "sales"],
	["I need red gele x2", { kind: "add", query: "red gele", quantity: 2 }, "sales"],
	["buy five ankara", { kind: "add", query: "ankara", quantity: 5 }, "sales"],
	["add 500 gele", { kind: "add", query: "gele", quantity: 99 }, "sales"],
	["add 0 gele", { kind: "add", query: "gele", quantity: 1 }, "sales"],
	["put 2 in my cart", { kind: "add", query: null, quantity: 2 }, "sales"],
	["add size 42 sneakers", { kind: "add", query: "size 42 sneakers", quantity: 1 }, "sales"],
	// cart / checkout
	["my cart", { kind: "show_cart" }, "sales"],
	["wetin dey my cart", { kind: "show_cart" }, "sales"],
	["show basket", { kind: "show_cart" }, "sales"],
	["checkout", { kind: "checkout" }, "sales"],
	["I want to pay", { kind: "checkout" }, "sales"],
	["how I go pay", { kind: "checkout" }, "sales"],
	["send me the link", { kind: "checkout" }, "sales"],
	["abeg send link make I pay", { kind: "checkout" }, "sales"],
	["wetin be your account number", { kind: "checkout" }, "sales"],
	// order status
	["where is my order", { kind: "order_status", orderNumber: null }, "support"],
	["order #1042 status", { kind: "order_status", orderNumber: 1042 }, "support"],
	["order no 1042", { kind: "order_status", orderNumber: 1042 }, "support"],
	["where is order 1042?", { kind: "order_status", orderNumber: 1042 }, "support"],
	["#1042", { kind: "order_status", orderNumber: 1042 }, "support"],
	["my order never reach", { kind: "order_status", orderNumber: null }, "support"],
	["wetin happen to my order", { kind: "order_status", orderNumber: null }, "support"],
	["my order never come", { kind: "order_status", orderNumber: null }, "support"],
	["where my package", { kind: "order_status", orderNumber: null }, "support"],
	["track my order", { kind: "order_status", orderNumber: null }, "support"],
	["I paid but my order never come", { kind: "order_status", orderNumber: null }, "support"],
	["I ordered 2 gele since monday e never reach", { kind: "order_status", orderNumber: null }, "support"],
	["I want refund", { kind: "order_status", orderNumber: null }, "support"],
	// human
	["agent", { kind: "human" }, "other"],
	["HUMAN", { kind: "human" }, "other"],
	["speak to someone", { kind: "human" }, "other"],
	["customer care", { kind: "human" }, "other"],
	["I wan talk to person", { kind: "human" }, "other"],
	["I want talk to person", { kind: "human" }, "other"],
	["how much is the gele? let me talk to a representative", { kind: "human" }, "other"],
	["where is my order #1042, I need a human", { kind: "human" }, "other"],
	["I'm buying for someone special", { kind: "human" }, "other"],
	["abeg make I speak with the owner", { kind: "human" }, "other"],
	// unknown
	["personal shopper", { kind: "unknown" }, "other"],
	["do you deliver to Abuja", { kind: "unknown" }, "other"],
	["abeg", { kind: "unknown" }, "other"],
	["i want", { kind: "unknown" }, "other"],
];

describe("rule classifier", () => {
	it("has a substantial table", () => {
		expect(cases.length).toBeGreaterThanOrEqual(60);
	});

	it.each(cases)("%j", async (text, intent, category) => {
		const result = await classifier.classify(text);
		expect(result.intent).toEqual(intent);
		expect(result.category).toBe(category);
		if (intent.kind === "unknown") expect(result.confidence).toBeLessThan(HANDOFF_CONFIDENCE);
		else expect(result.confidence).toBeGreaterThanOrEqual(HANDOFF_CONFIDENCE);
		if (intent.kind === "human") expect(result.confidence).toBe(1);
	});

	it("answers greetings and thanks confidently instead of handing off", async () => {
		for (const text of ["hello", "thank you"]) {
			expect((await classifier.classify(text)).confidence).toBeGreaterThanOrEqual(0.8);
		}
	});

	it.each([
		["empty", ""],
		["whitespace", " \t\n  "],
		["emoji only", "👍🏽🙏🔥"],
		["punctuation only", "?!...###"],
		["NUL-containing", "\u0000\u0000\u0000"],
		["very long", "a".repeat(4096)],
		["lone surrogates", "\ud800\udc00\ud800"],
	])("%s input is unknown", async (_, text) => {
		const result = await classifier.classify(text);
		expect(result.intent).toEqual({ kind: "unknown" });
		expect(result.confidence).toBeLessThan(HANDOFF_CONFIDENCE);
	});

	it("treats NUL as a separator, not as part of a word", async () => {
		expect((await classifier.classify("how\u0000much\u0000is the gele")).intent).toEqual({ kind: "price", query: "gele" });
	});

	it("matches only the first 500 characters", async () => {
		expect((await classifier.classify(`${"x ".repeat(300)}agent`)).intent.kind).not.toBe("human");
		expect((await classifier.classify(`agent ${"x ".repeat(2000)}`)).intent.kind).toBe("human");
	});

	it("copes with non-classifiable types at runtime", async () => {
		const loose = classifier as { classify(text: unknown): Promise<{ intent: Intent }> };
		expect((await loose.classify(undefined)).intent).toEqual({ kind: "unknown" });
		expect((await loose.classify(42)).intent).toEqual({ kind: "unknown" });
	});

	it("finishes quickly on adversarial input", async () => {
		const inputs = [
			"how much ".repeat(455),
			"order #".repeat(585),
			`${"1".repeat(4000)}x`,
			"e dey ".repeat(682),
			`${"size ".repeat(800)}42`,
		];
		const start = performance.now();
		for (const text of inputs) await classifier.classify(text);
		expect(performance.now() - start).toBeLessThan(500);
	});

	it("never throws and keeps confidence in [0, 1] for arbitrary strings", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(
					fc.string({ maxLength: 600 }),
					fc.string({ unit: "grapheme", maxLength: 200 }),
					fc.string({ unit: "binary", maxLength: 200 }),
				),
				async (text) => {
					const result = await classifier.classify(text);
					expect(result.confidence).toBeGreaterThanOrEqual(0);
					expect(result.confidence).toBeLessThanOrEqual(1);
					expect(["sales", "support", "other"]).toContain(result.category);
				},
			),
			{ numRuns: 500 },
		);
	});
});
