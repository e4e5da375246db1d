import { z } from "zod";
import { shopperPhone } from "./checkout.ts";
import {
	currency,
	email,
	isoDateTime,
	MAX_FEE_MINOR,
	MAX_LINE_QUANTITY,
	MAX_ORDER_LINES,
	MAX_ORDER_TOTAL_MINOR,
	minorUnits,
	plainText,
	prefixedId,
} from "./fields.ts";
import { StoreIdParam } from "./stores.ts";

// Carts, checkout and orders (the commerce Worker). Money is minor units beside an ISO code.

const optional = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

/** A fee or an order-level amount: bounded so every total stays exact. */
export const feeMinor = z
	.number()
	.int()
	.nonnegative()
	.max(MAX_FEE_MINOR, { message: `At most ${MAX_FEE_MINOR} minor units` });
const totalMinor = z.number().int().nonnegative().max(MAX_ORDER_TOTAL_MINOR);

export const cartId = prefixedId("cart");
export const orderId = prefixedId("ord");
export const lineQuantity = z
	.number()
	.int()
	.min(1)
	.max(MAX_LINE_QUANTITY, { message: `At most ${MAX_LINE_QUANTITY} units per line` });

// ---- Delivery options --------------------------------------------------------------------

export const DeliveryOptionInput = z
	.object({
		id: prefixedId("dlv").optional().describe("Keep an existing option (same id); omit to create one"),
		kind: z.enum(["pickup", "delivery"]),
		name: plainText(80),
		states: z.array(plainText(60)).max(40).default([]).describe("Delivery zone: states served (empty = anywhere)"),
		cities: z.array(plainText(60)).max(100).default([]).describe("Delivery zone: cities served (empty = the whole state)"),
		feeMinor: feeMinor.default(0),
		booksCourier: z.boolean().default(false).describe("Book a courier when the order opens"),
		payOnDelivery: z.boolean().default(false).describe("Offer pay on delivery with this option"),
		payOnDeliveryMaxTotalMinor: totalMinor
			.positive()
			.nullable()
			.default(null)
			.describe("Largest order total for pay on delivery"),
	})
	.strict()
	.refine((o) => o.kind === "delivery" || (o.feeMinor === 0 && !o.booksCourier), {
		message: "Pickup is free and books no courier",
		path: ["feeMinor"],
	});
export type DeliveryOptionInput = z.infer<typeof DeliveryOptionInput>;

export const PutDeliveryOptionsInput = z
	.object({ options: z.array(DeliveryOptionInput).max(50) })
	.strict()
	// One id twice would make the replacing upsert touch a row twice (a database error).
	.superRefine((input, ctx) => {
		const seen = new Set<string>();
		input.options.forEach((opt, i) => {
			if (!opt.id) return;
			if (seen.has(opt.id)) ctx.addIssue({ code: "custom", path: ["options", i, "id"], message: "Listed twice" });
			seen.add(opt.id);
		});
	})
	.describe("The store's whole set of options; options left out are retired");

export const DeliveryOption = z.object({
	id: prefixedId("dlv"),
	kind: z.enum(["pickup", "delivery"]),
	name: z.string(),
	states: z.array(z.string()),
	cities: z.array(z.string()),
	feeMinor: z.number().int(),
	currency,
	booksCourier: z.boolean(),
	payOnDelivery: z.boolean(),
	payOnDeliveryMaxTotalMinor: z.number().int().nullable(),
});
export type DeliveryOption = z.infer<typeof DeliveryOption>;
export const DeliveryOptionList = z.object({ items: z.array(DeliveryOption) });
export type DeliveryOptionList = z.infer<typeof DeliveryOptionList>;

// ---- Discounts ---------------------------------------------------------------------------

export const discountCode = z
	.string()
	.trim()
	.min(3)
	.max(32)
	.regex(/^[A-Za-z0-9_-]+$/, { message: "Letters, digits, - and _ only" })
	.transform((c) => c.toUpperCase());

const DiscountFields = {
	minSubtotalMinor: totalMinor.nullable().default(null),
	startsAt: isoDateTime.nullable().default(null),
	endsAt: isoDateTime.nullable().default(null),
	usageLimit: z.number().int().min(1).max(1_000_000_000).nullable().default(null),
	perCustomerLimit: z.number().int().min(1).max(1_000_000).nullable().default(null),
	active: z.boolean().default(true),
};

