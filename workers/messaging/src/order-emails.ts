import type { Order, RequestContext, Result } from "@oja/contracts";
import type { Database } from "@oja/db";
import type { EmailMessage, OrderEmailData } from "@oja/email";
import type { AnyTypedEnvelope } from "@oja/events";
import type { StoreNoticeRecipient } from "./merchant-notices.ts";

// oja-messaging-events → order emails: the confirmation to the customer (when the order has an
// email) and a new-order notice to the store's owner when an order is confirmed (paid online, or
// placed for pay on delivery); the shipping notice when fulfilment reaches `fulfilled`. Each is
// queued on oja-email under `<event id>:<role>`, so a redelivered event queues the same keys and
// the email consumer sends each once. The customer's emails link to their order page with the
// order's token (commerce makes the path; messaging never holds the secret). The owner's address
// is read from identity's users and memberships (read-only), as for every merchant notice
// (merchant-notices.ts: payouts, webhooks).

export interface OrderEmailDeps {
	db: Database;
	/** Commerce's orderForNotice: the order, and its shopper page's path with the order's token. */
	order: (storeId: string, orderId: string, ctx: RequestContext) => Promise<Result<Order & { shopperPath?: string | null }>>;
	send: (messages: EmailMessage[]) => Promise<void>;
	/** The store's name and owner's address (merchant-notices.ts; memoised per batch). */
	recipient: (storeId: string) => Promise<StoreNoticeRecipient | null>;
	/** Where the storefront is (PUBLIC_BASE_URL): the shopper's link is made absolute on it. */
	publicBaseUrl: string;
}

type OrderForNotice = Order & { shopperPath: string | null };
type OrderLookup = (storeId: string, orderId: string, ctx: RequestContext) => Promise<Result<OrderForNotice>>;

/**
 * The orders a queue batch of order events is about, read in one round trip (`loadMany`,
 * commerce's ordersForNotice), as an `order` lookup for the batch's handlers: an order read
 * up front is answered from memory, matched on its store too; anything else (not an order
 * event, not found, the batch read failed) is read on its own as before (`loadOne`).
 */
export async function batchOrders(
	messages: readonly Message<unknown>[],
	loadMany: (
		wanted: { storeId: string; orderId: string }[],
	) => Promise<Result<Record<string, { storeId: string; order: OrderForNotice }>>>,
	loadOne: OrderLookup,
): Promise<OrderLookup> {
	const wanted = new Map<string, { storeId: string; orderId: string }>();
	for (const { body } of messages) {
		const event = body as { type?: unknown; payload?: { storeId?: unknown; orderId?: unknown } } | null;
		const storeId = event?.payload?.storeId;
		const orderId = event?.payload?.orderId;
		if (
			typeof event?.type === "string" &&
			event.type.startsWith("order.") &&
			typeof storeId === "string" &&
			typeof orderId === "string"
		) {
			wanted.set(orderId, { storeId, orderId });
		}
	}
	let read: Record<string, { storeId: string; order: OrderForNotice }> = {};
	if (wanted.size > 1) {
		const result = await loadMany([...wanted.values()]).catch(() => null);
		if (result?.ok) read = result.value;
	}
	return (storeId, orderId, ctx) => {
		const found = Object.hasOwn(read, orderId) ? read[orderId] : undefined;
		return found && found.storeId === storeId
			? Promise.resolve({ ok: true, value: found.order })
			: loadOne(storeId, orderId, ctx);
	};
}

type Kind = "confirmed" | "shipped";

function kindOf(event: AnyTypedEnvelope): { storeId: string; orderId: string; kind: Kind } | null {
	switch (event.type) {
		case "order.paid":
			return { storeId: event.payload.storeId, orderId: event.payload.orderId, kind: "confirmed" };
		case "order.created":
			return event.payload.paymentMethod === "pay_on_delivery"
				? { storeId: event.payload.storeId, orderId: event.payload.orderId, kind: "confirmed" }
				: null;
		case "order.status_changed":
			return event.payload.field === "fulfilmentStatus" && event.payload.to === "fulfilled"
				? { storeId: event.payload.storeId, orderId: event.payload.orderId, kind: "shipped" }
				: null;
		default:
			return null;
	}
}

/** The shopper's order page with its token, on Oja's own origin only (never a path commerce did not make). */
export function shopperLink(publicBaseUrl: string, path: string | null): string | null {
	if (!path?.startsWith("/s/")) return null;
	try {
		const origin = new URL(publicBaseUrl);
		const url = new URL(path, origin);
		return url.origin === origin.origin && /^https?:$/.test(url.protocol) ? url.href : null;
	} catch {
		return null;
	}
}

export async function orderEmailsFor(event: AnyTypedEnvelope, deps: OrderEmailDeps): Promise<number> {
	const wanted = kindOf(event);
	if (!wanted) return 0;
	const store = await deps.recipient(wanted.storeId);
	if (!store) return 0;
	const order = await deps.order(wanted.storeId, wanted.orderId, { requestId: `evt-${event.id.slice(-26)}` });
	if (!order.ok) throw new Error(`order unreadable: ${order.problem.status}`);
	const o = order.value;
	const data: OrderEmailData = {
		storeName: store.name,
		orderNumber: o.number,
		customerName: o.customer.name,
		currency: o.currency,
		lines: o.lines.map((l) => ({
			title: l.title,
			variantTitle: l.variantTitle,
			quantity: l.quantity,
			lineTotalMinor: l.lineTotalMinor,
		})),
		subtotalMinor: o.subtotalMinor,
		discountMinor: o.discountMinor,
		deliveryMinor: o.deliveryMinor,
		totalMinor: o.totalMinor,
		paymentMethod: o.paymentMethod,
		deliveryName: o.delivery.name,
		// The merchant's notice has none: the dashboard is not built yet, and the shopper's link is
		// the shopper's capability, not the merchant's.
		link: null,
	};
	// The customer's: their order page with its token, which commerce made (messaging never holds
	// the token secret). Only an http(s) URL on the storefront's origin, else no link.
	const customerLink = shopperLink(deps.publicBaseUrl, o.shopperPath ?? null);
	const messages: EmailMessage[] = [];
	const base = { storeId: wanted.storeId, data };
	if (o.customer.email) {
		messages.push({
			...base,
			data: { ...data, link: customerLink },
			key: `${event.id}:customer`,
			to: o.customer.email,
			template: wanted.kind === "confirmed" ? "order_confirmation" : "shipping_notice",
		});
	}
	if (wanted.kind === "confirmed" && store.ownerEmail) {
		messages.push({ ...base, key: `${event.id}:merchant`, to: store.ownerEmail, template: "merchant_new_order" });
	}
	if (messages.length > 0) await deps.send(messages);
	return messages.length;
}
