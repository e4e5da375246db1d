import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Accepted, Command, Decision, LineQuantity, OrderState } from "../src/index.ts";
import { decide, invariantViolations, newOrder, reservedQuantity } from "../src/index.ts";
import { brokenInvariants, deepFreeze, EDGES, intentArb, isAllowed, newOrderArb, RUNS, resolve, SEED, triple } from "./model.ts";

// Any sequence of commands from either kind of new order keeps every order invariant, moves
// statuses only forward, and accounts for every reserved unit it gives up.

const quantityFor = (entries: readonly LineQuantity[], lineId: string) =>
	entries.filter((e) => e.lineId === lineId).reduce((sum, e) => sum + e.quantity, 0);

function checkAccepted(before: OrderState, command: Command, d: Accepted): void {
	const { next } = d;
	expect(brokenInvariants(next)).toEqual([]);
	expect(invariantViolations(next)).toEqual([]);
	expect(next.totalMinor).toBe(before.totalMinor);
	expect(next.courierBooked).toBe(before.courierBooked);
	expect(next.lines.map((l) => [l.id, l.quantity])).toEqual(before.lines.map((l) => [l.id, l.quantity]));

	// changes lists exactly the fields that moved, each along an edge the issue allows.
	const moved = (["status", "paymentStatus", "fulfilmentStatus"] as const).filter((f) => before[f] !== next[f]);
	expect(d.changes.map((c) => c.field)).toEqual(moved);
	for (const c of d.changes) {
		expect(c.from).toBe(before[c.field]);
		expect(c.to).toBe(next[c.field]);
		expect(EDGES[c.field].has(`${c.from}>${c.to}`), `${c.field} ${c.from}>${c.to}`).toBe(true);
	}

	// Every unit that stops being reserved is either released or consumed, and only fulfilment consumes.
	for (const entry of [...d.released, ...d.consumed]) expect(entry.quantity).toBeGreaterThan(0);
	for (const line of before.lines) {
		const after = next.lines.find((l) => l.id === line.id) as (typeof next.lines)[number];
		const released = quantityFor(d.released, line.id);
		const consumed = quantityFor(d.consumed, line.id);
		const reserved = quantityFor(d.reserved ?? [], line.id);
		expect(reservedQuantity(before, line.id) - reservedQuantity(next, line.id)).toBe(released + consumed - reserved);
		expect(after.fulfilled - line.fulfilled).toBe(consumed);
	}
	if (command.type !== "fulfil") expect(d.consumed).toEqual([]);
	// Only a late payment reserves again, and then every line in full.
	if (command.type === "payLate") expect(d.reserved).toEqual(next.lines.map((l) => ({ lineId: l.id, quantity: l.quantity })));
	else expect(d.reserved).toBeUndefined();

	const outstanding = before.paidMinor - before.refundedMinor;
	expect(d.refundDue).toBe(command.type === "cancel" && outstanding > 0 ? outstanding : undefined);
}

function checkRejected(before: OrderState, command: Command, d: Exclude<Decision, Accepted>): void {
	expect(d.code === "illegal-transition").toBe(!isAllowed(command.type, triple(before)));
	if (d.code === "illegal-transition") {
		expect(d.from).toEqual(triple(before));
		expect(d.command).toBe(command.type);
	}
}

describe("order state machine properties", () => {
	it("no command sequence from either initial state reaches an illegal state", () => {
		const reached = new Set<string>();
		const outcomes = new Set<string>();
		fc.assert(
			fc.property(newOrderArb, fc.array(intentArb, { minLength: 3, maxLength: 25 }), (order, intents) => {
				let state = deepFreeze(newOrder(order));
				expect(brokenInvariants(state)).toEqual([]);
				for (const intent of intents) {
					const command = resolve(intent, state);
					// Frozen: a decide that mutated its input would throw here.
					const d = decide(state, command);
					outcomes.add(d.ok ? `${command.type}:ok` : d.code);
					if (!d.ok) {
						checkRejected(state, command, d);
						continue;
					}
					checkAccepted(state, command, d);
					state = deepFreeze(d.next);
					reached.add(state.status).add(state.paymentStatus).add(state.fulfilmentStatus);
				}
			}),
			{ seed: SEED, numRuns: RUNS },
		);
		// The generators must actually reach every status and every outcome, or the property says little.
		for (const s of ["open", "completed", "cancelled", "expired", "paid", "partially_refunded", "refunded"])
			expect(reached).toContain(s);
		for (const s of ["partially_fulfilled", "fulfilled", "delivered"]) expect(reached).toContain(s);
		for (const c of [
			"pay",
			"collectPayment",
			"expire",
			"cancel",
			"fulfil",
			"markDelivered",
			"refund",
			"payLate",
			"refundLate",
			"returnRefund",
		])
			expect(outcomes).toContain(`${c}:ok`);
		for (const code of ["illegal-transition", "unknown-line", "over-fulfilment", "over-delivery", "nothing-to-deliver"]) {
			expect(outcomes).toContain(code);
		}
		for (const code of ["amount-mismatch", "over-refund", "over-return"]) expect(outcomes).toContain(code);
	});
});
