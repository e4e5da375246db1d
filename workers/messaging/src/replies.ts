import { formatMoney } from "@oja/assistant";
import type { Cart, DeliveryOption, Order, StorefrontProduct } from "@oja/contracts";
import { clip, LIMITS, type OutboundContent } from "@oja/whatsapp";

// What the assistant says. Every builder returns content within Meta's limits (clipped, at most
// ten list rows), with prices from the catalog or the cart, never from the customer's words.

export interface ShownVariant {
	variantId: string;
	productTitle: string;
	variantTitle: string;
	priceMinor: number;
	currency: string;
	availability: "in_stock" | "low" | "sold_out";
	options: string[];
}

const AVAILABILITY: Record<ShownVariant["availability"], string> = {
	in_stock: "in stock",
	low: "only a few left",
	sold_out: "sold out",
};

const text = (body: string): OutboundContent => ({ type: "text", text: clip(body, LIMITS.textBody) });

const isDefaultTitle = (title: string) => title === "" || /^default( title)?$/i.test(title);

export function variantLabel(v: ShownVariant): string {
	return isDefaultTitle(v.variantTitle) ? v.productTitle : `${v.productTitle} (${v.variantTitle})`;
}

/** The variants of these products a shopper could pick, in catalog order, at most ten. */
export function shownVariants(products: StorefrontProduct[]): ShownVariant[] {
	return products
		.flatMap((p) =>
			p.variants.map((v) => ({
				variantId: v.id,
				productTitle: p.title,
				variantTitle: v.title,
				priceMinor: v.priceMinor,
				currency: v.currency,
				availability: v.availability,
				options: v.optionValues,
			})),
		)
		.slice(0, LIMITS.listRows);
}

export function productList(storeName: string, query: string | null, shown: ShownVariant[]): OutboundContent {
	if (shown.length === 0) {
		return text(
			query
				? `Sorry, I couldn't find "${clip(query, 60)}" at ${storeName}. Try another word, or type "agent" to ask the team.`
				: `${storeName} has nothing listed right now.`,
		);
	}
	return {
		type: "list",
		body: clip(
			query
				? `Here's what ${storeName} has for "${clip(query, 60)}". Pick one to add it to your cart.`
				: `Here's what's new at ${storeName}. Pick one to add it to your cart.`,
			LIMITS.interactiveBody,
		),
		button: "See products",
		sections: [
			{
				title: "Products",
				rows: shown.map((v) => ({
					id: `add:${v.variantId}`,
					title: clip(v.productTitle, LIMITS.rowTitle),
					description: clip(
						`${isDefaultTitle(v.variantTitle) ? "" : `${v.variantTitle} · `}${formatMoney(v.priceMinor, v.currency)} · ${AVAILABILITY[v.availability]}`,
						LIMITS.rowDescription,
					),
				})),
			},
		],
	};
}

export function priceAnswer(shown: ShownVariant[]): OutboundContent {
	const first = shown[0];
	if (!first) return text("Which product do you mean? Tell me its name.");
	const same = shown.filter((v) => v.productTitle === first.productTitle);
	const lines = same.map(
		(v) => `• ${variantLabel(v)}: ${formatMoney(v.priceMinor, v.currency)} (${AVAILABILITY[v.availability]})`,
	);
	return addButtons(`${lines.join("\n")}`, same);
}

export function sizesAnswer(shown: ShownVariant[]): OutboundContent {
	const first = shown[0];
	if (!first) return text("Which product do you mean? Tell me its name.");
	const same = shown.filter((v) => v.productTitle === first.productTitle);
	const available = same.filter((v) => v.availability !== "sold_out");
	if (same.length === 1 && isDefaultTitle(first.variantTitle)) {
		return addButtons(`${first.productTitle} comes in one option: ${formatMoney(first.priceMinor, first.currency)}.`, same);
	}
	const body =
		available.length === 0
			? `${first.productTitle} is sold out in every option.`
			: `${first.productTitle} is available in: ${available.map((v) => v.variantTitle).join(", ")}.`;
	return addButtons(body, available);
}

