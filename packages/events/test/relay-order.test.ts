import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byAggregateThenSequence } from "../src/relay.ts";

type Item = { aggregateId: string; sequence: number };

function inSequencePerAggregate(items: Item[]): boolean {
	const last = new Map<string, number>();
	for (const { aggregateId, sequence } of items) {
		if ((last.get(aggregateId) ?? 0) > sequence) return false;
		last.set(aggregateId, sequence);
	}
	return true;
}

describe("relay delivery order", () => {
	it("restores each aggregate's sequence even when other aggregates' events sit between", () => {
		const claimed: Item[] = [
			{ aggregateId: "prd_a", sequence: 2 },
			{ aggregateId: "prd_b", sequence: 1 },
			{ aggregateId: "prd_a", sequence: 1 },
		];
		expect([...claimed].sort(byAggregateThenSequence)).toEqual([
			{ aggregateId: "prd_a", sequence: 1 },
			{ aggregateId: "prd_a", sequence: 2 },
			{ aggregateId: "prd_b", sequence: 1 },
		]);
	});

	it("orders every aggregate's events by sequence, whatever order the rows came back in", () => {
		const batch = fc
			.array(fc.tuple(fc.constantFrom("agg_a", "agg_b", "agg_c", "agg_d"), fc.integer({ min: 1, max: 1000 })), {
				maxLength: 200,
			})
			.map((pairs) => pairs.map(([aggregateId, sequence]) => ({ aggregateId, sequence })));
		fc.assert(
			fc.property(batch, (items) => {
				expect(inSequencePerAggregate([...items].sort(byAggregateThenSequence))).toBe(true);
			}),
			{ seed: 8, numRuns: 500 },
		);
	});
});
