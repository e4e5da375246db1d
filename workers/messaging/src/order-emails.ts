import type { Order, RequestContext, Result } from "@oja/contracts";
import type { Database } from "@oja/db";
import type { EmailMessage, OrderEmailData } from "@oja/email";
import type { AnyTypedEnvelope } from "@oja/events";
import { storeNoticeRecipient } from "./merchant-notices.ts";

// oja-messaging-events → order emails: the confirmation to the customer (when the order has an
// email) and a new-order notice to the store's owner when an order is confirmed (paid online, or
// placed for pay on delivery); the shipping notice when fulfilment reaches `fulfilled`. Each is
// queued on oja-email under `<event id>:<role>`, so a redelivered event queues the same keys and
// the email consumer sends each once. The owner's address is read from identity's users and
// memberships (read-only), as for every merchant notice (merchant-notices.ts: payouts, webhooks).

export interface OrderEmailDeps {
	db: Database;
	order: (storeId: string, orderId: string, ctx: RequestContext) => Promise<Result<Order>>;
	send: (messages: EmailMessage[]) => Promise<void>;
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

export async function orderEmailsFor(event: AnyTypedEnvelope, deps: OrderEmailDeps): Promise<number> {
	const wanted = kindOf(event);
	if (!wanted) return 0;
	const store = await storeNoticeRecipient(deps.db, wanted.storeId);
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
		// No page shows an order to a shopper without its order token (a capability issued at
		// checkout, not put in email), and the merchant dashboard is not built yet.
		link: null,
	};
	const messages: EmailMessage[] = [];
	const base = { storeId: wanted.storeId, data };
	if (o.customer.email) {
		messages.push({
			...base,
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
