-- Issue 9: carts check out into orders. Commerce owns every table here; stock stays in
-- catalog's `inventory` and is changed only by conditional SQL inside commerce's batches.
--
-- A checkout may know only a phone number (WhatsApp and pay-on-delivery shoppers often give no
-- email), so a guest customer is keyed by email when there is one and by phone otherwise.
ALTER TABLE "customers" ALTER COLUMN "email" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_contact_check" CHECK ("email" IS NOT NULL OR "phone" IS NOT NULL);
--> statement-breakpoint
CREATE UNIQUE INDEX "customers_store_phone_guest_key" ON "customers" ("store_id", "phone") WHERE "email" IS NULL;
--> statement-breakpoint
CREATE TABLE "delivery_options" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores"("id") ON DELETE CASCADE,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"states" text[] DEFAULT '{}'::text[] NOT NULL,
	"cities" text[] DEFAULT '{}'::text[] NOT NULL,
	"fee_minor" bigint DEFAULT 0 NOT NULL,
	"currency" char(3) NOT NULL,
	"books_courier" boolean DEFAULT false NOT NULL,
	"pay_on_delivery" boolean DEFAULT false NOT NULL,
	"pay_on_delivery_max_total_minor" bigint,
	"position" integer DEFAULT 0 NOT NULL,
	-- Replaced options are archived, not deleted: orders keep a snapshot, and ids in a
	-- shopper's open checkout page then fail cleanly instead of pointing at nothing.
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delivery_options_kind_check" CHECK ("kind" IN ('pickup', 'delivery')),
	CONSTRAINT "delivery_options_fee_check" CHECK ("fee_minor" >= 0 AND "fee_minor" <= 10000000000),
	CONSTRAINT "delivery_options_pickup_free" CHECK ("kind" <> 'pickup' OR ("fee_minor" = 0 AND NOT "books_courier")),
	CONSTRAINT "delivery_options_pod_max_check" CHECK ("pay_on_delivery_max_total_minor" IS NULL OR "pay_on_delivery_max_total_minor" > 0)
);
--> statement-breakpoint
CREATE INDEX "delivery_options_store_idx" ON "delivery_options" ("store_id", "position") WHERE "archived_at" IS NULL;
--> statement-breakpoint
CREATE TABLE "discounts" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores"("id") ON DELETE CASCADE,
	-- Upper-cased on the way in: shoppers type codes in any case.
	"code" text NOT NULL,
	"kind" text NOT NULL,
	"percent_off" integer,
	"amount_off_minor" bigint,
	"currency" char(3) NOT NULL,
	"min_subtotal_minor" bigint,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"usage_limit" integer,
	"used_count" integer DEFAULT 0 NOT NULL,
	"per_customer_limit" integer,
	"active" boolean DEFAULT true NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "discounts_kind_check" CHECK (
		("kind" = 'percentage' AND "percent_off" BETWEEN 1 AND 100 AND "amount_off_minor" IS NULL)
		OR ("kind" = 'fixed' AND "amount_off_minor" BETWEEN 1 AND 10000000000 AND "percent_off" IS NULL)),
	CONSTRAINT "discounts_usage_check" CHECK ("used_count" >= 0 AND ("usage_limit" IS NULL OR "used_count" <= "usage_limit")),
	CONSTRAINT "discounts_limits_check" CHECK (("usage_limit" IS NULL OR "usage_limit" > 0) AND ("per_customer_limit" IS NULL OR "per_customer_limit" > 0)),
	CONSTRAINT "discounts_window_check" CHECK ("starts_at" IS NULL OR "ends_at" IS NULL OR "starts_at" < "ends_at")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "discounts_store_code_key" ON "discounts" ("store_id", "code") WHERE "deleted_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "discounts_store_idx" ON "discounts" ("store_id", "id");