export const CreateDiscountInput = z
	.discriminatedUnion("kind", [
		z
			.object({
				code: discountCode,
				kind: z.literal("percentage"),
				percentOff: z.number().int().min(1).max(100),
				...DiscountFields,
			})
			.strict(),
		z.object({ code: discountCode, kind: z.literal("fixed"), amountOffMinor: minorUnits.positive(), ...DiscountFields }).strict(),
	])
	.refine((d) => d.startsAt === null || d.endsAt === null || Date.parse(d.startsAt) < Date.parse(d.endsAt), {
		message: "Must end after it starts",
		path: ["endsAt"],
	});
export type CreateDiscountInput = z.infer<typeof CreateDiscountInput>;

export const UpdateDiscountInput = z
	.object({
		percentOff: z.number().int().min(1).max(100).optional(),
		amountOffMinor: minorUnits.positive().optional(),
		minSubtotalMinor: totalMinor.nullable().optional(),
		startsAt: isoDateTime.nullable().optional(),
		endsAt: isoDateTime.nullable().optional(),
		usageLimit: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
		perCustomerLimit: z.number().int().min(1).max(1_000_000).nullable().optional(),
		active: z.boolean().optional(),
	})
	.strict()
	.refine((d) => Object.keys(d).length > 0, { message: "Nothing to change" });
export type UpdateDiscountInput = z.infer<typeof UpdateDiscountInput>;

