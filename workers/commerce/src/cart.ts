import { DurableObject } from "cloudflare:workers";
import {
	addLine,
	type CartEdit,
	type DiscountTerms,
	emptyCart,
	refreshLines,
	removeLine,
	type StoredCart,
	setDiscount,
	setQuantity,
	type VariantSnapshot,
} from "@oja/cart";
import { createDb } from "@oja/db";
import { appendEvent, relayOutbox } from "@oja/events";

// One shopper's cart, addressed by `${storeId}:${cartId}`: a cart id presented at another
// store names a different (empty, never created) object, so it is simply not found. The state
// is one value in the object's SQLite-backed storage, read and written with the synchronous KV
// API, so each method below is atomic (nothing awaits between reading and writing).
//
// An alarm deletes the cart after CART_IDLE_SECONDS without a change; if the shopper had left
// a contact at checkout and never ordered, `cart.abandoned` goes through the outbox first.

const KEY = "cart";
const ALARM_SET = "alarm";
/** A checkout that started this long ago and never finished (its Worker died) no longer blocks edits. */
const CHECKOUT_LEASE_MS = 60_000;

export type BeginCheckout =
	| { ok: true; cart: StoredCart }
	| { ok: false; code: "not-found" | "checked-out" | "empty"; orderId: string | null };

export class Cart extends DurableObject<CommerceEnv> {
	private load(): StoredCart | null {
		const cart = this.ctx.storage.kv.get<StoredCart>(KEY) ?? null;
		// A checkout whose Worker died never finished: after its lease the shopper can edit again
		// (if it did commit, the one-order-per-cart index refuses a second order).
		if (cart?.status === "checking_out" && (cart.checkoutStartedAt ?? 0) + CHECKOUT_LEASE_MS <= Date.now()) {
			return { ...cart, status: "open", checkoutStartedAt: null };
		}
		return cart;
	}

	private save(cart: StoredCart): StoredCart {
		this.ctx.storage.kv.put(KEY, cart);
		// One alarm, set when the cart is created: when it fires, the handler reschedules it if the
		// cart was touched since, so an edit costs one storage write, not two.
		if (this.ctx.storage.kv.get<number>(ALARM_SET) === undefined) {
			const idleMs = Number(this.env.CART_IDLE_SECONDS || 604_800) * 1000;
			this.ctx.storage.kv.put(ALARM_SET, 1);
			// Fire-and-forget is safe: storage writes and alarm changes are applied in order.
			void this.ctx.storage.setAlarm(cart.updatedAt + idleMs);
		}
		return cart;
	}

	private edit(change: (cart: StoredCart) => CartEdit): CartEdit | { ok: false; code: "not-found"; message: string } {
		const cart = this.load();
		if (!cart) return { ok: false, code: "not-found", message: "No such cart." };
		const result = change(cart);
		if (result.ok) this.save(result.cart);
		return result;
	}

	/**
	 * Creates the cart (idempotent: the same id again returns what exists). A cart started in a
	 * WhatsApp chat knows its shopper's number from the start, so it can be reported abandoned
	 * (one reminder) without reaching checkout.
	 */
	create(id: string, storeId: string, currency: string, contact: StoredCart["contact"] = null): StoredCart {
		return this.load() ?? this.save({ ...emptyCart(id, storeId, currency, Date.now()), contact });
	}

	get(): StoredCart | null {
		return this.load();
	}

	add(snapshot: VariantSnapshot, quantity: number) {
		return this.edit((cart) => addLine(cart, snapshot, quantity, Date.now()));
	}

	setQuantity(lineId: string, quantity: number) {
		return this.edit((cart) => setQuantity(cart, lineId, quantity, Date.now()));
	}

	remove(lineId: string) {
		return this.edit((cart) => removeLine(cart, lineId, Date.now()));
	}

	setDiscount(terms: DiscountTerms | null) {
		return this.edit((cart) => setDiscount(cart, terms, Date.now()));
	}