export function availabilityAnswer(shown: ShownVariant[]): OutboundContent {
	const first = shown[0];
	if (!first) return text("Which product do you mean? Tell me its name.");
	const same = shown.filter((v) => v.productTitle === first.productTitle);
	const lines = same.map((v) => `• ${variantLabel(v)}: ${AVAILABILITY[v.availability]}`);
	return addButtons(
		lines.join("\n"),
		same.filter((v) => v.availability !== "sold_out"),
	);
}

/** The answer, with up to three "Add" buttons (as a list when there are more options). */
function addButtons(body: string, options: ShownVariant[]): OutboundContent {
	const buyable = options.filter((v) => v.availability !== "sold_out");
	if (buyable.length === 0) return text(body);
	if (buyable.length <= 3) {
		return {
			type: "buttons",
			body: clip(body, LIMITS.interactiveBody),
			buttons: buyable.map((v) => ({
				id: `add:${v.variantId}`,
				title: clip(buyable.length === 1 ? "Add to cart" : `Add ${v.variantTitle}`, LIMITS.buttonTitle),
			})),
		};
	}
	return {
		type: "list",
		body: clip(body, LIMITS.interactiveBody),
		button: "Add to cart",
		sections: [
			{
				title: "Options",
				rows: buyable.slice(0, LIMITS.listRows).map((v) => ({
					id: `add:${v.variantId}`,
					title: clip(isDefaultTitle(v.variantTitle) ? v.productTitle : v.variantTitle, LIMITS.rowTitle),
					description: clip(formatMoney(v.priceMinor, v.currency), LIMITS.rowDescription),
				})),
			},
		],
	};
}

export function cartSummary(cart: Cart, note?: string): OutboundContent {
	if (cart.lines.length === 0) return text(`${note ? `${note}\n\n` : ""}Your cart is empty. Tell me what you're looking for.`);
	const lines = cart.lines.map(
		(l) =>
			`• ${l.quantity} × ${isDefaultTitle(l.variantTitle) ? l.title : `${l.title} (${l.variantTitle})`}: ${formatMoney(l.lineTotalMinor, cart.currency)}`,
	);
	const discount = cart.discountMinor > 0 ? `\nDiscount: −${formatMoney(cart.discountMinor, cart.currency)}` : "";
	return {
		type: "buttons",
		body: clip(
			`${note ? `${note}\n\n` : ""}Your cart:\n${lines.join("\n")}${discount}\nTotal: ${formatMoney(cart.totalMinor, cart.currency)} (delivery added at checkout)`,
			LIMITS.interactiveBody,
		),
		buttons: [
			{ id: "checkout", title: "Checkout" },
			{ id: "browse", title: "Keep shopping" },
		],
	};
}

export function deliveryChoice(options: DeliveryOption[]): OutboundContent {
	return {
		type: "list",
		body: "How would you like to get your order?",
		button: "Choose delivery",
		sections: [
			{
				title: "Delivery options",
				rows: options.slice(0, LIMITS.listRows).map((o) => ({
					id: `dlv:${o.id}`,
					title: clip(o.name, LIMITS.rowTitle),
					description: clip(
						`${o.kind === "pickup" ? "Pickup" : "Delivery"} · ${o.feeMinor === 0 ? "free" : formatMoney(o.feeMinor, o.currency)}${o.states.length > 0 ? ` · ${o.states.join(", ")}` : ""}`,
						LIMITS.rowDescription,
					),
				})),
			},
		],
	};
}

export const askAddress = (): OutboundContent =>
	text('Please send your delivery address as: street, city, state\n(e.g. "12 Allen Avenue, Ikeja, Lagos")');

export function paymentLink(order: Order, url: string): OutboundContent {
	return text(
		`Order #${order.number} is placed: ${formatMoney(order.totalMinor, order.currency)} in all.\nPay securely with Paystack here: ${url}\nI'll message you as soon as your payment is confirmed.`,
	);
}

export const paymentUnavailable = (order: Order): OutboundContent =>
	text(
		`Order #${order.number} is placed, but I couldn't get a payment link just now. Type "pay" in a minute and I'll try again.`,
	);