export const Discount = z.object({
	id: prefixedId("dsc"),
	code: z.string(),
	kind: z.enum(["percentage", "fixed"]),
	percentOff: z.number().int().nullable(),
	amountOffMinor: z.number().int().nullable(),
	currency,
	minSubtotalMinor: z.number().int().nullable(),
	startsAt: isoDateTime.nullable(),
	endsAt: isoDateTime.nullable(),
	usageLimit: z.number().int().nullable(),
	usedCount: z.number().int(),
	perCustomerLimit: z.number().int().nullable(),
	active: z.boolean(),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
});
export type Discount = z.infer<typeof Discount>;
export const DiscountList = z.object({ items: z.array(Discount), nextCursor: z.string().nullable() });
export type DiscountList = z.infer<typeof DiscountList>;
export const DiscountListQuery = z.object({
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const DiscountParams = StoreIdParam.extend({ discountId: prefixedId("dsc") });

// ---- Carts -------------------------------------------------------------------------------

/** The most lines a cart may hold (an order's limit). */
export const MAX_CART_LINES = MAX_ORDER_LINES;

export const AddCartLineInput = z.object({ variantId: prefixedId("var"), quantity: lineQuantity.default(1) }).strict();
export type AddCartLineInput = z.infer<typeof AddCartLineInput>;
export const UpdateCartLineInput = z.object({ quantity: lineQuantity }).strict();
export type UpdateCartLineInput = z.infer<typeof UpdateCartLineInput>;
export const ApplyDiscountInput = z.object({ code: discountCode }).strict();

export const CartLine = z.object({
	id: z.string(),
	variantId: prefixedId("var"),
	productId: prefixedId("prd"),
	handle: z.string(),
	title: z.string(),
	variantTitle: z.string(),
	image: z.string().nullable(),
	quantity: z.number().int(),
	unitPriceMinor: z.number().int().describe("What this unit will be charged now"),
	lineTotalMinor: z.number().int(),
	priceWhenAddedMinor: z.number().int(),
	priceChanged: z.boolean().describe("The price moved since the line was added; unitPriceMinor is what will be charged"),
	available: z.number().int().describe("Units available when last checked (checkout re-checks)"),
});
export type CartLine = z.infer<typeof CartLine>;

export const Cart = z.object({
	id: cartId,
	currency,
	status: z.enum(["open", "checked_out"]),
	lines: z.array(CartLine),
	subtotalMinor: z.number().int(),
	discount: z
		.object({
			code: z.string(),
			amountMinor: z.number().int(),
			applies: z.boolean(),
			reason: z.string().nullable().describe("Why it does not apply (yet), e.g. below the minimum subtotal"),
		})
		.nullable(),
	discountMinor: z.number().int(),
	totalMinor: z.number().int().describe("Subtotal less discount; delivery is added at checkout"),
	orderId: orderId.nullable().describe("Set once checked out"),
	updatedAt: isoDateTime,
});
export type Cart = z.infer<typeof Cart>;

export const CartParams = z.object({ slug: z.string(), cartId });
export const CartLineParams = CartParams.extend({ lineId: z.string().regex(/^ln_[0-9a-z]{1,12}$/) });

// ---- Checkout and orders -----------------------------------------------------------------

export const ShippingAddress = z.object({ address: plainText(200), city: plainText(60), state: plainText(60) }).strict();

export const CheckoutInput = z
	.object({
		email: optional(email),
		phone: shopperPhone,
		name: plainText(100),
		shippingAddress: ShippingAddress.optional(),
		deliveryOptionId: prefixedId("dlv"),
		paymentMethod: z.enum(["online", "pay_on_delivery"]).default("online"),
		note: optional(plainText(500)),
	})
	.strict();
export type CheckoutInput = z.infer<typeof CheckoutInput>;

export const idempotencyKey = z
	.string()
	.min(8, { message: "Use a random key of at least 8 characters (a UUID)" })
	.max(100)
	.regex(/^[\x21-\x7e]+$/, { message: "Printable ASCII only" });

export const OrderStatus = z.enum(["pending_payment", "open", "completed", "cancelled", "expired"]);
export const PaymentStatus = z.enum(["pending", "paid", "partially_refunded", "refunded", "due_on_delivery"]);
export const FulfilmentStatus = z.enum(["unfulfilled", "partially_fulfilled", "fulfilled", "delivered"]);

export const OrderLine = z.object({
	id: z.string(),
	variantId: z.string(),
	productId: z.string(),
	title: z.string(),
	variantTitle: z.string(),
	sku: z.string().nullable(),
	unitPriceMinor: z.number().int(),
	quantity: z.number().int(),
	lineTotalMinor: z.number().int(),
	fulfilledQuantity: z.number().int(),
});

export const TimelineEntry = z.object({
	at: isoDateTime,
	kind: z.string(),
	field: z.string().nullable(),
	from: z.string().nullable(),
	to: z.string().nullable(),
	actor: z.string(),
	reason: z.string().nullable(),
});

export const Order = z.object({
	id: orderId,
	number: z.number().int(),
	status: OrderStatus,
	paymentStatus: PaymentStatus,
	fulfilmentStatus: FulfilmentStatus,
	paymentMethod: z.enum(["online", "pay_on_delivery"]),
	currency,
	lines: z.array(OrderLine),
	subtotalMinor: z.number().int(),
	discountMinor: z.number().int(),
	discountCode: z.string().nullable(),
	deliveryMinor: z.number().int(),
	totalMinor: z.number().int(),
	delivery: z.object({
		optionId: z.string(),
		kind: z.enum(["pickup", "delivery"]),
		name: z.string(),
		feeMinor: z.number().int(),
		booksCourier: z.boolean(),
	}),
	customer: z.object({ name: z.string(), email: z.string().nullable(), phone: z.string() }),
	shippingAddress: ShippingAddress.nullable(),
	note: z.string().nullable(),
	expiresAt: isoDateTime.nullable(),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
	timeline: z.array(TimelineEntry).optional(),
});
export type Order = z.infer<typeof Order>;

/** Where the shopper pays an online order: the provider's hosted page. */
export const PaymentLink = z.object({
	provider: z.literal("paystack"),
	reference: z.string(),
	authorizationUrl: z.url(),
});
export type PaymentLink = z.infer<typeof PaymentLink>;

export const CheckoutResult = z.object({
	order: Order,
	orderToken: z.string().describe("Capability to read this one order as a shopper (Bearer or ?token=); keep it"),
	payment: PaymentLink.nullable()
		.optional()
		.describe(
			"Online payment: the page to send the shopper to. null if the provider could not be reached: the order stands; POST …/orders/{orderId}/payment retries",
		),
});
export type CheckoutResult = z.infer<typeof CheckoutResult>;

export const OrderParams = StoreIdParam.extend({ orderId });
export const StorefrontOrderParams = z.object({ slug: z.string(), orderId });

export const OrderListQuery = z.object({
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(50),
	status: OrderStatus.optional(),
	createdFrom: isoDateTime.optional(),
	createdTo: isoDateTime.optional(),
	email: email.optional(),
	phone: shopperPhone.optional(),
	number: z.coerce.number().int().min(1).max(2_000_000_000).optional(),
});
export type OrderListQuery = z.infer<typeof OrderListQuery>;
export const OrderList = z.object({ items: z.array(Order.omit({ timeline: true })), nextCursor: z.string().nullable() });
export type OrderList = z.infer<typeof OrderList>;

export const FulfilmentInput = z
	.object({
		lines: z
			.array(z.object({ lineId: z.string().max(40), quantity: lineQuantity }).strict())
			.max(MAX_ORDER_LINES)
			.optional()
			.describe("Omit to fulfil everything still unfulfilled"),
		carrier: optional(plainText(60)),
		trackingNumber: optional(plainText(100)),
		trackingUrl: optional(z.url({ protocol: /^https?$/ }).max(500)),
	})
	.strict();
export type FulfilmentInput = z.infer<typeof FulfilmentInput>;

export const CancelOrderInput = z.object({ reason: plainText(300) }).strict();
