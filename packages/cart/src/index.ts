// A cart as pure data: what the Cart Durable Object stores, the edits a shopper makes and the
// priced view the API returns. No Workers or HTTP here, so every rule is unit-tested directly.
//
// Quantities are capped twice: by MAX_LINE_QUANTITY (999, the order-line bound that keeps
// totals exact) and by the units available when the line was last priced. Availability here
// comes from the storefront cache and can be a little stale; checkout re-reads Postgres and
// reserves with a conditional update, so a stale number can only cost a 409, never an oversell.

export const MAX_LINE_QUANTITY = 999;
export const MAX_CART_LINES = 100;

/** What the catalog says about a variant right now (from the storefront cache). */
export interface VariantSnapshot {
	variantId: string;
	productId: string;
	handle: string;
	title: string;
	variantTitle: string;
	image: string | null;
	priceMinor: number;
	currency: string;
	available: number;
}

/** A variant with the store it belongs to, as the catalog answers a cart's lookup. */
export interface StorefrontVariantSnapshot {
	storeId: string;
	currency: string;
	variant: VariantSnapshot;
}

export interface StoredLine {
	id: string;
	variantId: string;
	productId: string;
	handle: string;
	title: string;
	variantTitle: string;
	image: string | null;
	quantity: number;
	/** The unit price the shopper saw when adding the line. */
	priceWhenAddedMinor: number;
	/** The latest known unit price and availability (refreshed whenever the line is priced). */
	priceMinor: number;
	available: number;
}

/** A discount's terms as the cart shows them; checkout re-checks everything in SQL. */
export interface DiscountTerms {
	code: string;
	kind: "percentage" | "fixed";
	percentOff: number | null;
	amountOffMinor: number | null;
	minSubtotalMinor: number | null;
	endsAt: string | null;
}

export interface StoredCart {
	id: string;
	storeId: string;
	currency: string;
	status: "open" | "checking_out" | "checked_out";
	lines: StoredLine[];
	nextLine: number;
	discount: DiscountTerms | null;
	orderId: string | null;
	/** Left at checkout; an abandoned cart with a contact is reported for a reminder. */
	contact: { email: string | null; phone: string | null } | null;
	checkoutStartedAt: number | null;
	createdAt: number;
	updatedAt: number;
}

export type CartEdit = { ok: true; cart: StoredCart } | { ok: false; code: CartRefusal; message: string };
export type CartRefusal = "sold-out" | "too-many-lines" | "unknown-line" | "currency-mismatch" | "frozen";

export function emptyCart(id: string, storeId: string, currency: string, now: number): StoredCart {
	return {
		id,
		storeId,
		currency,
		status: "open",
		lines: [],
		nextLine: 1,
		discount: null,
		orderId: null,
		contact: null,
		checkoutStartedAt: null,
		createdAt: now,
		updatedAt: now,
	};
}

/** The most of a variant a line may hold given what is available. */
export function lineCap(available: number): number {
	return Math.max(0, Math.min(MAX_LINE_QUANTITY, Math.floor(available)));
}

function editable(cart: StoredCart): CartEdit | null {
	return cart.status === "open" ? null : { ok: false, code: "frozen", message: "This cart has been checked out." };
}

/**
 * Adds units of a variant: merged into its existing line (one line per variant), capped by
 * availability and the per-line maximum. Sold out is a refusal; a cap is not (the line holds
 * what can be bought and the view says how many are available).
 */
export function addLine(cart: StoredCart, snapshot: VariantSnapshot, quantity: number, now: number): CartEdit {
	const frozen = editable(cart);
	if (frozen) return frozen;
	if (snapshot.currency !== cart.currency) {
		return { ok: false, code: "currency-mismatch", message: "That item is priced in another currency." };
	}
	const cap = lineCap(snapshot.available);
	const existing = cart.lines.find((l) => l.variantId === snapshot.variantId);
	if (cap === 0) return { ok: false, code: "sold-out", message: `${snapshot.title} is sold out.` };
	if (!existing && cart.lines.length >= MAX_CART_LINES) {
		return { ok: false, code: "too-many-lines", message: `A cart holds at most ${MAX_CART_LINES} different items.` };
	}
	const fresh = { priceMinor: snapshot.priceMinor, available: snapshot.available };
	const lines = existing
		? cart.lines.map((l) =>
				l === existing ? { ...l, ...fresh, quantity: Math.min(cap, l.quantity + quantity), title: snapshot.title } : l,
			)
		: [
				...cart.lines,
				{
					id: `ln_${cart.nextLine.toString(36)}`,
					variantId: snapshot.variantId,
					productId: snapshot.productId,
					handle: snapshot.handle,
					title: snapshot.title,
					variantTitle: snapshot.variantTitle,
					image: snapshot.image,
					quantity: Math.min(cap, quantity),
					priceWhenAddedMinor: snapshot.priceMinor,
					...fresh,
				},
			];
	return { ok: true, cart: { ...cart, lines, nextLine: existing ? cart.nextLine : cart.nextLine + 1, updatedAt: now } };
}

