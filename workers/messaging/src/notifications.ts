import type { Order, RequestContext, Result } from "@oja/contracts";
import type { Database } from "@oja/db";
import type { AnyTypedEnvelope } from "@oja/events";
import { sql } from "drizzle-orm";
import type { ChannelStore } from "./channels.ts";
import type { NoticeInput } from "./conversation.ts";
import { shopperLink } from "./order-emails.ts";
import { orderNotice } from "./replies.ts";

// oja-messaging-events → order notices on WhatsApp: confirmed (paid online, or placed for pay
// on delivery), shipped, delivered. Sent only to customers who have written to the store on
// WhatsApp (the conversation exists), by the conversation's Durable Object, which picks text or
// the approved template by the 24-hour window. The notice's message id derives from the event
// id, so a redelivered event queues nothing new.

export interface NoticeDeps {
	db: Database;
	order: (storeId: string, orderId: string, ctx: RequestContext) => Promise<Result<Order & { shopperPath: string | null }>>;
	/** Where the order page's link points (PUBLIC_BASE_URL). */
	publicBaseUrl: string;
	/** Whether the store has a WhatsApp channel at all (storeHasChannel, memoised per batch). */
	hasChannel: (storeId: string) => Promise<boolean>;
	notify: (storeId: string, waId: string, notice: NoticeInput) => Promise<{ queued: string | null }>;
	cartReminder: (
		storeId: string,
		waId: string,
		reminder: { store: ChannelStore; cartId: string; itemCount: number; subtotalMinor: number; currency: string },
	) => Promise<{ queued: string | null }>;
}

type NoticeKind = "confirmed" | "shipped" | "delivered";

function noticeKind(event: AnyTypedEnvelope): { storeId: string; orderId: string; kind: NoticeKind } | null {
	const p = event.payload as Record<string, unknown>;
	const storeId = String(p.storeId ?? "");
	const orderId = String(p.orderId ?? "");
	if (event.type === "order.paid") return { storeId, orderId, kind: "confirmed" };
	if (event.type === "order.created" && p.paymentMethod === "pay_on_delivery") return { storeId, orderId, kind: "confirmed" };
	if (event.type === "order.status_changed" && p.field === "fulfilmentStatus") {
		if (p.to === "fulfilled") return { storeId, orderId, kind: "shipped" };
		if (p.to === "delivered") return { storeId, orderId, kind: "delivered" };
	}
	return null;
}

export async function storeHasChannel(db: Database, storeId: string): Promise<boolean> {
	const found = await db.execute(sql`SELECT 1 FROM whatsapp_channels WHERE store_id = ${storeId}`);
	return found.rows.length > 0;
}

/** cart.abandoned for a chat cart: one reminder, by the conversation that owns the cart. */
async function cartReminderFor(event: AnyTypedEnvelope, deps: NoticeDeps): Promise<void> {
	const p = event.payload as {
		storeId: string;
		cartId: string;
		phone: string | null;
		itemCount: number;
		subtotalMinor: number;
		currency: string;
	};
	if (!p.phone) return;
	const waId = p.phone.replace(/^\+/, "");
	const found = await deps.db.execute<{ slug: string; name: string; currency: string }>(sql`
		SELECT s.slug, s.name, s.currency FROM conversations c JOIN stores s ON s.id = c.store_id
		WHERE c.store_id = ${p.storeId} AND c.wa_id = ${waId}`);
	const row = found.rows[0];
	if (!row) return;
	await deps.cartReminder(p.storeId, waId, {
		store: { storeId: p.storeId, slug: row.slug, name: row.name, currency: row.currency },
		cartId: p.cartId,
		itemCount: p.itemCount,
		subtotalMinor: p.subtotalMinor,
		currency: p.currency,
	});
}

export async function orderNoticeFor(event: AnyTypedEnvelope, deps: NoticeDeps): Promise<void> {
	if (event.type === "cart.abandoned") return cartReminderFor(event, deps);
	const wanted = noticeKind(event);
	if (!wanted) return;
	// Most stores have no channel: asked once per store per batch, not once per order.
	if (!(await deps.hasChannel(wanted.storeId))) return;
	const ctx = { requestId: `evt-${event.id.slice(-26)}` };
	// The customer's conversation next: most orders placed on the storefront have none.
	const found = await deps.db.execute<{ slug: string; name: string; currency: string; phone: string }>(sql`
		SELECT s.slug, s.name, s.currency, o.phone
		FROM orders o JOIN stores s ON s.id = o.store_id JOIN whatsapp_channels ch ON ch.store_id = o.store_id
		JOIN conversations c ON c.store_id = o.store_id AND c.wa_id = ltrim(o.phone, '+')
		WHERE o.id = ${wanted.orderId} AND o.store_id = ${wanted.storeId}`);
	const row = found.rows[0];
	if (!row) return;
	const order = await deps.order(wanted.storeId, wanted.orderId, ctx);
	if (!order.ok) throw new Error(`order ${wanted.orderId} unreadable: ${order.problem.status}`);
	const store: ChannelStore = { storeId: wanted.storeId, slug: row.slug, name: row.name, currency: row.currency };
	// The chat is the customer's own: the order page's link (with its token) goes in it, so a chat
	// shopper can follow the order without ever having opened the store's pages.
	const notice = orderNotice(wanted.kind, order.value, row.name, shopperLink(deps.publicBaseUrl, order.value.shopperPath));
	await deps.notify(wanted.storeId, row.phone.replace(/^\+/, ""), { store, key: event.id, ...notice });
}
