import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, currency, storeId, updatedAt } from "./columns.ts";
import { stores } from "./identity.ts";

// Commerce: delivery options, discounts, orders and their lines, timeline and fulfilments,
// checkout idempotency. The CHECK constraints live in migrations/0016_commerce.sql.

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const deliveryOptions = pgTable(
	"delivery_options",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		kind: text("kind", { enum: ["pickup", "delivery"] }).notNull(),
		name: text("name").notNull(),
		states: text("states").array().notNull().default(sql`'{}'::text[]`),
		cities: text("cities").array().notNull().default(sql`'{}'::text[]`),
		feeMinor: bigint("fee_minor", { mode: "number" }).notNull().default(0),
		currency: currency(),
		booksCourier: boolean("books_courier").notNull().default(false),
		payOnDelivery: boolean("pay_on_delivery").notNull().default(false),
		payOnDeliveryMaxTotalMinor: bigint("pay_on_delivery_max_total_minor", { mode: "number" }),
		position: integer("position").notNull().default(0),
		archivedAt: at("archived_at"),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [index("delivery_options_store_idx").on(t.storeId, t.position)],
);

export const discounts = pgTable(
	"discounts",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		code: text("code").notNull(),
		kind: text("kind", { enum: ["percentage", "fixed"] }).notNull(),
		percentOff: integer("percent_off"),
		amountOffMinor: bigint("amount_off_minor", { mode: "number" }),
		currency: currency(),
		minSubtotalMinor: bigint("min_subtotal_minor", { mode: "number" }),
		startsAt: at("starts_at"),
		endsAt: at("ends_at"),
		usageLimit: integer("usage_limit"),
		usedCount: integer("used_count").notNull().default(0),
		perCustomerLimit: integer("per_customer_limit"),
		active: boolean("active").notNull().default(true),
		deletedAt: at("deleted_at"),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [index("discounts_store_idx").on(t.storeId, t.id)],
);

export const discountCustomerUses = pgTable(
	"discount_customer_uses",
	{
		discountId: text("discount_id")
			.notNull()
			.references(() => discounts.id, { onDelete: "cascade" }),
		storeId: storeId(),
		customerKey: text("customer_key").notNull(),
		uses: integer("uses").notNull(),
	},
	(t) => [primaryKey({ columns: [t.discountId, t.customerKey], name: "discount_customer_uses_pkey" })],
);

/**
 * Legacy: order numbers now come from per-store sequences (migration 0028). The commerce Worker
 * that ran before it upserts this row; a trigger makes that upsert draw from the same sequence.
 * Kept until a later migration drops it, once no running Worker writes it. Nothing reads it.
 */
export const storeOrderCounters = pgTable("store_order_counters", {
	storeId: text("store_id")
		.primaryKey()
		.references(() => stores.id, { onDelete: "cascade" }),
	lastNumber: integer("last_number").notNull(),
});

export const orderStatus = ["pending_payment", "open", "completed", "cancelled", "expired"] as const;
export const paymentStatus = ["pending", "paid", "partially_refunded", "refunded", "due_on_delivery"] as const;
export const fulfilmentStatus = ["unfulfilled", "partially_fulfilled", "fulfilled", "delivered"] as const;

export interface OrderDeliverySnapshot {
	optionId: string;
	kind: "pickup" | "delivery";
	name: string;
	feeMinor: number;
	booksCourier: boolean;
}

