import { describe, expect, it } from "vitest";
import type { Command, Decision, NewOrder, OrderState } from "../src/index.ts";
import { decide, invariantViolations, newOrder, reservedQuantity } from "../src/index.ts";

const TOTAL = 12_500;
const online = (over: Partial<NewOrder> = {}) =>
	newOrder({
		payment: "online",
		totalMinor: TOTAL,
		courierBooked: false,
		lines: [
			{ id: "a", quantity: 2 },
			{ id: "b", quantity: 1 },
		],
		...over,
	});
const onDelivery = (over: Partial<NewOrder> = {}) => online({ payment: "on_delivery", ...over });

/** Applies commands that must all be accepted; returns the last decision. */
function run(state: OrderState, ...commands: Command[]): Extract<Decision, { ok: true }> {
	let last: Decision | undefined;
	for (const command of commands) {
		last = decide(state, command);
		if (!last.ok) throw new Error(`${command.type} refused: ${JSON.stringify(last)}`);
		expect(invariantViolations(last.next)).toEqual([]);
		state = last.next;
	}
	if (!last?.ok) throw new Error("no commands");
	return last;
}
const after = (state: OrderState, ...commands: Command[]) => run(state, ...commands).next;

const pay: Command = { type: "pay", amountMinor: TOTAL };
const collect: Command = { type: "collectPayment" };
const expire: Command = { type: "expire" };
const cancel: Command = { type: "cancel", reason: "customer" };
const fulfilAll: Command = {
	type: "fulfil",
	lines: [
		{ lineId: "a", quantity: 2 },
		{ lineId: "b", quantity: 1 },
	],
};
const fulfilOne: Command = { type: "fulfil", lines: [{ lineId: "a", quantity: 1 }] };
const delivered: Command = { type: "markDelivered" };
const refund = (amountMinor: number): Command => ({ type: "refund", amountMinor });

function expectIllegal(state: OrderState, command: Command): void {
	expect(decide(state, command)).toEqual({
		ok: false,
		code: "illegal-transition",
		from: { status: state.status, paymentStatus: state.paymentStatus, fulfilmentStatus: state.fulfilmentStatus },
		command: command.type,
	});
}

describe("newOrder", () => {
	it("an online order awaits payment with everything reserved", () => {
		const s = online();
		expect([s.status, s.paymentStatus, s.fulfilmentStatus]).toEqual(["pending_payment", "pending", "unfulfilled"]);
		expect([reservedQuantity(s, "a"), reservedQuantity(s, "b")]).toEqual([2, 1]);
		expect(invariantViolations(s)).toEqual([]);
	});

	it("a pay-on-delivery order is open at once, payment due on delivery, stock reserved", () => {
		const s = onDelivery();
		expect([s.status, s.paymentStatus, s.fulfilmentStatus]).toEqual(["open", "due_on_delivery", "unfulfilled"]);
		expect(reservedQuantity(s, "a")).toBe(2);
	});

	it("refuses malformed orders (the contracts should already have)", () => {
		expect(() => online({ lines: [] })).toThrow(RangeError);
		expect(() => online({ lines: [{ id: "a", quantity: 0 }] })).toThrow(RangeError);
		expect(() => online({ lines: [{ id: "a", quantity: 1.5 }] })).toThrow(RangeError);
		expect(() =>
			online({
				lines: [
					{ id: "a", quantity: 1 },
					{ id: "a", quantity: 1 },
				],
			}),
		).toThrow(RangeError);
		expect(() => online({ totalMinor: -1 })).toThrow(RangeError);
		expect(() => reservedQuantity(online(), "zz")).toThrow(RangeError);
	});
});

describe("pay", () => {
	it("opens a pending online order as paid", () => {
		const d = run(online(), pay);
		expect([d.next.status, d.next.paymentStatus, d.next.paidMinor]).toEqual(["open", "paid", TOTAL]);
		expect(d.changes).toEqual([
			{ field: "status", from: "pending_payment", to: "open" },
			{ field: "paymentStatus", from: "pending", to: "paid" },
		]);
		expect([d.released, d.consumed, d.refundDue]).toEqual([[], [], undefined]);
		expect(reservedQuantity(d.next, "a")).toBe(2);
	});

	it("refuses an amount that is not the total", () => {
		expect(decide(online(), { type: "pay", amountMinor: TOTAL - 1 })).toEqual({
			ok: false,
			code: "amount-mismatch",
			expectedMinor: TOTAL,
			receivedMinor: TOTAL - 1,
		});
	});

	it("is illegal twice, after expiry, after cancellation, and for pay-on-delivery (that is collectPayment)", () => {
		expectIllegal(after(online(), pay), pay);
		expectIllegal(after(online(), expire), pay);
		expectIllegal(after(online(), cancel), pay);
		expectIllegal(onDelivery(), pay);
	});
});

