// Shared by the property tests: random orders, random command "intents" resolved against the
// current state (so sequences actually get somewhere), and the rules restated independently
// of the implementation.
import fc from "fast-check";
import type { Command, NewOrder, OrderState, StatusChange, StatusTriple } from "../src/index.ts";
import { allowedFrom, type CommandType, reservedQuantity } from "../src/index.ts";

export const SEED = Number(process.env.FUZZ_SEED || 20261130);
export const RUNS = Number(process.env.FUZZ_RUNS || 500);

/** Every status edge the issue lists; anything else is moving backwards or sideways. */
export const EDGES: { readonly [F in StatusChange["field"]]: ReadonlySet<string> } = {
	status: new Set([
		"pending_payment>open",
		"open>completed",
		"pending_payment>cancelled",
		"open>cancelled",
		"pending_payment>expired",
		// A payment after expiry: paid and open again if the stock could be reserved, else refunded.
		"expired>open",
		"expired>cancelled",
	]),
	paymentStatus: new Set([
		"pending>paid",
		"due_on_delivery>paid",
		"paid>partially_refunded",
		"paid>refunded",
		"partially_refunded>refunded",
		"pending>refunded",
		// The provider could not make a refund.
		"refunded>partially_refunded",
		"refunded>paid",
		"partially_refunded>paid",
	]),
	fulfilmentStatus: new Set([
		"unfulfilled>partially_fulfilled",
		"unfulfilled>fulfilled",
		"partially_fulfilled>fulfilled",
		"fulfilled>delivered",
	]),
};

export const SETTLED = new Set(["paid", "partially_refunded", "refunded"]);

export function triple(state: OrderState): StatusTriple {
	return { status: state.status, paymentStatus: state.paymentStatus, fulfilmentStatus: state.fulfilmentStatus };
}

export function isAllowed(command: CommandType, state: StatusTriple): boolean {
	const allowed = allowedFrom(command);
	return (
		allowed.status.includes(state.status) &&
		allowed.paymentStatus.includes(state.paymentStatus) &&
		allowed.fulfilmentStatus.includes(state.fulfilmentStatus)
	);
}

/** The invariants, written out by hand (not via `invariantViolations`). */
export function brokenInvariants(s: OrderState): string[] {
	const broken: string[] = [];
	const nothingFulfilled = s.lines.every((l) => l.fulfilled === 0);
	const shipped = s.courierBooked ? s.fulfilmentStatus === "delivered" : ["fulfilled", "delivered"].includes(s.fulfilmentStatus);
	const paid = SETTLED.has(s.paymentStatus) && s.paidMinor === s.totalMinor;
	if (s.status === "completed" && !(paid && shipped)) broken.push("completed without payment or shipment");
	if (s.status === "open" && paid && shipped) broken.push("paid and shipped but not completed");
	if (s.status === "expired" && !(nothingFulfilled && s.paymentStatus === "pending")) broken.push("expired after progress");
	if (s.status === "cancelled" && !nothingFulfilled) broken.push("cancelled after fulfilment");
	for (const l of s.lines) {
		if (!(0 <= l.delivered && l.delivered <= l.fulfilled && l.fulfilled <= l.quantity)) broken.push(`line ${l.id} counts`);
		const reserved = reservedQuantity(s, l.id);
		if (["cancelled", "expired", "completed"].includes(s.status) && reserved !== 0) broken.push(`line ${l.id} still reserved`);
	}
	if (!(0 <= s.refundedMinor && s.refundedMinor <= s.paidMinor)) broken.push("refunded more than paid");
	if (s.paidMinor !== 0 && s.paidMinor !== s.totalMinor) broken.push("paid something other than the total");
	return broken;
}

export const newOrderArb: fc.Arbitrary<NewOrder> = fc.record({
	payment: fc.constantFrom("online" as const, "on_delivery" as const),
	totalMinor: fc.oneof(
		{ arbitrary: fc.constant(0), weight: 1 },
		{ arbitrary: fc.integer({ min: 1, max: 1_000_000 }), weight: 5 },
	),
	courierBooked: fc.boolean(),
	lines: fc
		.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
		.map((quantities) => quantities.map((quantity, i) => ({ id: `l${i}`, quantity }))),
});

/** A line pick: -1 names a line the order does not have; "rest" is whatever is left on the line. */
const pickArb = fc.record({
	line: fc.integer({ min: -1, max: 3 }),
	quantity: fc.oneof(
		{ arbitrary: fc.constant("rest" as const), weight: 3 },
		{ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 2 },
	),
});

