import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, currency, storeId, updatedAt } from "./columns.ts";
import { stores } from "./identity.ts";

export const productStatus = ["draft", "active", "archived"] as const;
export type ProductStatus = (typeof productStatus)[number];

export interface ProductImage {
	url: string;
	alt: string;
}

export interface ProductOption {
	name: string;
	values: string[];
}

export const products = pgTable(
	"products",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		handle: text("handle").notNull(),
		title: text("title").notNull(),
		description: text("description").notNull().default(""),
		status: text("status", { enum: productStatus }).notNull().default("draft"),
		tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
		images: jsonb("images").$type<ProductImage[]>().notNull().default(sql`'[]'::jsonb`),
		options: jsonb("options").$type<ProductOption[]>().notNull().default(sql`'[]'::jsonb`),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		uniqueIndex("products_store_handle_key").on(t.storeId, t.handle),
		index("products_store_status_idx").on(t.storeId, t.status, t.id),
		check("products_status_check", sql`${t.status} in ('draft', 'active', 'archived')`),
	],
);

export const variants = pgTable(
	"variants",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		productId: text("product_id")
			.notNull()
			.references(() => products.id, { onDelete: "cascade" }),
		sku: text("sku"),
		title: text("title").notNull(),
		optionValues: text("option_values").array().notNull().default(sql`'{}'::text[]`),
		priceMinor: bigint("price_minor", { mode: "number" }).notNull(),
		compareAtMinor: bigint("compare_at_minor", { mode: "number" }),
		currency: currency(),
		weightGrams: integer("weight_grams"),
		position: integer("position").notNull().default(0),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		uniqueIndex("variants_store_sku_key").on(t.storeId, t.sku),
		// One variant per option combination, enforced where concurrent adds cannot race past it.
		uniqueIndex("variants_product_options_key").on(t.productId, t.optionValues),
		index("variants_store_product_idx").on(t.storeId, t.productId),
		check("variants_price_check", sql`${t.priceMinor} >= 0 and (${t.compareAtMinor} is null or ${t.compareAtMinor} >= 0)`),
		check(
			"variants_price_max",
			sql`${t.priceMinor} <= 10000000000 and (${t.compareAtMinor} is null or ${t.compareAtMinor} <= 10000000000)`,
		),
	],
);

/** Stock per variant. available = on_hand − reserved, and the CHECK keeps it from going negative. */
export const inventory = pgTable(
	"inventory",
	{
		variantId: text("variant_id")
			.notNull()
			.references(() => variants.id, { onDelete: "cascade" }),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		onHand: integer("on_hand").notNull().default(0),
		reserved: integer("reserved").notNull().default(0),
		updatedAt: updatedAt(),
	},
	(t) => [
		primaryKey({ columns: [t.variantId], name: "inventory_pkey" }),
		index("inventory_store_id_idx").on(t.storeId),
		check("inventory_nonnegative", sql`${t.reserved} >= 0 and ${t.onHand} >= ${t.reserved}`),
		check("inventory_on_hand_max", sql`${t.onHand} <= 1000000000`),
	],
);

/** Every stock change with its reason: the history merchants reconcile against. */
export const inventoryAdjustments = pgTable(
	"inventory_adjustments",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		variantId: text("variant_id").notNull(),
		delta: integer("delta").notNull(),
		reason: text("reason").notNull(),
		onHandAfter: integer("on_hand_after").notNull(),
		actor: text("actor"),
		requestId: text("request_id"),
		createdAt: createdAt(),
	},
	(t) => [index("inventory_adjustments_store_variant_idx").on(t.storeId, t.variantId, t.createdAt)],
);

/** A manual collection: products in the merchant's chosen order. */
export const collections = pgTable(
	"collections",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		handle: text("handle").notNull(),
		title: text("title").notNull(),
		description: text("description").notNull().default(""),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		uniqueIndex("collections_store_handle_key").on(t.storeId, t.handle),
		index("collections_store_id_idx").on(t.storeId, t.id),
	],
);

export const collectionProducts = pgTable(
	"collection_products",
	{
		collectionId: text("collection_id")
			.notNull()
			.references(() => collections.id, { onDelete: "cascade" }),
		productId: text("product_id")
			.notNull()
			.references(() => products.id, { onDelete: "cascade" }),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		position: integer("position").notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.collectionId, t.productId], name: "collection_products_pkey" }),
		index("collection_products_order_idx").on(t.collectionId, t.position),
		index("collection_products_product_idx").on(t.storeId, t.productId),
	],
);
