import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyedSerial, SkippedAfterFailure } from "../src/keyed-serial.ts";

// The scheduling the WhatsApp consumers use for a batch (inbound: per conversation; outbound:
// per conversation the message belongs to).

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("keyedSerial", () => {
	it("runs each key's tasks in submission order, never overlapping, whatever their durations", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.record({ key: fc.constantFrom("a", "b", "c"), ms: fc.integer({ min: 0, max: 3 }) }), { maxLength: 20 }),
				async (tasks) => {
					const run = keyedSerial();
					const log: string[] = [];
					const busy = new Set<string>();
					await Promise.all(
						tasks.map((t, i) =>
							run(t.key, async () => {
								expect(busy.has(t.key)).toBe(false);
								busy.add(t.key);
								log.push(`${t.key}${i}`);
								await sleep(t.ms);
								busy.delete(t.key);
							}),
						),
					);
					for (const key of ["a", "b", "c"]) {
						const mine = tasks.flatMap((t, i) => (t.key === key ? [`${key}${i}`] : []));
						expect(log.filter((e) => e.startsWith(key))).toEqual(mine);
					}
				},
			),
			{ numRuns: 30 },
		);
	});

	it("runs different keys side by side", async () => {
		const run = keyedSerial();
		let slowDone = false;
		const slow = run("a", async () => {
			await sleep(30);
			slowDone = true;
		});
		await run("b", async () => {});
		// Serial across keys, b would have waited for a.
		expect(slowDone).toBe(false);
		await slow;
	});

	it("skips a key's later tasks once one fails, and leaves other keys alone", async () => {
		const run = keyedSerial();
		const ran: string[] = [];
		const failed = run("a", async () => {
			ran.push("a1");
			throw new Error("boom");
		});
		const skipped = run("a", async () => {
			ran.push("a2");
		});
		const other = run("b", async () => {
			ran.push("b1");
			return "ran";
		});
		await expect(failed).rejects.toThrow("boom");
		await expect(skipped).rejects.toBeInstanceOf(SkippedAfterFailure);
		await expect(other).resolves.toBe("ran");
		expect(ran.toSorted()).toEqual(["a1", "b1"]);
	});
});