/** The customer's recent orders; `linkOf` gives an order's page (with its token), shown under its line. */
export function orderStatusAnswer(orders: Order[], linkOf: (order: Order) => string | null = () => null): OutboundContent {
	if (orders.length === 0) return text('I can\'t find any orders from this WhatsApp number. Type "agent" to ask the team.');
	const lines = orders.slice(0, 5).map((o) => {
		const status =
			o.status === "pending_payment"
				? "awaiting payment"
				: o.status === "cancelled" || o.status === "expired"
					? o.status
					: o.fulfilmentStatus === "delivered"
						? "delivered"
						: o.fulfilmentStatus === "fulfilled" || o.fulfilmentStatus === "partially_fulfilled"
							? "shipped"
							: o.paymentStatus === "due_on_delivery"
								? "confirmed (pay on delivery), being prepared"
								: "paid, being prepared";
		const link = linkOf(o);
		return `• #${o.number}: ${status} (${formatMoney(o.totalMinor, o.currency)})${link ? `\n  ${link}` : ""}`;
	});
	return text(`Your recent orders:\n${lines.join("\n")}\nType "agent" if you need help with one.`);
}

export const handoffNotice = (storeName: string): OutboundContent =>
	text(`I've passed your chat to the ${storeName} team. Someone will reply here shortly.`);

export const greeting = (storeName: string, name: string | null): OutboundContent => ({
	type: "buttons",
	body: clip(
		`Hi${name ? ` ${name}` : ""}! Welcome to ${storeName} on WhatsApp. Tell me what you're looking for (e.g. "how much is the gele?"), or pick below.`,
		LIMITS.interactiveBody,
	),
	buttons: [
		{ id: "browse", title: "See products" },
		{ id: "cart", title: "My cart" },
		{ id: "orders", title: "My orders" },
	],
});

export const thanks = (): OutboundContent => text("You're welcome! Anything else, just ask.");
export const unreadable = (): OutboundContent =>
	text('I can only read text messages for now. Tell me the product name, or type "agent" to reach the team.');
export const problemReply = (detail: string): OutboundContent => text(clip(detail, 600));
export const plain = text;

export function orderNotice(
	kind: "confirmed" | "shipped" | "delivered",
	order: Order,
	storeName: string,
	trackUrl: string | null = null,
): { text: OutboundContent; template: OutboundContent } {
	const total = formatMoney(order.totalMinor, order.currency);
	const sentence = {
		confirmed:
			order.paymentStatus === "due_on_delivery"
				? `Order #${order.number} is confirmed (${total}, pay on delivery). We're preparing it.`
				: `Payment received. Order #${order.number} is confirmed (${total}). We're preparing it.`,
		shipped: `Good news: order #${order.number} is on its way.`,
		delivered: `Order #${order.number} has been delivered. Thank you for shopping with ${storeName}!`,
	}[kind];
	const track = trackUrl && kind !== "delivered" ? `\nFollow it here: ${trackUrl}` : "";
	return {
		text: text(`${sentence}${track}`),
		// Outside the 24-hour window only an approved template may be sent: oja_order_update
		// ("{{1}}: your order #{{2}} is {{3}}.") must be approved on the store's WhatsApp account.
		template: {
			type: "template",
			name: "oja_order_update",
			language: "en",
			bodyParameters: [clip(storeName, 60), String(order.number), kind],
		},
	};
}

/** One reminder for a chat cart left idle: text inside the window, the approved template outside it. */
export function cartReminder(
	storeName: string,
	itemCount: number,
	subtotalMinor: number,
	currency: string,
	windowOpen: boolean,
): OutboundContent {
	const total = formatMoney(subtotalMinor, currency);
	if (windowOpen) {
		return {
			type: "buttons",
			body: clip(
				`You left ${itemCount} item(s) (${total}) in your ${storeName} cart a while ago. Want them? Tell me what you'd like, or see what's new.`,
				LIMITS.interactiveBody,
			),
			buttons: [{ id: "browse", title: "See products" }],
		};
	}
	// oja_cart_reminder ("{{1}}: you left {{2}} item(s) ({{3}}) in your cart.") must be approved on the store's account.
	return {
		type: "template",
		name: "oja_cart_reminder",
		language: "en",
		bodyParameters: [clip(storeName, 60), String(itemCount), total],
	};
}
