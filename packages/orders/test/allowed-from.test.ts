import { describe, expect, it } from "vitest";
import type { Command, FulfilmentStatus, OrderLine, OrderState, PaymentStatus } from "../src/index.ts";
import { allowedFrom, COMMAND_TYPES, decide, FULFILMENT_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES } from "../src/index.ts";
import { isAllowed } from "./model.ts";

// The commerce Worker writes a command as `UPDATE orders … WHERE status = ANY(allowed.status)
// AND payment_status = ANY(…) AND fulfilment_status = ANY(…)`. That is only right if `decide`
// calls exactly those rows legal. Checked for every command over the whole status product,
// including combinations no sequence reaches, so the two can never drift apart.

const TOTAL = 1_000;

function linesFor(f: FulfilmentStatus): OrderLine[] {
	const line = (id: string, fulfilled: number, delivered: number) => ({ id, quantity: 2, fulfilled, delivered });
	switch (f) {
		case "unfulfilled":
			return [line("a", 0, 0), line("b", 0, 0)];
		case "partially_fulfilled":
			return [line("a", 1, 0), line("b", 0, 0)];
		case "fulfilled":
			return [line("a", 2, 0), line("b", 2, 0)];
		case "delivered":
			return [line("a", 2, 2), line("b", 2, 2)];
	}
}

function moneyFor(p: PaymentStatus): { paidMinor: number; refundedMinor: number } {
	if (p === "pending" || p === "due_on_delivery") return { paidMinor: 0, refundedMinor: 0 };
	return { paidMinor: TOTAL, refundedMinor: p === "paid" ? 0 : p === "partially_refunded" ? 400 : TOTAL };
}

/** A command whose content is valid for the state, so a legal one must be accepted outright. */
function wellFormed(type: Command["type"]): Command {
	switch (type) {
		case "pay":
			return { type, amountMinor: TOTAL };
		case "cancel":
			return { type, reason: "customer" };
		case "fulfil":
			return { type, lines: [{ lineId: "a", quantity: 1 }] };
		case "refund":
		case "returnRefund":
			return { type, amountMinor: 100 };
		case "payLate":
		case "refundLate":
			return { type, amountMinor: TOTAL };
		default:
			return { type };
	}
}

describe("allowedFrom agrees with decide", () => {
	it("for every command and every (status, paymentStatus, fulfilmentStatus)", () => {
		let legal = 0;
		let checked = 0;
		for (const status of ORDER_STATUSES) {
			for (const paymentStatus of PAYMENT_STATUSES) {
				for (const fulfilmentStatus of FULFILMENT_STATUSES) {
					for (const courierBooked of [false, true]) {
						const state: OrderState = {
							status,
							paymentStatus,
							fulfilmentStatus,
							courierBooked,
							totalMinor: TOTAL,
							...moneyFor(paymentStatus),
							lines: linesFor(fulfilmentStatus),
						};
						for (const type of COMMAND_TYPES) {
							const allowed = isAllowed(type, state);
							const d = decide(state, wellFormed(type));
							expect(d.ok, `${type} from ${status}/${paymentStatus}/${fulfilmentStatus}`).toBe(allowed);
							if (!d.ok)
								expect(d).toEqual({
									ok: false,
									code: "illegal-transition",
									from: { status, paymentStatus, fulfilmentStatus },
									command: type,
								});
							checked++;
							if (allowed) legal++;
						}
					}
				}
			}
		}
		expect(checked).toBe(5 * 5 * 4 * 2 * 10);
		expect(legal).toBeGreaterThan(0);
	});

	it("returns plain string arrays a driver can bind, and copies (callers cannot corrupt the table)", () => {
		const cancel = allowedFrom("cancel");
		expect(cancel).toEqual({
			status: ["pending_payment", "open"],
			paymentStatus: [...PAYMENT_STATUSES],
			fulfilmentStatus: ["unfulfilled"],
		});
		(cancel.status as string[]).push("completed");
		expect(allowedFrom("cancel").status).toEqual(["pending_payment", "open"]);
		expect(allowedFrom("pay")).toEqual({
			status: ["pending_payment"],
			paymentStatus: ["pending"],
			fulfilmentStatus: [...FULFILMENT_STATUSES],
		});
	});
});
