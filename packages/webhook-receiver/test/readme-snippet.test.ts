import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The README's verification snippet must be the code the integration tests verify deliveries
// with (packages/webhooks/src/verify.ts), so what merchants copy is what is tested.
describe("the README's webhook verification snippet", () => {
	it("is verify.ts's function, verbatim", () => {
		const source = readFileSync(new URL("../../webhooks/src/verify.ts", import.meta.url), "utf8");
		const fn = source.slice(source.indexOf("/**")).trim();
		const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
		expect(fn).toContain("export async function verifyOjaWebhook(");
		expect(readme).toContain(fn);
	});
});
