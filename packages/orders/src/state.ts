/**
 * @oja/orders — the order state machine, as merchants know it from Shopify: an order's
 * `status`, `paymentStatus` and `fulfilmentStatus`, and what each command does to them and to
 * the stock reserved for its lines.
 *
 * It is pure (no Workers, HTTP or database) because the commerce Worker cannot hold a row lock
 * across round trips (Postgres over HTTP, no interactive transactions; docs/architecture.md).
 * The Worker reads the order, asks `decide` what a command does, and writes the result with a
 * conditional `UPDATE orders … WHERE id = $1 AND status = ANY($2) AND payment_status = ANY($3)
 * AND fulfilment_status = ANY($4) RETURNING …` whose arrays come from `allowedFrom`. A
 * concurrent command that got there first makes the update match nothing, and the Worker
 * answers 409 exactly as `decide` would have from the fresh row. That only works if `decide` and
 * `allowedFrom` agree on every status combination, which test/allowed-from.test.ts checks
 * exhaustively, and if the legal set of every command is a product of per-column sets (it is).
 * The statuses guard legality only: a command whose content depends on counts that can move
 * without a status change (two partial fulfilments, two partial refunds) also needs those counts
 * in its WHERE (`fulfilled + $q <= quantity`, `refunded_minor + $a <= paid_minor`) or a version.
 *
 * Illegal commands are values (`{ok: false, code: "illegal-transition"}`, mapped to 409), never
 * exceptions. Only programmer errors throw: amounts and quantities the contracts should have
 * refused (non-integers, negatives), an empty fulfilment, an unknown line in `reservedQuantity`.
 */