describe("collectPayment", () => {
	it("records cash collected on a pay-on-delivery order", () => {
		const d = run(onDelivery(), collect);
		expect([d.next.status, d.next.paymentStatus, d.next.paidMinor]).toEqual(["open", "paid", TOTAL]);
		expect(d.changes).toEqual([{ field: "paymentStatus", from: "due_on_delivery", to: "paid" }]);
	});

	it("completes the order in the same transition when it was already fulfilled", () => {
		const d = run(onDelivery(), fulfilAll, collect);
		expect(d.next.status).toBe("completed");
		expect(d.changes).toEqual([
			{ field: "status", from: "open", to: "completed" },
			{ field: "paymentStatus", from: "due_on_delivery", to: "paid" },
		]);
	});

	it("is illegal for online orders and twice", () => {
		expectIllegal(online(), collect);
		expectIllegal(after(online(), pay), collect);
		expectIllegal(after(onDelivery(), collect), collect);
		expectIllegal(after(onDelivery(), cancel), collect);
	});
});

describe("expire", () => {
	it("expires an unpaid online order and releases every reservation", () => {
		const d = run(online(), expire);
		expect(d.next.status).toBe("expired");
		expect(d.released).toEqual([
			{ lineId: "a", quantity: 2 },
			{ lineId: "b", quantity: 1 },
		]);
		expect(reservedQuantity(d.next, "a")).toBe(0);
	});

	it("is illegal once paid, for pay-on-delivery, and twice", () => {
		expectIllegal(after(online(), pay), expire);
		expectIllegal(onDelivery(), expire);
		expectIllegal(after(online(), expire), expire);
	});
});

describe("cancel", () => {
	it("cancels an unpaid order, releasing everything, with nothing to refund", () => {
		const d = run(online(), cancel);
		expect(d.next.status).toBe("cancelled");
		expect(d.released).toHaveLength(2);
		expect(d.refundDue).toBeUndefined();
		expect(run(onDelivery(), cancel).refundDue).toBeUndefined();
	});

	it("a paid order's cancellation says what is owed back", () => {
		expect(run(online(), pay, cancel).refundDue).toBe(TOTAL);
		expect(run(online(), pay, refund(500), cancel).refundDue).toBe(TOTAL - 500);
		const fullyRefunded = run(online(), pay, refund(TOTAL), cancel);
		expect(fullyRefunded.refundDue).toBeUndefined();
		expect(fullyRefunded.next.paymentStatus).toBe("refunded");
	});

	it("is illegal once anything is fulfilled (as in Shopify), and after completion, expiry or cancellation", () => {
		expectIllegal(after(onDelivery(), fulfilOne), cancel);
		expectIllegal(after(online(), pay, fulfilAll), cancel);
		expectIllegal(after(online(), expire), cancel);
		expectIllegal(after(online(), cancel), cancel);
	});
});