/** Sets a line's quantity, capped by the last known availability and the per-line maximum. */
export function setQuantity(cart: StoredCart, lineId: string, quantity: number, now: number): CartEdit {
	const frozen = editable(cart);
	if (frozen) return frozen;
	const line = cart.lines.find((l) => l.id === lineId);
	if (!line) return { ok: false, code: "unknown-line", message: "No such line in this cart." };
	const cap = lineCap(line.available);
	if (cap === 0) return { ok: false, code: "sold-out", message: `${line.title} is sold out.` };
	const lines = cart.lines.map((l) => (l === line ? { ...l, quantity: Math.min(cap, quantity) } : l));
	return { ok: true, cart: { ...cart, lines, updatedAt: now } };
}

export function removeLine(cart: StoredCart, lineId: string, now: number): CartEdit {
	const frozen = editable(cart);
	if (frozen) return frozen;
	if (!cart.lines.some((l) => l.id === lineId)) return { ok: false, code: "unknown-line", message: "No such line in this cart." };
	return { ok: true, cart: { ...cart, lines: cart.lines.filter((l) => l.id !== lineId), updatedAt: now } };
}

export function setDiscount(cart: StoredCart, discount: DiscountTerms | null, now: number): CartEdit {
	const frozen = editable(cart);
	if (frozen) return frozen;
	return { ok: true, cart: { ...cart, discount, updatedAt: now } };
}

/** Latest prices and availability for the lines (variants the catalog no longer sells are left as they were). */
export function refreshLines(cart: StoredCart, snapshots: ReadonlyMap<string, VariantSnapshot>): StoredCart {
	let changed = false;
	const lines = cart.lines.map((l) => {
		const s = snapshots.get(l.variantId);
		if (!s || (s.priceMinor === l.priceMinor && s.available === l.available)) return l;
		changed = true;
		return { ...l, priceMinor: s.priceMinor, available: s.available };
	});
	return changed ? { ...cart, lines } : cart;
}

/**
 * A discount's amount on a subtotal, rounded down to a whole minor unit (the shopper never gets
 * more than the stated percentage), and never more than the subtotal. Checkout computes the
 * same in SQL: `subtotal * percent / 100` with integer division.
 */
export function discountAmount(terms: DiscountTerms, subtotalMinor: number): number {
	if (terms.kind === "percentage") return Math.floor((subtotalMinor * (terms.percentOff ?? 0)) / 100);
	return Math.min(subtotalMinor, terms.amountOffMinor ?? 0);
}

export interface PricedCart {
	id: string;
	currency: string;
	status: "open" | "checked_out";
	lines: {
		id: string;
		variantId: string;
		productId: string;
		handle: string;
		title: string;
		variantTitle: string;
		image: string | null;
		quantity: number;
		unitPriceMinor: number;
		lineTotalMinor: number;
		priceWhenAddedMinor: number;
		priceChanged: boolean;
		available: number;
	}[];
	subtotalMinor: number;
	discount: { code: string; amountMinor: number; applies: boolean; reason: string | null } | null;
	discountMinor: number;
	totalMinor: number;
	orderId: string | null;
	updatedAt: string;
}

/** The cart as the API shows it: every line at the price it will be charged now. */
export function priceCart(cart: StoredCart, now: number): PricedCart {
	const lines = cart.lines.map((l) => ({
		id: l.id,
		variantId: l.variantId,
		productId: l.productId,
		handle: l.handle,
		title: l.title,
		variantTitle: l.variantTitle,
		image: l.image,
		quantity: l.quantity,
		unitPriceMinor: l.priceMinor,
		lineTotalMinor: l.priceMinor * l.quantity,
		priceWhenAddedMinor: l.priceWhenAddedMinor,
		priceChanged: l.priceMinor !== l.priceWhenAddedMinor,
		available: Math.max(0, l.available),
	}));
	const subtotalMinor = lines.reduce((sum, l) => sum + l.lineTotalMinor, 0);
	let discount: PricedCart["discount"] = null;
	if (cart.discount) {
		const terms = cart.discount;
		const reason =
			terms.endsAt !== null && Date.parse(terms.endsAt) <= now
				? "This code has expired."
				: terms.minSubtotalMinor !== null && subtotalMinor < terms.minSubtotalMinor
					? `Applies to orders of at least ${terms.minSubtotalMinor} (minor units).`
					: null;
		const amountMinor = reason === null ? discountAmount(terms, subtotalMinor) : 0;
		discount = { code: terms.code, amountMinor, applies: reason === null, reason };
	}
	const discountMinor = discount?.amountMinor ?? 0;
	return {
		id: cart.id,
		currency: cart.currency,
		status: cart.status === "checked_out" ? "checked_out" : "open",
		lines,
		subtotalMinor,
		discount,
		discountMinor,
		totalMinor: subtotalMinor - discountMinor,
		orderId: cart.orderId,
		updatedAt: new Date(cart.updatedAt).toISOString(),
	};
}