	/** Remembers the latest prices and availability (does not count as shopper activity). */
	refresh(snapshots: VariantSnapshot[]): StoredCart | null {
		const cart = this.load();
		if (!cart) return null;
		const fresh = refreshLines(cart, new Map(snapshots.map((s) => [s.variantId, s])));
		if (fresh !== cart) this.ctx.storage.kv.put(KEY, fresh);
		return fresh;
	}

	/**
	 * Freezes the cart for checkout and returns its lines; edits are refused until it finishes or
	 * its lease lapses. A second checkout meanwhile is let through on purpose: the database
	 * decides (the same Idempotency-Key replays the first order, another key meets the
	 * one-order-per-cart index), so concurrent requests with one key get one order.
	 */
	beginCheckout(contact: { email: string | null; phone: string | null }): BeginCheckout {
		const cart = this.load();
		if (!cart) return { ok: false, code: "not-found", orderId: null };
		if (cart.status === "checked_out") return { ok: false, code: "checked-out", orderId: cart.orderId };
		const now = Date.now();
		if (cart.lines.length === 0) return { ok: false, code: "empty", orderId: null };
		const frozen: StoredCart = {
			...cart,
			status: "checking_out",
			contact,
			checkoutStartedAt: cart.status === "checking_out" ? cart.checkoutStartedAt : now,
			updatedAt: now,
		};
		return { ok: true, cart: this.save(frozen) };
	}

	finishCheckout(orderId: string): void {
		const cart = this.load();
		if (!cart) return;
		this.save({ ...cart, status: "checked_out", orderId, checkoutStartedAt: null, updatedAt: Date.now() });
	}

	/** The checkout failed (out of stock, a bad code): the shopper can edit and try again. */
	abortCheckout(): void {
		const cart = this.load();
		if (cart?.status !== "checking_out") return;
		this.save({ ...cart, status: "open", checkoutStartedAt: null, updatedAt: Date.now() });
	}

	override async alarm(): Promise<void> {
		const cart = this.load();
		if (!cart) return;
		const idleMs = Number(this.env.CART_IDLE_SECONDS || 604_800) * 1000;
		if (cart.updatedAt + idleMs > Date.now()) {
			await this.ctx.storage.setAlarm(cart.updatedAt + idleMs);
			return;
		}
		const contact = cart.contact;
		if (cart.status !== "checked_out" && contact && (contact.email || contact.phone) && cart.lines.length > 0) {
			const db = createDb(this.env);
			const [result] = await db.batch([
				appendEvent(
					db,
					{
						type: "cart.abandoned",
						storeId: cart.storeId,
						aggregateId: cart.id,
						payload: {
							storeId: cart.storeId,
							cartId: cart.id,
							email: contact.email,
							phone: contact.phone,
							itemCount: cart.lines.reduce((n, l) => n + l.quantity, 0),
							subtotalMinor: cart.lines.reduce((n, l) => n + l.priceMinor * l.quantity, 0),
							currency: cart.currency,
						},
					},
					null,
				),
			]);
			const ids = result.rows.map((r) => String((r as { id: unknown }).id));
			// If the relay fails the ops sweep publishes it; the event is committed either way.
			await relayOutbox({
				db,
				queues: {
					EVENTS: this.env.EVENTS,
					STOREFRONT_CACHE: this.env.STOREFRONT_CACHE,
					ORDER_EVENTS: this.env.ORDER_EVENTS,
					MESSAGING_EVENTS: this.env.MESSAGING_EVENTS,
					WEBHOOK_EVENTS: this.env.WEBHOOK_EVENTS,
				},
				ids,
			}).catch(() => undefined);
		}
		// If the event could not be written, the alarm throws above and is retried; only then is
		// the cart gone.
		await this.ctx.storage.deleteAlarm();
		await this.ctx.storage.deleteAll();
	}
}