--> statement-breakpoint
-- Per-customer use counts, bumped with a conditional upsert so a customer racing themselves
-- cannot pass the limit. The key is the lower-cased email, or the phone when there is none.
CREATE TABLE "discount_customer_uses" (
	"discount_id" text NOT NULL REFERENCES "discounts"("id") ON DELETE CASCADE,
	"store_id" text NOT NULL,
	"customer_key" text NOT NULL,
	"uses" integer NOT NULL,
	CONSTRAINT "discount_customer_uses_pkey" PRIMARY KEY ("discount_id", "customer_key")
);
--> statement-breakpoint
CREATE INDEX "discount_customer_uses_store_idx" ON "discount_customer_uses" ("store_id");
--> statement-breakpoint
CREATE TABLE "store_order_counters" (
	"store_id" text PRIMARY KEY NOT NULL REFERENCES "stores"("id") ON DELETE CASCADE,
	"last_number" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores"("id") ON DELETE CASCADE,
	"number" integer NOT NULL,
	"cart_id" text NOT NULL,
	"status" text NOT NULL,
	"payment_status" text NOT NULL,
	"fulfilment_status" text DEFAULT 'unfulfilled' NOT NULL,
	"payment_method" text NOT NULL,
	"currency" char(3) NOT NULL,
	"subtotal_minor" bigint NOT NULL,
	"discount_minor" bigint DEFAULT 0 NOT NULL,
	"delivery_minor" bigint DEFAULT 0 NOT NULL,
	"total_minor" bigint NOT NULL,
	"paid_minor" bigint DEFAULT 0 NOT NULL,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"discount_id" text,
	"discount_code" text,
	"customer_id" text,
	"email" text,
	"phone" text NOT NULL,
	"name" text NOT NULL,
	"shipping_address" jsonb,
	"delivery_option_id" text,
	-- What the shopper chose, as it was: options change later, orders must not.
	"delivery" jsonb NOT NULL,
	"books_courier" boolean DEFAULT false NOT NULL,
	"note" text,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_status_check" CHECK ("status" IN ('pending_payment', 'open', 'completed', 'cancelled', 'expired')),
	CONSTRAINT "orders_payment_status_check" CHECK ("payment_status" IN ('pending', 'paid', 'partially_refunded', 'refunded', 'due_on_delivery')),
	CONSTRAINT "orders_fulfilment_status_check" CHECK ("fulfilment_status" IN ('unfulfilled', 'partially_fulfilled', 'fulfilled', 'delivered')),
	CONSTRAINT "orders_payment_method_check" CHECK ("payment_method" IN ('online', 'pay_on_delivery')),
	CONSTRAINT "orders_totals_check" CHECK (
		"subtotal_minor" >= 0 AND "discount_minor" >= 0 AND "discount_minor" <= "subtotal_minor" AND "delivery_minor" >= 0
		AND "total_minor" = "subtotal_minor" - "discount_minor" + "delivery_minor"
		AND "paid_minor" >= 0 AND "refunded_minor" >= 0 AND "refunded_minor" <= "paid_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_store_number_key" ON "orders" ("store_id", "number");
--> statement-breakpoint
-- One order per cart: two checkouts of one cart (different idempotency keys) cannot both commit.
CREATE UNIQUE INDEX "orders_store_cart_key" ON "orders" ("store_id", "cart_id");
--> statement-breakpoint
CREATE INDEX "orders_store_created_idx" ON "orders" ("store_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX "orders_store_email_idx" ON "orders" ("store_id", "email");
--> statement-breakpoint
CREATE INDEX "orders_store_phone_idx" ON "orders" ("store_id", "phone");
--> statement-breakpoint
CREATE INDEX "orders_store_customer_idx" ON "orders" ("store_id", "customer_id");
--> statement-breakpoint
-- The expiry sweep reads only unpaid online orders, oldest deadline first.
CREATE INDEX "orders_pending_expiry_idx" ON "orders" ("expires_at") WHERE "status" = 'pending_payment';
--> statement-breakpoint
CREATE TABLE "order_lines" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL REFERENCES "orders"("id") ON DELETE CASCADE,
	"variant_id" text NOT NULL,
	"product_id" text NOT NULL,
	"title" text NOT NULL,
	"variant_title" text NOT NULL,
	"sku" text,
	"unit_price_minor" bigint NOT NULL,
	"quantity" integer NOT NULL,
	"line_total_minor" bigint NOT NULL,
	"fulfilled_quantity" integer DEFAULT 0 NOT NULL,
	"delivered_quantity" integer DEFAULT 0 NOT NULL,
	-- Whether this line still holds stock in inventory.reserved (released on expiry/cancel).
	"reserved_quantity" integer NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "order_lines_quantity_check" CHECK ("quantity" BETWEEN 1 AND 999),
	CONSTRAINT "order_lines_fulfilled_check" CHECK ("fulfilled_quantity" >= 0 AND "fulfilled_quantity" <= "quantity"),
	CONSTRAINT "order_lines_delivered_check" CHECK ("delivered_quantity" >= 0 AND "delivered_quantity" <= "fulfilled_quantity"),
	CONSTRAINT "order_lines_reserved_check" CHECK ("reserved_quantity" >= 0 AND "reserved_quantity" + "fulfilled_quantity" <= "quantity"),
	CONSTRAINT "order_lines_total_check" CHECK ("line_total_minor" = "unit_price_minor" * "quantity")
);
--> statement-breakpoint
CREATE INDEX "order_lines_order_idx" ON "order_lines" ("order_id", "position");
--> statement-breakpoint
CREATE INDEX "order_lines_store_variant_idx" ON "order_lines" ("store_id", "variant_id") WHERE "reserved_quantity" > 0;
--> statement-breakpoint
CREATE TABLE "order_timeline" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL REFERENCES "orders"("id") ON DELETE CASCADE,
	"kind" text NOT NULL,
	"field" text,
	"from_value" text,
	"to_value" text,
	"actor" text NOT NULL,
	"reason" text,
	"details" jsonb,
	"request_id" text,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "order_timeline_order_idx" ON "order_timeline" ("order_id", "at", "id");
--> statement-breakpoint
CREATE INDEX "order_timeline_store_idx" ON "order_timeline" ("store_id");
--> statement-breakpoint
CREATE TABLE "fulfilments" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"order_id" text NOT NULL REFERENCES "orders"("id") ON DELETE CASCADE,
	"lines" jsonb NOT NULL,
	"carrier" text,
	"tracking_number" text,
	"tracking_url" text,
	"status" text DEFAULT 'shipped' NOT NULL,
	"delivery_task_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fulfilments_status_check" CHECK ("status" IN ('pending', 'shipped', 'delivered', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX "fulfilments_order_idx" ON "fulfilments" ("order_id");
--> statement-breakpoint
CREATE INDEX "fulfilments_store_idx" ON "fulfilments" ("store_id");
--> statement-breakpoint
-- A checkout's Idempotency-Key, scoped to its store and cart (a key another shopper happens to
-- pick can never return this shopper's order), with the first response kept for replays.
CREATE TABLE "idempotency_keys" (
	"store_id" text NOT NULL,
	"cart_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"attempt" text NOT NULL,
	"order_id" text,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("store_id", "cart_id", "key")
);
--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" ("created_at");
--> statement-breakpoint
-- An order as the API shows it, defined once: checkout stores it as the idempotent response in
-- the same transaction that creates the order, and every read (merchant, shopper, live feed)
-- returns the same shape. Callers scope by store (`… FROM orders WHERE id = $1 AND store_id = $2`).
CREATE FUNCTION order_json(p_order_id text, p_timeline boolean DEFAULT false) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', o.id, 'number', o.number, 'status', o.status, 'paymentStatus', o.payment_status,
		'fulfilmentStatus', o.fulfilment_status, 'paymentMethod', o.payment_method, 'currency', o.currency,
		'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
			'id', l.id, 'variantId', l.variant_id, 'productId', l.product_id, 'title', l.title,
			'variantTitle', l.variant_title, 'sku', l.sku, 'unitPriceMinor', l.unit_price_minor,
			'quantity', l.quantity, 'lineTotalMinor', l.line_total_minor, 'fulfilledQuantity', l.fulfilled_quantity)
			ORDER BY l.position) FROM order_lines l WHERE l.order_id = o.id), '[]'::jsonb),
		'subtotalMinor', o.subtotal_minor, 'discountMinor', o.discount_minor, 'discountCode', o.discount_code,
		'deliveryMinor', o.delivery_minor, 'totalMinor', o.total_minor, 'delivery', o.delivery,
		'customer', jsonb_build_object('name', o.name, 'email', o.email, 'phone', o.phone),
		'shippingAddress', o.shipping_address, 'note', o.note,
		'expiresAt', to_char(o.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'createdAt', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'updatedAt', to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
	|| CASE WHEN p_timeline THEN jsonb_build_object('timeline', coalesce((SELECT jsonb_agg(jsonb_build_object(
			'at', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'kind', t.kind, 'field', t.field,
			'from', t.from_value, 'to', t.to_value, 'actor', t.actor, 'reason', t.reason) ORDER BY t.at, t.id)
			FROM order_timeline t WHERE t.order_id = o.id), '[]'::jsonb)) ELSE '{}'::jsonb END
	FROM orders o WHERE o.id = p_order_id
$$;
