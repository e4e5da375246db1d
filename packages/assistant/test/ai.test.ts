import { describe, expect, it } from "vitest";
import { type AiBinding, type Classification, type Classifier, createAiClassifier, createRuleClassifier } from "../src/index.ts";

const FALLBACK: Classification = { category: "other", intent: { kind: "unknown" }, confidence: 0.01 };
const sentinel: Classifier = { classify: async () => FALLBACK };

function binding(answer: () => Promise<unknown>): AiBinding {
	return { run: () => answer() };
}

const respond = (response: unknown) => binding(async () => ({ response }));
const valid = {
	category: "sales",
	intent: "add",
	query: "red gele",
	quantity: 2,
	orderNumber: null,
	confidence: 0.92,
};

describe("AI classifier", () => {
	it("reads a JSON answer and passes the model and message", async () => {
		let seen: { role: string; content: string }[] = [];
		let seenModel = "";
		const ai: AiBinding = {
			run: async (model, input) => {
				seenModel = model;
				seen = input.messages;
				return { response: JSON.stringify(valid) };
			},
		};
		const result = await createAiClassifier(ai, { model: "@cf/test/model", fallback: sentinel }).classify("I wan buy 2 red gele");
		expect(result).toEqual({
			category: "sales",
			intent: { kind: "add", query: "red gele", quantity: 2 },
			confidence: 0.92,
		});
		expect(seenModel).toBe("@cf/test/model");
		expect(seen.map((m) => m.role)).toEqual(["system", "user"]);
		expect(seen[1]?.content).toBe("I wan buy 2 red gele");
	});

	it("finds the JSON inside prose and code fences", async () => {
		const prose = `Sure! Here is the classification {not json}:\n\`\`\`json\n${JSON.stringify({
			...valid,
			intent: "order_status",
			category: "support",
			query: null,
			quantity: null,
			orderNumber: 1042,
		})}\n\`\`\`\nLet me know {if} you need more.`;
		const result = await createAiClassifier(respond(prose), { model: "m", fallback: sentinel }).classify("x");
		expect(result.intent).toEqual({ kind: "order_status", orderNumber: 1042 });
		expect(result.category).toBe("support");
	});

	it("accepts an already-parsed response object", async () => {
		const result = await createAiClassifier(respond({ ...valid, intent: "price", query: "gele", quantity: null }), {
			model: "m",
			fallback: sentinel,
		}).classify("x");
		expect(result.intent).toEqual({ kind: "price", query: "gele" });
	});

	it("clamps quantity, clips the query and pins human confidence to 1", async () => {
		const long = "ankara ".repeat(40);
		const add = await createAiClassifier(respond(JSON.stringify({ ...valid, quantity: 5000, query: long })), {
			model: "m",
			fallback: sentinel,
		}).classify("x");
		expect(add.intent).toEqual({ kind: "add", query: long.slice(0, 100).trim(), quantity: 99 });

		const zero = await createAiClassifier(respond(JSON.stringify({ ...valid, quantity: 0 })), {
			model: "m",
			fallback: sentinel,
		}).classify("x");
		expect(zero.intent).toMatchObject({ quantity: 1 });

		const human = await createAiClassifier(
			respond(JSON.stringify({ ...valid, category: "other", intent: "human", confidence: 0.3 })),
			{ model: "m", fallback: sentinel },
		).classify("x");
		expect(human).toEqual({ category: "other", intent: { kind: "human" }, confidence: 1 });
	});

	it.each([
		["invalid JSON", '{"category": "sales", "intent": '],
		["no JSON at all", "I think the customer wants a gele."],
		["wrong enum", JSON.stringify({ ...valid, intent: "haggle" })],
		["wrong category for the intent", JSON.stringify({ ...valid, category: "support" })],
		["extra keys (strict)", JSON.stringify({ ...valid, price: 12500 })],
		["missing keys", JSON.stringify({ category: "sales", intent: "add" })],
		["confidence out of range", JSON.stringify({ ...valid, confidence: 7 })],
		["non-integer quantity", JSON.stringify({ ...valid, quantity: 1.5 })],
		["negative order number", JSON.stringify({ ...valid, intent: "order_status", category: "support", orderNumber: -1 })],
		["the answer wrapped in another object", JSON.stringify({ result: valid })],
		["a number response", 42],
		["null response", null],
		["model gave up", JSON.stringify({ ...valid, category: "other", intent: "unknown" })],
	])("falls back on %s", async (_, response) => {
		const result = await createAiClassifier(respond(response), { model: "m", fallback: sentinel }).classify("x");
		expect(result).toBe(FALLBACK);
	});

	it("falls back when the result has no response field", async () => {
		const ai = binding(async () => ({ result: JSON.stringify(valid) }));
		expect(await createAiClassifier(ai, { model: "m", fallback: sentinel }).classify("x")).toBe(FALLBACK);
	});

	it("falls back when the binding rejects or throws synchronously", async () => {
		const rejects = binding(async () => {
			throw new Error("AI quota exceeded");
		});
		expect(await createAiClassifier(rejects, { model: "m", fallback: sentinel }).classify("x")).toBe(FALLBACK);
		const throws: AiBinding = {
			run: () => {
				throw new Error("sync boom");
			},
		};
		expect(await createAiClassifier(throws, { model: "m", fallback: sentinel }).classify("x")).toBe(FALLBACK);
	});

	it("falls back after the timeout on a slow binding", async () => {
		const slow = binding(() => new Promise((resolve) => setTimeout(() => resolve({ response: JSON.stringify(valid) }), 2000)));
		const start = performance.now();
		const result = await createAiClassifier(slow, { model: "m", fallback: sentinel, timeoutMs: 50 }).classify("x");
		expect(result).toBe(FALLBACK);
		expect(performance.now() - start).toBeLessThan(1000);
	});

	it("uses the rule classifier as a real fallback", async () => {
		const broken = respond("not json");
		const result = await createAiClassifier(broken, { model: "m", fallback: createRuleClassifier() }).classify(
			"how much is the gele?",
		);
		expect(result.intent).toEqual({ kind: "price", query: "gele" });
	});

	it("honours a deterministic request for a person even if the model misses it", async () => {
		const ai = respond(JSON.stringify({ ...valid, intent: "price", query: "gele", quantity: null }));
		const result = await createAiClassifier(ai, { model: "m", fallback: createRuleClassifier() }).classify(
			"how much is the gele? I want talk to person",
		);
		expect(result.intent).toEqual({ kind: "human" });
	});

	it("returns unknown if the fallback itself throws", async () => {
		const ai = respond("nope");
		const failing: Classifier = {
			classify: async () => {
				throw new Error("fallback broke");
			},
		};
		const result = await createAiClassifier(ai, { model: "m", fallback: failing }).classify("x");
		expect(result.intent).toEqual({ kind: "unknown" });
		expect(result.confidence).toBeLessThan(0.5);
	});

	it("sends at most the first 1000 characters of a message", async () => {
		let content = "";
		const ai: AiBinding = {
			run: async (_m, input) => {
				content = input.messages[1]?.content ?? "";
				return { response: JSON.stringify(valid) };
			},
		};
		await createAiClassifier(ai, { model: "m", fallback: sentinel }).classify("g".repeat(4096));
		expect(content).toHaveLength(1000);
	});
});