export type Intent =
	| { type: "pay"; offBy: number }
	| { type: "collectPayment" | "expire" | "cancel" }
	| { type: "fulfil" | "markDelivered"; picks: { line: number; quantity: "rest" | number }[] | null }
	| { type: "refund"; amount: "rest" | "half" | number }
	| { type: "payLate" | "refundLate"; offBy: number }
	| { type: "returnRefund"; amount: "all" | "half" | number };

export const intentArb: fc.Arbitrary<Intent> = fc.oneof(
	{
		arbitrary: fc.record({ type: fc.constant("pay" as const), offBy: fc.oneof(fc.constant(0), fc.constant(0), fc.integer()) }),
		weight: 2,
	},
	{ arbitrary: fc.record({ type: fc.constantFrom("collectPayment" as const, "expire" as const, "cancel" as const) }), weight: 2 },
	{
		arbitrary: fc.record({
			type: fc.constantFrom("fulfil" as const, "markDelivered" as const),
			picks: fc.option(fc.array(pickArb, { minLength: 1, maxLength: 3 }), { freq: 4 }),
		}),
		weight: 5,
	},
	{
		arbitrary: fc.record({
			type: fc.constant("refund" as const),
			amount: fc.oneof(fc.constant("rest" as const), fc.constant("half" as const), fc.integer({ min: 1, max: 1_000_000 })),
		}),
		weight: 2,
	},
	{
		arbitrary: fc.oneof(
			fc.record({
				type: fc.constantFrom("payLate" as const, "refundLate" as const),
				offBy: fc.oneof(fc.constant(0), fc.constant(0), fc.integer()),
			}),
			fc.record({
				type: fc.constant("returnRefund" as const),
				amount: fc.oneof(fc.constant("all" as const), fc.constant("half" as const), fc.integer({ min: 1, max: 1_000_000 })),
			}),
		),
		weight: 1,
	},
);

export function resolve(intent: Intent, s: OrderState): Command {
	switch (intent.type) {
		case "pay":
			return { type: "pay", amountMinor: Math.max(0, s.totalMinor + (intent.offBy % 1000)) };
		case "collectPayment":
		case "expire":
			return { type: intent.type };
		case "cancel":
			return { type: "cancel", reason: "customer" };
		case "refund": {
			const rest = s.paidMinor - s.refundedMinor;
			const amount = intent.amount === "rest" ? rest : intent.amount === "half" ? Math.floor(rest / 2) : intent.amount;
			return { type: "refund", amountMinor: Math.max(1, amount) };
		}
		case "payLate":
		case "refundLate":
			return { type: intent.type, amountMinor: Math.max(0, s.totalMinor + (intent.offBy % 1000)) };
		case "returnRefund": {
			const amount =
				intent.amount === "all" ? s.refundedMinor : intent.amount === "half" ? Math.floor(s.refundedMinor / 2) : intent.amount;
			return { type: "returnRefund", amountMinor: Math.max(1, amount) };
		}
		case "fulfil":
		case "markDelivered": {
			const delivering = intent.type === "markDelivered";
			if (intent.picks === null && delivering) return { type: "markDelivered" };
			if (intent.picks === null) {
				// Ship everything that is left, the common case.
				const lines = s.lines
					.filter((l) => l.fulfilled < l.quantity)
					.map((l) => ({ lineId: l.id, quantity: l.quantity - l.fulfilled }));
				return { type: "fulfil", lines: lines.length > 0 ? lines : [{ lineId: "l0", quantity: 1 }] };
			}
			const picks = intent.picks;
			const lines = picks.map((p) => {
				const line = p.line < 0 ? undefined : s.lines[p.line % s.lines.length];
				if (!line) return { lineId: "no-such-line", quantity: p.quantity === "rest" ? 1 : p.quantity };
				const rest = delivering ? line.fulfilled - line.delivered : line.quantity - line.fulfilled;
				return { lineId: line.id, quantity: p.quantity === "rest" ? Math.max(1, rest) : p.quantity };
			});
			return { type: intent.type, lines };
		}
	}
}

export function deepFreeze<T>(value: T): T {
	if (value && typeof value === "object") {
		for (const inner of Object.values(value)) deepFreeze(inner);
		Object.freeze(value);
	}
	return value;
}
