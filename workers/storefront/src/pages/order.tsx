import { type Currency, formatMoney, type Order, type PublicStore } from "@oja/contracts";
import { raw } from "hono/html";
import { Layout } from "./layout.tsx";

// The shopper's order page: the truth on every load (works without JavaScript), and live
// updates over the order's WebSocket when scripts run. The page is private to the holder of the
// order's token (a cookie set at checkout), so the token can be handed to the script for the
// socket's subprotocol; the page is never cached.

const STATUS_TEXT: Record<Order["status"], string> = {
	pending_payment: "Awaiting payment",
	open: "Confirmed",
	completed: "Completed",
	cancelled: "Cancelled",
	expired: "Expired (not paid in time)",
};
const PAYMENT_TEXT: Record<Order["paymentStatus"], string> = {
	pending: "Not paid",
	paid: "Paid",
	partially_refunded: "Partly refunded",
	refunded: "Refunded",
	due_on_delivery: "Pay on delivery",
};
const FULFILMENT_TEXT: Record<Order["fulfilmentStatus"], string> = {
	unfulfilled: "Being prepared",
	partially_fulfilled: "Partly sent",
	fulfilled: "Sent",
	delivered: "Delivered",
};

/** What a shopper may see of the timeline: what happened and when, not who on the staff did it. */
function timelineText(entry: NonNullable<Order["timeline"]>[number]): string {
	if (entry.kind === "created") return "Order placed";
	if (entry.kind === "fulfilment") return "Items sent";
	if (entry.field === "status" && entry.to) return STATUS_TEXT[entry.to as Order["status"]] ?? entry.to;
	if (entry.field === "paymentStatus" && entry.to) return PAYMENT_TEXT[entry.to as Order["paymentStatus"]] ?? entry.to;
	if (entry.field === "fulfilmentStatus" && entry.to) return FULFILMENT_TEXT[entry.to as Order["fulfilmentStatus"]] ?? entry.to;
	return entry.kind;
}

// The client: one socket, the current state first, then every change; reconnects with backoff.
// Text only (textContent), so nothing from the server is ever parsed as HTML.
const LIVE_SCRIPT = `
(function () {
	var el = document.getElementById("order");
	if (!el || !window.WebSocket) return;
	var url = el.getAttribute("data-live"), token = el.getAttribute("data-token");
	var text = JSON.parse(document.getElementById("order-text").textContent);
	var delay = 1000;
	function set(id, value) { var n = document.getElementById(id); if (n) n.textContent = value; }
	function show(order) {
		set("order-status", text.status[order.status] || order.status);
		set("payment-status", text.payment[order.paymentStatus] || order.paymentStatus);
		set("fulfilment-status", text.fulfilment[order.fulfilmentStatus] || order.fulfilmentStatus);
		el.setAttribute("data-status", order.status);
		el.setAttribute("data-payment", order.paymentStatus);
		var pay = document.getElementById("pay");
		if (pay && order.paymentStatus !== "pending") pay.hidden = true;
		el.setAttribute("data-fulfilment", order.fulfilmentStatus);
		(order.lines || []).forEach(function (l) { set("sent-" + l.id, String(l.fulfilledQuantity)); });
		set("live-state", "Live");
	}
	function connect() {
		var proto = location.protocol === "https:" ? "wss:" : "ws:";
		var ws = new WebSocket(proto + "//" + location.host + url, ["oja-order-token", token]);
		ws.onmessage = function (m) {
			try { var msg = JSON.parse(m.data); if (msg.type === "order" && msg.order) { delay = 1000; show(msg.order); } } catch (e) {}
		};
		ws.onclose = function () { set("live-state", "Reconnecting…"); setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
	}
	connect();
})();
`;

/** Set on the order page after the payment page (?reference=) or a failed attempt to reach it. */
export type PaymentNote = "received" | "failed" | "review" | "unavailable" | null;

