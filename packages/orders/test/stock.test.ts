import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderState } from "../src/index.ts";
import { decide, newOrder, reservedQuantity } from "../src/index.ts";
import { type Intent, intentArb, RUNS, resolve, SEED } from "./model.ts";

// A model of the commerce Worker's stock bookkeeping: a store with a few variants, orders
// that reserve only what is available, and random commands across those orders, applying each
// decision's `released` and `consumed` to the variant counts exactly as the SQL will.

type Action =
	| {
			kind: "place";
			payment: "online" | "on_delivery";
			courierBooked: boolean;
			lines: { variant: number; quantity: number }[];
	  }
	| { kind: "command"; order: number; intent: Intent };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
	{
		arbitrary: fc.record({
			kind: fc.constant("place" as const),
			payment: fc.constantFrom("online" as const, "on_delivery" as const),
			courierBooked: fc.boolean(),
			lines: fc.array(fc.record({ variant: fc.nat(), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
		}),
		weight: 1,
	},
	{ arbitrary: fc.record({ kind: fc.constant("command" as const), order: fc.nat(), intent: intentArb }), weight: 3 },
);

interface PlacedOrder {
	state: OrderState;
	/** Which variant each line reserved. */
	variantOf: Map<string, number>;
}

describe("stock bookkeeping across many orders", () => {
	it("available never goes negative, reserved always equals what the orders hold, on-hand falls only by consumed", () => {
		let placed = 0;
		let refusedForStock = 0;
		let releasedUnits = 0;
		let consumedUnits = 0;
		fc.assert(
			fc.property(
				fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 3 }),
				fc.array(actionArb, { minLength: 10, maxLength: 60 }),
				(initialOnHand, actions) => {
					const variants = initialOnHand.length;
					const onHand = [...initialOnHand];
					const reserved = initialOnHand.map(() => 0);
					const consumedTotal = initialOnHand.map(() => 0);
					const orders: PlacedOrder[] = [];

					const check = () => {
						const held = initialOnHand.map(() => 0);
						for (const o of orders) {
							for (const line of o.state.lines) {
								const v = o.variantOf.get(line.id) as number;
								held[v] = (held[v] as number) + reservedQuantity(o.state, line.id);
							}
						}
						for (let v = 0; v < variants; v++) {
							expect((onHand[v] as number) - (reserved[v] as number)).toBeGreaterThanOrEqual(0);
							expect(reserved[v]).toBeGreaterThanOrEqual(0);
							expect(reserved[v]).toBe(held[v]);
							expect(onHand[v]).toBe((initialOnHand[v] as number) - (consumedTotal[v] as number));
						}
					};

					for (const action of actions) {
						if (action.kind === "place") {
							const lines = action.lines.map((l, i) => ({
								id: `o${orders.length}-l${i}`,
								variant: l.variant % variants,
								quantity: l.quantity,
							}));
							const wanted = initialOnHand.map(() => 0);
							for (const l of lines) wanted[l.variant] = (wanted[l.variant] as number) + l.quantity;
							// Reserve all or nothing, as the checkout's conditional UPDATE does.
							if (wanted.some((w, v) => w > (onHand[v] as number) - (reserved[v] as number))) {
								refusedForStock++;
							} else {
								wanted.forEach((w, v) => {
									reserved[v] = (reserved[v] as number) + w;
								});
								const state = newOrder({
									payment: action.payment,
									courierBooked: action.courierBooked,
									totalMinor: 5_000,
									lines,
								});
								orders.push({ state, variantOf: new Map(lines.map((l) => [l.id, l.variant])) });
								placed++;
							}
						} else if (orders.length > 0) {
							const order = orders[action.order % orders.length] as PlacedOrder;
							const d = decide(order.state, resolve(action.intent, order.state));
							// A late payment re-reserves every line, all or none, as the Worker's conditional
							// UPDATE does; without the stock the Worker refunds instead (refundLate).
							const wantedAgain = initialOnHand.map(() => 0);
							for (const { lineId, quantity } of (d.ok && d.reserved) || []) {
								const v = order.variantOf.get(lineId) as number;
								wantedAgain[v] = (wantedAgain[v] as number) + quantity;
							}
							if (d.ok && wantedAgain.some((w, v) => w > (onHand[v] as number) - (reserved[v] as number))) {
								refusedForStock++;
							} else if (d.ok) {
								wantedAgain.forEach((w, v) => {
									reserved[v] = (reserved[v] as number) + w;
								});
								for (const { lineId, quantity } of d.released) {
									const v = order.variantOf.get(lineId) as number;
									reserved[v] = (reserved[v] as number) - quantity;
									releasedUnits += quantity;
								}
								for (const { lineId, quantity } of d.consumed) {
									const v = order.variantOf.get(lineId) as number;
									reserved[v] = (reserved[v] as number) - quantity;
									onHand[v] = (onHand[v] as number) - quantity;
									consumedTotal[v] = (consumedTotal[v] as number) + quantity;
									consumedUnits += quantity;
								}
								order.state = d.next;
							}
						}
						check();
					}
				},
			),
			{ seed: SEED, numRuns: RUNS },
		);
		// Both branches of placement happen, or the model is not testing contention.
		expect(placed).toBeGreaterThan(RUNS);
		expect(refusedForStock).toBeGreaterThan(RUNS / 10);
		expect(releasedUnits).toBeGreaterThan(RUNS);
		expect(consumedUnits).toBeGreaterThan(RUNS);
	});
});