export const ORDER_STATUSES = ["pending_payment", "open", "completed", "cancelled", "expired"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = ["pending", "due_on_delivery", "paid", "partially_refunded", "refunded"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const FULFILMENT_STATUSES = ["unfulfilled", "partially_fulfilled", "fulfilled", "delivered"] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

export const COMMAND_TYPES = [
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
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export interface OrderLine {
	readonly id: string;
	/** Units ordered (and reserved at placement). */
	readonly quantity: number;
	/** Units handed over for delivery; they left the reservation and on-hand together. */
	readonly fulfilled: number;
	/** Of the fulfilled units, those marked delivered (by the courier or the merchant). */
	readonly delivered: number;
}

export interface OrderState {
	readonly status: OrderStatus;
	readonly paymentStatus: PaymentStatus;
	/** Derived from `lines`, stored so the conditional SQL can test it as a column. */
	readonly fulfilmentStatus: FulfilmentStatus;
	/** The delivery option books a courier: the order completes on delivery, not on fulfilment. */
	readonly courierBooked: boolean;
	readonly totalMinor: number;
	readonly paidMinor: number;
	readonly refundedMinor: number;
	readonly lines: readonly OrderLine[];
}

export interface LineQuantity {
	readonly lineId: string;
	readonly quantity: number;
}

export type Command =
	/** The online payment succeeded (payments issue, from the provider's webhook). */
	| { readonly type: "pay"; readonly amountMinor: number }
	/** Pay on delivery: the merchant records the cash collected (always the order total). */
	| { readonly type: "collectPayment" }
	/** The unpaid order's hold ran out; the Worker decides when (`expires_at <= now()`). */
	| { readonly type: "expire" }
	| { readonly type: "cancel"; readonly reason: string }
	| { readonly type: "fulfil"; readonly lines: readonly LineQuantity[] }
	/** Marks the given fulfilled units delivered, or every fulfilled, undelivered unit when `lines` is absent. */
	| { readonly type: "markDelivered"; readonly lines?: readonly LineQuantity[] }
	| { readonly type: "refund"; readonly amountMinor: number }
	/**
	 * A payment that arrived after the order expired, with every line's stock reserved again by
	 * the caller in the same write (all lines or none): the order is paid and open after all.
	 */
	| { readonly type: "payLate"; readonly amountMinor: number }
	/**
	 * A payment that arrived after the order expired when the stock is gone: the order is
	 * cancelled and the whole payment refunded at once (it never reserves anything).
	 */
	| { readonly type: "refundLate"; readonly amountMinor: number }
	/** The provider could not make a refund: that amount is no longer refunded. */
	| { readonly type: "returnRefund"; readonly amountMinor: number };

export type StatusChange =
	| { readonly field: "status"; readonly from: OrderStatus; readonly to: OrderStatus }
	| { readonly field: "paymentStatus"; readonly from: PaymentStatus; readonly to: PaymentStatus }
	| { readonly field: "fulfilmentStatus"; readonly from: FulfilmentStatus; readonly to: FulfilmentStatus };

export interface StatusTriple {
	readonly status: OrderStatus;
	readonly paymentStatus: PaymentStatus;
	readonly fulfilmentStatus: FulfilmentStatus;
}

export interface Accepted {
	readonly ok: true;
	readonly next: OrderState;
	/** One entry per status field that changed, in the order status, paymentStatus, fulfilmentStatus. */
	readonly changes: readonly StatusChange[];
	/** Reserved units returned to available (on-hand unchanged). */
	readonly released: readonly LineQuantity[];
	/** Reserved units that left on-hand too (fulfilment). */
	readonly consumed: readonly LineQuantity[];
	/** A cancelled order had been paid: this much must be refunded (the payments issue does it). */
	readonly refundDue?: number;
	/** Units to reserve again (payLate): the caller reserves them all, or vetoes the write. */
	readonly reserved?: readonly LineQuantity[];
}

export type Rejection =
	| { readonly ok: false; readonly code: "illegal-transition"; readonly from: StatusTriple; readonly command: CommandType }
	| { readonly ok: false; readonly code: "unknown-line"; readonly lineId: string }
	| {
			readonly ok: false;
			readonly code: "over-fulfilment";
			readonly lineId: string;
			readonly requested: number;
			readonly remaining: number;
	  }
	| {
			readonly ok: false;
			readonly code: "over-delivery";
			readonly lineId: string;
			readonly requested: number;
			readonly undelivered: number;
	  }
	| { readonly ok: false; readonly code: "nothing-to-deliver" }
	| { readonly ok: false; readonly code: "amount-mismatch"; readonly expectedMinor: number; readonly receivedMinor: number }
	| { readonly ok: false; readonly code: "over-refund"; readonly requestedMinor: number; readonly refundableMinor: number }
	| { readonly ok: false; readonly code: "over-return"; readonly requestedMinor: number; readonly refundedMinor: number };

export type Decision = Accepted | Rejection;

export interface AllowedFrom {
	readonly status: readonly OrderStatus[];
	readonly paymentStatus: readonly PaymentStatus[];
	readonly fulfilmentStatus: readonly FulfilmentStatus[];
}

// Written out per command rather than derived from `decide`, so the exhaustive test compares
// two independent statements of the rules. A column a command does not care about lists every value.
const ALLOWED_FROM: Readonly<Record<CommandType, AllowedFrom>> = {
	pay: { status: ["pending_payment"], paymentStatus: ["pending"], fulfilmentStatus: FULFILMENT_STATUSES },
	collectPayment: { status: ["open"], paymentStatus: ["due_on_delivery"], fulfilmentStatus: FULFILMENT_STATUSES },
	// Nothing fulfilled is implied by pending_payment; stated anyway so a shipped order can never expire.
	expire: { status: ["pending_payment"], paymentStatus: ["pending"], fulfilmentStatus: ["unfulfilled"] },
	cancel: { status: ["pending_payment", "open"], paymentStatus: PAYMENT_STATUSES, fulfilmentStatus: ["unfulfilled"] },
	fulfil: { status: ["open"], paymentStatus: PAYMENT_STATUSES, fulfilmentStatus: ["unfulfilled", "partially_fulfilled"] },
	markDelivered: {
		status: ["open", "completed"],
		paymentStatus: PAYMENT_STATUSES,
		fulfilmentStatus: ["partially_fulfilled", "fulfilled"],
	},
	refund: {
		status: ["open", "completed", "cancelled"],
		paymentStatus: ["paid", "partially_refunded"],
		fulfilmentStatus: FULFILMENT_STATUSES,
	},
	payLate: { status: ["expired"], paymentStatus: ["pending"], fulfilmentStatus: ["unfulfilled"] },
	refundLate: { status: ["expired"], paymentStatus: ["pending"], fulfilmentStatus: ["unfulfilled"] },
	returnRefund: {
		status: ["open", "completed", "cancelled"],
		paymentStatus: ["partially_refunded", "refunded"],
		fulfilmentStatus: FULFILMENT_STATUSES,
	},
};

/**
 * The status values a command is legal from, one array per column: the command is legal
 * exactly when each column's value is in its array (for `SET … WHERE status = ANY($n) AND …`).
 * Legal here can still be refused for the command's content (`over-fulfilment`, `amount-mismatch`…).
 */
export function allowedFrom(command: CommandType): AllowedFrom {
	const allowed = ALLOWED_FROM[command];
	return {
		status: [...allowed.status],
		paymentStatus: [...allowed.paymentStatus],
		fulfilmentStatus: [...allowed.fulfilmentStatus],
	};
}

export interface NewOrder {
	/** `online`: awaits payment and expires unpaid. `on_delivery`: open at once, paid in cash later. */
	readonly payment: "online" | "on_delivery";
	readonly totalMinor: number;
	readonly courierBooked: boolean;
	readonly lines: readonly { readonly id: string; readonly quantity: number }[];
}

/** A just-placed order; the caller reserves every line's quantity in the same write. */
export function newOrder(order: NewOrder): OrderState {
	assertMinor(order.totalMinor, "totalMinor");
	if (order.lines.length === 0) throw new RangeError("an order needs at least one line");
	const ids = new Set<string>();
	for (const line of order.lines) {
		assertPositiveCount(line.quantity, `quantity of line ${line.id}`);
		if (ids.has(line.id)) throw new RangeError(`duplicate line id ${line.id}`);
		ids.add(line.id);
	}
	const online = order.payment === "online";
	return {
		status: online ? "pending_payment" : "open",
		paymentStatus: online ? "pending" : "due_on_delivery",
		fulfilmentStatus: "unfulfilled",
		courierBooked: order.courierBooked,
		totalMinor: order.totalMinor,
		paidMinor: 0,
		refundedMinor: 0,
		lines: order.lines.map((line) => ({ id: line.id, quantity: line.quantity, fulfilled: 0, delivered: 0 })),
	};
}

/** Units still reserved for a line: the unfulfilled rest while the order is live, otherwise 0. */
export function reservedQuantity(state: OrderState, lineId: string): number {
	const line = state.lines.find((l) => l.id === lineId);
	if (!line) throw new RangeError(`unknown line ${lineId}`);
	return holdsStock(state.status) ? line.quantity - line.fulfilled : 0;
}

/** What `command` does to `state`. Never mutates `state`; never throws for an illegal command. */
export function decide(state: OrderState, command: Command): Decision {
	switch (command.type) {
		case "pay":
			return pay(state, command.amountMinor);
		case "collectPayment":
			return collectPayment(state);
		case "expire":
			return expire(state);
		case "cancel":
			return cancel(state);
		case "fulfil":
			return fulfil(state, command.lines);
		case "markDelivered":
			return markDelivered(state, command.lines);
		case "refund":
			return refund(state, command.amountMinor);
		case "payLate":
			return payLate(state, command.amountMinor);
		case "refundLate":
			return refundLate(state, command.amountMinor);
		case "returnRefund":
			return returnRefund(state, command.amountMinor);
	}
}

/**
 * Everything that must hold of any order this machine can produce; empty when it all holds.
 * For tests (here and in the Worker), and for checking rows read back from the database.
 */
export function invariantViolations(state: OrderState): string[] {
	const v: string[] = [];
	for (const [name, value] of [
		["totalMinor", state.totalMinor],
		["paidMinor", state.paidMinor],
		["refundedMinor", state.refundedMinor],
	] as const) {
		if (!Number.isSafeInteger(value) || value < 0) v.push(`${name} is not a non-negative integer`);
	}
	if (state.lines.length === 0) v.push("no lines");
	if (new Set(state.lines.map((l) => l.id)).size !== state.lines.length) v.push("duplicate line ids");
	for (const l of state.lines) {
		const counts = [l.quantity, l.fulfilled, l.delivered];
		if (!counts.every(Number.isSafeInteger) || !(l.quantity >= 1 && l.fulfilled <= l.quantity && l.delivered >= 0)) {
			v.push(`line ${l.id}: quantities out of range`);
		}
		if (l.delivered > l.fulfilled) v.push(`line ${l.id}: delivered more than fulfilled`);
	}
	if (state.fulfilmentStatus !== fulfilmentStatusOf(state.lines)) v.push("fulfilmentStatus does not match the lines");

	const { paidMinor, refundedMinor, totalMinor } = state;
	switch (state.paymentStatus) {
		case "pending":
		case "due_on_delivery":
			if (paidMinor !== 0 || refundedMinor !== 0) v.push(`${state.paymentStatus} with money paid or refunded`);
			break;
		case "paid":
			if (paidMinor !== totalMinor || refundedMinor !== 0) v.push("paid: paid is not the total, or something was refunded");
			break;
		case "partially_refunded":
			if (paidMinor !== totalMinor || !(refundedMinor > 0 && refundedMinor < paidMinor)) v.push("partially_refunded: amounts");
			break;
		case "refunded":
			if (paidMinor !== totalMinor || !(refundedMinor > 0 && refundedMinor === paidMinor)) v.push("refunded: amounts");
			break;
	}

	const nothingFulfilled = state.lines.every((l) => l.fulfilled === 0);
	switch (state.status) {
		case "pending_payment":
			if (state.paymentStatus !== "pending") v.push("pending_payment but payment is not pending");
			if (!nothingFulfilled) v.push("pending_payment with fulfilled units");
			break;
		case "open":
			if (state.paymentStatus === "pending") v.push("open but payment pending");
			if (completes(state)) v.push("open although paid and fulfilled (should have completed)");
			break;
		case "completed":
			if (!completes(state)) v.push("completed but not paid and fulfilled/delivered");
			break;
		case "expired":
			if (state.paymentStatus !== "pending") v.push("expired but payment is not pending");
			if (!nothingFulfilled) v.push("expired with fulfilled units");
			break;
		case "cancelled":
			if (!nothingFulfilled) v.push("cancelled with fulfilled units");
			break;
	}
	return v;
}

// ---------------------------------------------------------------------------------------------

function pay(state: OrderState, amountMinor: number): Decision {
	if (!(state.status === "pending_payment" && state.paymentStatus === "pending")) return illegal(state, "pay");
	assertMinor(amountMinor, "amountMinor");
	// A short or excess payment is the payments issue's problem to resolve, not a paid order.
	if (amountMinor !== state.totalMinor) {
		return { ok: false, code: "amount-mismatch", expectedMinor: state.totalMinor, receivedMinor: amountMinor };
	}
	return accept(state, { ...state, status: "open", paymentStatus: "paid", paidMinor: amountMinor });
}

function collectPayment(state: OrderState): Decision {
	if (!(state.status === "open" && state.paymentStatus === "due_on_delivery")) return illegal(state, "collectPayment");
	return accept(state, { ...state, paymentStatus: "paid", paidMinor: state.totalMinor });
}

function expire(state: OrderState): Decision {
	const legal =
		state.status === "pending_payment" && state.paymentStatus === "pending" && state.fulfilmentStatus === "unfulfilled";
	if (!legal) return illegal(state, "expire");
	return accept(state, { ...state, status: "expired" }, { released: reservedLines(state) });
}

function cancel(state: OrderState): Decision {
	const legal = (state.status === "pending_payment" || state.status === "open") && state.fulfilmentStatus === "unfulfilled";
	if (!legal) return illegal(state, "cancel");
	const outstanding = state.paidMinor - state.refundedMinor;
	return accept(
		state,
		{ ...state, status: "cancelled" },
		{ released: reservedLines(state), ...(outstanding > 0 ? { refundDue: outstanding } : {}) },
	);
}

function fulfil(state: OrderState, requested: readonly LineQuantity[]): Decision {
	const legal =
		state.status === "open" && (state.fulfilmentStatus === "unfulfilled" || state.fulfilmentStatus === "partially_fulfilled");
	if (!legal) return illegal(state, "fulfil");
	if (requested.length === 0) throw new RangeError("a fulfilment needs at least one line");
	const byLine = sumByLine(requested);
	for (const [lineId, quantity] of byLine) {
		const line = state.lines.find((l) => l.id === lineId);
		if (!line) return { ok: false, code: "unknown-line", lineId };
		const remaining = line.quantity - line.fulfilled;
		if (quantity > remaining) return { ok: false, code: "over-fulfilment", lineId, requested: quantity, remaining };
	}
	const lines = state.lines.map((l) => ({ ...l, fulfilled: l.fulfilled + (byLine.get(l.id) ?? 0) }));
	return accept(
		state,
		{ ...state, lines, fulfilmentStatus: fulfilmentStatusOf(lines) },
		{ consumed: [...byLine].map(([lineId, quantity]) => ({ lineId, quantity })) },
	);
}

function markDelivered(state: OrderState, requested: readonly LineQuantity[] | undefined): Decision {
	const legal =
		(state.status === "open" || state.status === "completed") &&
		(state.fulfilmentStatus === "partially_fulfilled" || state.fulfilmentStatus === "fulfilled");
	if (!legal) return illegal(state, "markDelivered");
	let byLine: Map<string, number>;
	if (requested === undefined) {
		byLine = new Map(state.lines.filter((l) => l.fulfilled > l.delivered).map((l) => [l.id, l.fulfilled - l.delivered]));
		if (byLine.size === 0) return { ok: false, code: "nothing-to-deliver" };
	} else {
		if (requested.length === 0) throw new RangeError("a delivery needs at least one line");
		byLine = sumByLine(requested);
		for (const [lineId, quantity] of byLine) {
			const line = state.lines.find((l) => l.id === lineId);
			if (!line) return { ok: false, code: "unknown-line", lineId };
			const undelivered = line.fulfilled - line.delivered;
			if (quantity > undelivered) return { ok: false, code: "over-delivery", lineId, requested: quantity, undelivered };
		}
	}
	const lines = state.lines.map((l) => ({ ...l, delivered: l.delivered + (byLine.get(l.id) ?? 0) }));
	return accept(state, { ...state, lines, fulfilmentStatus: fulfilmentStatusOf(lines) });
}

function refund(state: OrderState, amountMinor: number): Decision {
	const legal =
		(state.status === "open" || state.status === "completed" || state.status === "cancelled") &&
		(state.paymentStatus === "paid" || state.paymentStatus === "partially_refunded");
	if (!legal) return illegal(state, "refund");
	assertMinor(amountMinor, "amountMinor");
	if (amountMinor === 0) throw new RangeError("a refund must be positive");
	const refundableMinor = state.paidMinor - state.refundedMinor;
	if (amountMinor > refundableMinor) return { ok: false, code: "over-refund", requestedMinor: amountMinor, refundableMinor };
	const refundedMinor = state.refundedMinor + amountMinor;
	return accept(state, {
		...state,
		refundedMinor,
		paymentStatus: refundedMinor === state.paidMinor ? "refunded" : "partially_refunded",
	});
}

function lateLegal(state: OrderState): boolean {
	return state.status === "expired" && state.paymentStatus === "pending" && state.fulfilmentStatus === "unfulfilled";
}

function payLate(state: OrderState, amountMinor: number): Decision {
	if (!lateLegal(state)) return illegal(state, "payLate");
	assertMinor(amountMinor, "amountMinor");
	if (amountMinor !== state.totalMinor) {
		return { ok: false, code: "amount-mismatch", expectedMinor: state.totalMinor, receivedMinor: amountMinor };
	}
	const next: OrderState = { ...state, status: "open", paymentStatus: "paid", paidMinor: amountMinor };
	return accept(state, next, { reserved: reservedLines(next) });
}

function refundLate(state: OrderState, amountMinor: number): Decision {
	if (!lateLegal(state)) return illegal(state, "refundLate");
	assertMinor(amountMinor, "amountMinor");
	if (amountMinor !== state.totalMinor || amountMinor === 0) {
		return { ok: false, code: "amount-mismatch", expectedMinor: state.totalMinor, receivedMinor: amountMinor };
	}
	return accept(state, {
		...state,
		status: "cancelled",
		paymentStatus: "refunded",
		paidMinor: amountMinor,
		refundedMinor: amountMinor,
	});
}

function returnRefund(state: OrderState, amountMinor: number): Decision {
	const legal =
		(state.status === "open" || state.status === "completed" || state.status === "cancelled") &&
		(state.paymentStatus === "partially_refunded" || state.paymentStatus === "refunded");
	if (!legal) return illegal(state, "returnRefund");
	assertMinor(amountMinor, "amountMinor");
	if (amountMinor === 0) throw new RangeError("a returned refund must be positive");
	if (amountMinor > state.refundedMinor) {
		return { ok: false, code: "over-return", requestedMinor: amountMinor, refundedMinor: state.refundedMinor };
	}
	const refundedMinor = state.refundedMinor - amountMinor;
	return accept(state, { ...state, refundedMinor, paymentStatus: refundedMinor === 0 ? "paid" : "partially_refunded" });
}

// ---------------------------------------------------------------------------------------------

function holdsStock(status: OrderStatus): boolean {
	return status === "pending_payment" || status === "open";
}

/**
 * Whether an order that is otherwise open is done: the customer's money is in (a later refund
 * does not un-pay it) and the goods are out — delivered, where a courier was booked. Payment
 * counts as settled after refunds too, so a partially refunded order still completes when fulfilled.
 */
function completes(state: OrderState): boolean {
	const paid =
		state.paymentStatus === "paid" || state.paymentStatus === "partially_refunded" || state.paymentStatus === "refunded";
	const shipped = state.courierBooked
		? state.fulfilmentStatus === "delivered"
		: state.fulfilmentStatus === "fulfilled" || state.fulfilmentStatus === "delivered";
	return paid && shipped;
}

function fulfilmentStatusOf(lines: readonly OrderLine[]): FulfilmentStatus {
	if (lines.every((l) => l.delivered === l.quantity)) return "delivered";
	if (lines.every((l) => l.fulfilled === l.quantity)) return "fulfilled";
	if (lines.every((l) => l.fulfilled === 0)) return "unfulfilled";
	return "partially_fulfilled";
}

function reservedLines(state: OrderState): LineQuantity[] {
	return state.lines
		.map((l) => ({ lineId: l.id, quantity: reservedQuantity(state, l.id) }))
		.filter((released) => released.quantity > 0);
}

function sumByLine(requested: readonly LineQuantity[]): Map<string, number> {
	const byLine = new Map<string, number>();
	for (const { lineId, quantity } of requested) {
		assertPositiveCount(quantity, `quantity for line ${lineId}`);
		byLine.set(lineId, (byLine.get(lineId) ?? 0) + quantity);
	}
	return byLine;
}

/** Completes the order if this transition made it paid and fulfilled, and lists what changed. */
function accept(
	before: OrderState,
	after: OrderState,
	extra: { released?: LineQuantity[]; consumed?: LineQuantity[]; refundDue?: number; reserved?: LineQuantity[] } = {},
): Accepted {
	const next: OrderState = after.status === "open" && completes(after) ? { ...after, status: "completed" } : after;
	const changes: StatusChange[] = [];
	if (before.status !== next.status) changes.push({ field: "status", from: before.status, to: next.status });
	if (before.paymentStatus !== next.paymentStatus) {
		changes.push({ field: "paymentStatus", from: before.paymentStatus, to: next.paymentStatus });
	}
	if (before.fulfilmentStatus !== next.fulfilmentStatus) {
		changes.push({ field: "fulfilmentStatus", from: before.fulfilmentStatus, to: next.fulfilmentStatus });
	}
	const refundDue = extra.refundDue === undefined ? {} : { refundDue: extra.refundDue };
	const reserved = extra.reserved === undefined ? {} : { reserved: extra.reserved };
	return { ok: true, next, changes, released: extra.released ?? [], consumed: extra.consumed ?? [], ...refundDue, ...reserved };
}

function illegal(state: OrderState, command: CommandType): Rejection {
	const from = { status: state.status, paymentStatus: state.paymentStatus, fulfilmentStatus: state.fulfilmentStatus };
	return { ok: false, code: "illegal-transition", from, command };
}

function assertMinor(value: number, name: string): void {
	if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

function assertPositiveCount(value: number, name: string): void {
	if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