export function OrderPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	order: Order;
	/** The socket path (same host) and the token for its subprotocol. */
	live: { path: string; token: string };
	placed: boolean;
	/** What the shopper's return from the payment page (or a failed attempt to reach it) said. */
	payment?: PaymentNote;
}) {
	const { store, base, order } = props;
	const currency = order.currency as Currency;
	const awaitingPayment =
		order.paymentMethod === "online" && order.paymentStatus === "pending" && order.status === "pending_payment";
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`Order #${order.number} · ${store.name}`}
			og={{
				title: `Order #${order.number} · ${store.name}`,
				description: `Your order at ${store.name}`,
				url: `${props.origin}${base}/orders/${order.id}`,
			}}
		>
			<section
				id="order"
				data-live={props.live.path}
				data-token={props.live.token}
				data-status={order.status}
				data-payment={order.paymentStatus}
				data-fulfilment={order.fulfilmentStatus}
			>
				<h1>Order #{order.number}</h1>
				{props.placed ? (
					<p role="status" id="placed">
						Thank you, {order.customer.name}. Your order is placed.
					</p>
				) : null}
				{awaitingPayment ? (
					<div id="pay">
						<p role="status" id="payment-note">
							{props.payment === "received"
								? "Payment received — confirming your order…"
								: props.payment === "review"
									? "We received a payment we could not apply to this order automatically. The store has been told and will confirm or refund it; please do not pay again."
									: props.payment === "failed"
										? "Payment failed — nothing was charged. Try again."
										: props.payment === "unavailable"
											? "Online payment cannot be reached right now; your order is saved. Try again in a moment."
											: `Pay to confirm your order. The items are held for you until ${order.expiresAt ? new Date(order.expiresAt).toUTCString() : "the hold ends"}.`}
						</p>
						{props.payment === "received" || props.payment === "review" ? null : (
							<form method="post" action={`${base}/orders/${order.id}/pay`}>
								<button type="submit" id="pay-now">
									{props.payment === "failed" ? "Try again" : `Pay ${formatMoney(order.totalMinor, currency)}`}
								</button>
							</form>
						)}
					</div>
				) : null}
				<dl>
					<dt>Order</dt>
					<dd id="order-status">{STATUS_TEXT[order.status]}</dd>
					<dt>Payment</dt>
					<dd id="payment-status">{PAYMENT_TEXT[order.paymentStatus]}</dd>
					<dt>Delivery</dt>
					<dd id="fulfilment-status">{FULFILMENT_TEXT[order.fulfilmentStatus]}</dd>
				</dl>
				<p>
					<small id="live-state">Reload to see the latest status.</small>
				</p>
				<h2>Items</h2>
				<table>
					<thead>
						<tr>
							<th>Item</th>
							<th>Qty</th>
							<th>Sent</th>
							<th>Price</th>
						</tr>
					</thead>
					<tbody>
						{order.lines.map((line) => (
							<tr>
								<td>
									{line.title}
									{line.variantTitle && line.variantTitle !== "Default" ? ` (${line.variantTitle})` : ""}
								</td>
								<td>{line.quantity}</td>
								<td id={`sent-${line.id}`}>{line.fulfilledQuantity}</td>
								<td>{formatMoney(line.lineTotalMinor, currency)}</td>
							</tr>
						))}
					</tbody>
				</table>
				<p>
					Subtotal: {formatMoney(order.subtotalMinor, currency)}
					{order.discountMinor > 0 ? (
						<>
							<br />
							Discount{order.discountCode ? ` (${order.discountCode})` : ""}: −{formatMoney(order.discountMinor, currency)}
						</>
					) : null}
					<br />
					{order.delivery.name}: {order.deliveryMinor > 0 ? formatMoney(order.deliveryMinor, currency) : "free"}
					<br />
					Total: <strong id="order-total">{formatMoney(order.totalMinor, currency)}</strong>
				</p>
				{order.timeline && order.timeline.length > 0 ? (
					<>
						<h2>History</h2>
						<ol id="timeline">
							{order.timeline.map((entry) => (
								<li>
									<time datetime={entry.at}>{new Date(entry.at).toUTCString()}</time> — {timelineText(entry)}
								</li>
							))}
						</ol>
					</>
				) : null}
			</section>
			<script type="application/json" id="order-text">
				{raw(
					JSON.stringify({ status: STATUS_TEXT, payment: PAYMENT_TEXT, fulfilment: FULFILMENT_TEXT }).replace(/</g, "\\u003c"),
				)}
			</script>
			<script>{raw(LIVE_SCRIPT)}</script>
		</Layout>
	);
}