export const orders = pgTable(
	"orders",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		number: integer("number").notNull(),
		cartId: text("cart_id").notNull(),
		status: text("status", { enum: orderStatus }).notNull(),
		paymentStatus: text("payment_status", { enum: paymentStatus }).notNull(),
		fulfilmentStatus: text("fulfilment_status", { enum: fulfilmentStatus }).notNull().default("unfulfilled"),
		paymentMethod: text("payment_method", { enum: ["online", "pay_on_delivery"] }).notNull(),
		currency: currency(),
		subtotalMinor: bigint("subtotal_minor", { mode: "number" }).notNull(),
		discountMinor: bigint("discount_minor", { mode: "number" }).notNull().default(0),
		deliveryMinor: bigint("delivery_minor", { mode: "number" }).notNull().default(0),
		totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
		paidMinor: bigint("paid_minor", { mode: "number" }).notNull().default(0),
		refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
		discountId: text("discount_id"),
		discountCode: text("discount_code"),
		customerId: text("customer_id"),
		email: text("email"),
		phone: text("phone").notNull(),
		name: text("name").notNull(),
		shippingAddress: jsonb("shipping_address").$type<Record<string, string>>(),
		deliveryOptionId: text("delivery_option_id"),
		delivery: jsonb("delivery").$type<OrderDeliverySnapshot>().notNull(),
		booksCourier: boolean("books_courier").notNull().default(false),
		note: text("note"),
		tokenHash: text("token_hash").notNull(),
		expiresAt: at("expires_at"),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		uniqueIndex("orders_store_number_key").on(t.storeId, t.number),
		uniqueIndex("orders_store_cart_key").on(t.storeId, t.cartId),
		index("orders_store_created_idx").on(t.storeId, t.createdAt, t.id),
	],
);

export const orderLines = pgTable(
	"order_lines",
	{
		id: text("id").primaryKey(),
		storeId: storeId(),
		orderId: text("order_id")
			.notNull()
			.references(() => orders.id, { onDelete: "cascade" }),
		variantId: text("variant_id").notNull(),
		productId: text("product_id").notNull(),
		title: text("title").notNull(),
		variantTitle: text("variant_title").notNull(),
		sku: text("sku"),
		unitPriceMinor: bigint("unit_price_minor", { mode: "number" }).notNull(),
		quantity: integer("quantity").notNull(),
		lineTotalMinor: bigint("line_total_minor", { mode: "number" }).notNull(),
		fulfilledQuantity: integer("fulfilled_quantity").notNull().default(0),
		deliveredQuantity: integer("delivered_quantity").notNull().default(0),
		reservedQuantity: integer("reserved_quantity").notNull(),
		position: integer("position").notNull(),
	},
	(t) => [index("order_lines_order_idx").on(t.orderId, t.position)],
);

export const orderTimeline = pgTable(
	"order_timeline",
	{
		id: text("id").primaryKey(),
		storeId: storeId(),
		orderId: text("order_id")
			.notNull()
			.references(() => orders.id, { onDelete: "cascade" }),
		kind: text("kind").notNull(),
		field: text("field"),
		fromValue: text("from_value"),
		toValue: text("to_value"),
		actor: text("actor").notNull(),
		reason: text("reason"),
		details: jsonb("details"),
		requestId: text("request_id"),
		at: at("at").notNull().defaultNow(),
	},
	(t) => [index("order_timeline_order_idx").on(t.orderId, t.at, t.id)],
);

export const fulfilments = pgTable(
	"fulfilments",
	{
		id: text("id").primaryKey(),
		storeId: storeId(),
		orderId: text("order_id")
			.notNull()
			.references(() => orders.id, { onDelete: "cascade" }),
		lines: jsonb("lines").$type<{ lineId: string; quantity: number }[]>().notNull(),
		carrier: text("carrier"),
		trackingNumber: text("tracking_number"),
		trackingUrl: text("tracking_url"),
		status: text("status", { enum: ["pending", "shipped", "delivered", "cancelled"] })
			.notNull()
			.default("shipped"),
		deliveryTaskId: text("delivery_task_id"),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [index("fulfilments_order_idx").on(t.orderId)],
);

export const idempotencyKeys = pgTable(
	"idempotency_keys",
	{
		storeId: storeId(),
		cartId: text("cart_id").notNull(),
		key: text("key").notNull(),
		requestHash: text("request_hash").notNull(),
		attempt: text("attempt").notNull(),
		orderId: text("order_id"),
		response: jsonb("response"),
		createdAt: createdAt(),
	},
	(t) => [
		primaryKey({ columns: [t.storeId, t.cartId, t.key], name: "idempotency_keys_pkey" }),
		index("idempotency_keys_created_idx").on(t.createdAt),
	],
);