describe("fulfil", () => {
	it("a partial fulfilment consumes reserved stock from that line", () => {
		const d = run(online(), pay, fulfilOne);
		expect(d.next.fulfilmentStatus).toBe("partially_fulfilled");
		expect(d.consumed).toEqual([{ lineId: "a", quantity: 1 }]);
		expect(d.released).toEqual([]);
		expect([reservedQuantity(d.next, "a"), reservedQuantity(d.next, "b")]).toEqual([1, 1]);
		expect(d.changes).toEqual([{ field: "fulfilmentStatus", from: "unfulfilled", to: "partially_fulfilled" }]);
	});

	it("fulfilling the rest of a paid order completes it in the same transition", () => {
		const d = run(online(), pay, fulfilOne, {
			type: "fulfil",
			lines: [
				{ lineId: "a", quantity: 1 },
				{ lineId: "b", quantity: 1 },
			],
		});
		expect([d.next.status, d.next.fulfilmentStatus]).toEqual(["completed", "fulfilled"]);
		expect(d.changes).toEqual([
			{ field: "status", from: "open", to: "completed" },
			{ field: "fulfilmentStatus", from: "partially_fulfilled", to: "fulfilled" },
		]);
	});

	it("a fulfilled order with a courier booked stays open until delivered", () => {
		const s = after(online({ courierBooked: true }), pay, fulfilAll);
		expect([s.status, s.fulfilmentStatus]).toEqual(["open", "fulfilled"]);
		const d = run(s, delivered);
		expect([d.next.status, d.next.fulfilmentStatus]).toEqual(["completed", "delivered"]);
	});

	it("a fulfilled pay-on-delivery order stays open until the cash is collected", () => {
		const s = after(onDelivery(), fulfilAll);
		expect([s.status, s.paymentStatus, s.fulfilmentStatus]).toEqual(["open", "due_on_delivery", "fulfilled"]);
		expectIllegal(s, fulfilOne); // nothing left to fulfil
	});

	it("adds up repeated lines, and refuses unknown lines and more than remains", () => {
		const s = after(online(), pay);
		expect(decide(s, { type: "fulfil", lines: [{ lineId: "zz", quantity: 1 }] })).toEqual({
			ok: false,
			code: "unknown-line",
			lineId: "zz",
		});
		expect(decide(s, { type: "fulfil", lines: [{ lineId: "b", quantity: 2 }] })).toEqual({
			ok: false,
			code: "over-fulfilment",
			lineId: "b",
			requested: 2,
			remaining: 1,
		});
		expect(
			decide(s, {
				type: "fulfil",
				lines: [
					{ lineId: "a", quantity: 2 },
					{ lineId: "a", quantity: 1 },
				],
			}),
		).toMatchObject({ ok: false, code: "over-fulfilment", requested: 3, remaining: 2 });
		expect(() => decide(s, { type: "fulfil", lines: [] })).toThrow(RangeError);
		expect(() => decide(s, { type: "fulfil", lines: [{ lineId: "a", quantity: 0 }] })).toThrow(RangeError);
	});

	it("is illegal before payment of an online order, and after cancellation or expiry", () => {
		expectIllegal(online(), fulfilOne);
		expectIllegal(after(online(), cancel), fulfilOne);
		expectIllegal(after(online(), expire), fulfilOne);
	});
});

describe("markDelivered", () => {
	it("delivers given units; the fulfilment status says delivered only when everything is", () => {
		const s = after(online({ courierBooked: true }), pay, fulfilAll);
		const partly = run(s, { type: "markDelivered", lines: [{ lineId: "a", quantity: 2 }] });
		expect([partly.next.status, partly.next.fulfilmentStatus, partly.changes]).toEqual(["open", "fulfilled", []]);
		const rest = run(partly.next, { type: "markDelivered", lines: [{ lineId: "b", quantity: 1 }] });
		expect([rest.next.status, rest.next.fulfilmentStatus]).toEqual(["completed", "delivered"]);
	});

	it("partial fulfilments delivered leave the order partially fulfilled", () => {
		const d = run(onDelivery(), fulfilOne, delivered);
		expect([d.next.fulfilmentStatus, d.next.lines[0]?.delivered]).toEqual(["partially_fulfilled", 1]);
		expect(decide(d.next, delivered)).toEqual({ ok: false, code: "nothing-to-deliver" });
		expect(decide(d.next, { type: "markDelivered", lines: [{ lineId: "a", quantity: 1 }] })).toEqual({
			ok: false,
			code: "over-delivery",
			lineId: "a",
			requested: 1,
			undelivered: 0,
		});
	});

	it("may follow completion of an order without a courier", () => {
		const s = after(online(), pay, fulfilAll);
		expect(s.status).toBe("completed");
		const d = run(s, delivered);
		expect([d.next.status, d.changes]).toEqual([
			"completed",
			[{ field: "fulfilmentStatus", from: "fulfilled", to: "delivered" }],
		]);
	});

	it("is illegal with nothing fulfilled, and twice", () => {
		expectIllegal(after(online(), pay), delivered);
		expectIllegal(online(), delivered);
		expectIllegal(after(online(), pay, fulfilAll, delivered), delivered);
	});
});

describe("refund", () => {
	it("partial, then the rest", () => {
		const partial = run(online(), pay, refund(2_500));
		expect([partial.next.paymentStatus, partial.next.refundedMinor]).toEqual(["partially_refunded", 2_500]);
		const rest = run(partial.next, refund(TOTAL - 2_500));
		expect([rest.next.paymentStatus, rest.next.status]).toEqual(["refunded", "open"]);
		expect(rest.changes).toEqual([{ field: "paymentStatus", from: "partially_refunded", to: "refunded" }]);
	});

	it("never exceeds what was paid", () => {
		expect(decide(after(online(), pay, refund(10_000)), refund(2_501))).toEqual({
			ok: false,
			code: "over-refund",
			requestedMinor: 2_501,
			refundableMinor: 2_500,
		});
		expect(() => decide(after(online(), pay), refund(0))).toThrow(RangeError);
	});

	it("works after completion and after cancellation (the refund a cancellation owes)", () => {
		expect(run(online(), pay, fulfilAll, refund(100)).next).toMatchObject({
			status: "completed",
			paymentStatus: "partially_refunded",
		});
		expect(run(online(), pay, cancel, refund(TOTAL)).next).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
	});

	it("a partially refunded order still completes when fulfilled", () => {
		expect(after(online(), pay, refund(100), fulfilAll).status).toBe("completed");
	});

	it("is illegal before any payment and once fully refunded", () => {
		expectIllegal(online(), refund(1));
		expectIllegal(onDelivery(), refund(1));
		expectIllegal(after(online(), expire), refund(1));
		expectIllegal(after(online(), pay, refund(TOTAL)), refund(1));
	});
});

describe("pay on delivery with a courier, end to end", () => {
	it("fulfil, deliver, collect: completes on the collection", () => {
		const s = after(onDelivery({ courierBooked: true }), fulfilAll, delivered);
		expect([s.status, s.fulfilmentStatus]).toEqual(["open", "delivered"]);
		expect(run(s, collect).next.status).toBe("completed");
	});
});

describe("late payments and returned refunds", () => {
	const payLate: Command = { type: "payLate", amountMinor: TOTAL };
	const refundLate: Command = { type: "refundLate", amountMinor: TOTAL };
	const returnRefund = (amountMinor: number): Command => ({ type: "returnRefund", amountMinor });

	it("payLate: an expired order is open and paid again, every line reserved again", () => {
		const d = run(online(), expire, payLate);
		expect(d.next).toMatchObject({ status: "open", paymentStatus: "paid", paidMinor: TOTAL });
		expect(d.reserved).toEqual([
			{ lineId: "a", quantity: 2 },
			{ lineId: "b", quantity: 1 },
		]);
		expect([reservedQuantity(d.next, "a"), reservedQuantity(d.next, "b")]).toEqual([2, 1]);
		expect(decide(after(online(), expire), { type: "payLate", amountMinor: TOTAL - 1 })).toMatchObject({
			ok: false,
			code: "amount-mismatch",
		});
		expectIllegal(online(), payLate);
		expectIllegal(after(online(), cancel), payLate);
	});

	it("refundLate: an expired order is cancelled with the whole payment refunded, nothing reserved", () => {
		const d = run(online(), expire, refundLate);
		expect(d.next).toMatchObject({ status: "cancelled", paymentStatus: "refunded", paidMinor: TOTAL, refundedMinor: TOTAL });
		expect(d.reserved).toBeUndefined();
		expect(reservedQuantity(d.next, "a")).toBe(0);
		expectIllegal(after(online(), pay), refundLate);
	});

	it("returnRefund undoes a refund Paystack could not make, never below zero", () => {
		expect(after(online(), pay, refund(600), refund(400), returnRefund(400))).toMatchObject({
			paymentStatus: "partially_refunded",
			refundedMinor: 600,
		});
		expect(after(online(), pay, refund(TOTAL), returnRefund(TOTAL))).toMatchObject({ paymentStatus: "paid", refundedMinor: 0 });
		// A late payment's refund that failed: cancelled and paid, refundable again.
		const failedLate = after(online(), expire, refundLate, returnRefund(TOTAL));
		expect(failedLate).toMatchObject({ status: "cancelled", paymentStatus: "paid" });
		expect(decide(failedLate, refund(TOTAL)).ok).toBe(true);
		expect(decide(after(online(), pay, refund(100)), returnRefund(101))).toMatchObject({ ok: false, code: "over-return" });
		expectIllegal(after(online(), pay), returnRefund(1));
	});
});
