import { z } from "zod";
import { currency, isoDateTime, MAX_STOCK, minorUnits, plainText, prefixedId, stockCount } from "./fields.ts";
import type { PublicStore } from "./identity.ts";

export const handle = z
	.string()
	.min(1)
	.max(100)
	.regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, { message: "Handles use lowercase letters, digits and inner hyphens" });

export const ProductStatus = z.enum(["draft", "active", "archived"]);

const Image = z
	.object({ url: z.url({ protocol: /^https$/, message: "Images must be https URLs" }).max(2000), alt: plainText(200, 0) })
	.strict();
const Option = z.object({ name: plainText(40), values: z.array(plainText(60)).min(1).max(50) }).strict();

export const VariantInput = z
	.object({
		sku: z
			.string()
			.trim()
			.min(1)
			.max(64)
			.regex(/^[A-Za-z0-9._\-/]+$/, { message: "SKUs use letters, digits and . _ - /" })
			.optional(),
		title: plainText(120).optional(),
		optionValues: z.array(plainText(60)).max(3).default([]),
		priceMinor: minorUnits.describe("Price in minor units (kobo) of the store's currency"),
		compareAtMinor: minorUnits.optional(),
		weightGrams: z.number().int().nonnegative().max(1_000_000).optional(),
		inventory: z.object({ onHand: stockCount }).strict().optional(),
	})
	.strict();
export type VariantInput = z.infer<typeof VariantInput>;

export const CreateProductInput = z
	.object({
		title: plainText(200),
		handle: handle.optional(),
		description: plainText(5000, 0).default(""),
		status: ProductStatus.default("draft"),
		tags: z.array(plainText(40)).max(50).default([]),
		images: z.array(Image).max(20).default([]),
		options: z.array(Option).max(3).default([]),
		variants: z.array(VariantInput).min(1).max(100),
	})
	.strict()
	.superRefine((p, ctx) => {
		const skus = new Set<string>();
		p.variants.forEach((v, i) => {
			if (v.optionValues.length !== p.options.length) {
				ctx.addIssue({
					code: "custom",
					path: ["variants", i, "optionValues"],
					message: `Give one value for each of the ${p.options.length} option(s)`,
				});
			}
			v.optionValues.forEach((value, j) => {
				const option = p.options[j];
				if (option && !option.values.includes(value)) {
					ctx.addIssue({
						code: "custom",
						path: ["variants", i, "optionValues", j],
						message: `"${value}" is not a value of ${option.name}`,
					});
				}
			});
			if (v.sku) {
				if (skus.has(v.sku))
					ctx.addIssue({ code: "custom", path: ["variants", i, "sku"], message: "Duplicate SKU in this product" });
				skus.add(v.sku);
			}
			if (v.compareAtMinor !== undefined && v.compareAtMinor <= v.priceMinor) {
				ctx.addIssue({
					code: "custom",
					path: ["variants", i, "compareAtMinor"],
					message: "Compare-at price must be above the price",
				});
			}
		});
		const combos = new Set(p.variants.map((v) => v.optionValues.join("\u0000")));
		if (combos.size !== p.variants.length)
			ctx.addIssue({ code: "custom", path: ["variants"], message: "Two variants have the same option values" });
	});
export type CreateProductInput = z.infer<typeof CreateProductInput>;

export const UpdateProductInput = z
	.object({
		title: plainText(200),
		handle,
		description: plainText(5000, 0),
		status: ProductStatus,
		tags: z.array(plainText(40)).max(50),
		images: z.array(Image).max(20),
	})
	.partial()
	.strict()
	.refine((u) => Object.keys(u).length > 0, { message: "Nothing to update" });
export type UpdateProductInput = z.infer<typeof UpdateProductInput>;

export const Variant = z.object({
	id: prefixedId("var"),
	sku: z.string().nullable(),
	title: z.string(),
	optionValues: z.array(z.string()),
	priceMinor: z.number().int(),
	compareAtMinor: z.number().int().nullable(),
	currency,
	weightGrams: z.number().int().nullable(),
	inventory: z.object({ onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() }),
});
export type Variant = z.infer<typeof Variant>;

export const Product = z.object({
	id: prefixedId("prd"),
	handle: z.string(),
	title: z.string(),
	description: z.string(),
	status: ProductStatus,
	tags: z.array(z.string()),
	images: z.array(z.object({ url: z.string(), alt: z.string() })),
	options: z.array(z.object({ name: z.string(), values: z.array(z.string()) })),
	variants: z.array(Variant),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
});
export type Product = z.infer<typeof Product>;

export const ProductListQuery = z.object({
	status: ProductStatus.optional(),
	collection: prefixedId("col").optional().describe("Only products in this collection"),
	q: z.string().trim().max(100).optional(),
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ProductListQuery = z.infer<typeof ProductListQuery>;

export const ProductList = z.object({ items: z.array(Product), nextCursor: z.string().nullable() });
export type ProductList = z.infer<typeof ProductList>;

export const ProductParams = z.object({ storeId: prefixedId("st"), productId: prefixedId("prd") });
export const InventoryParams = z.object({ storeId: prefixedId("st"), variantId: prefixedId("var") });

export const SetInventoryInput = z.object({ onHand: stockCount }).strict();
export const AdjustInventoryInput = z
	.object({
		delta: z
			.number()
			.int()
			.min(-MAX_STOCK)
			.max(MAX_STOCK)
			.refine((d) => d !== 0, { message: "Delta must not be zero" }),
		reason: plainText(200),
	})
	.strict();

export const InventoryLevel = z.object({
	variantId: prefixedId("var"),
	onHand: z.number().int(),
	reserved: z.number().int(),
	available: z.number().int(),
});
export type InventoryLevel = z.infer<typeof InventoryLevel>;

/** What shoppers see: availability as a label, never merchant-only fields. */
export const Availability = z.enum(["in_stock", "low", "sold_out"]);
export const StorefrontVariant = Variant.omit({ inventory: true }).extend({
	availability: Availability,
	available: z.number().int().optional().describe("Units available; only when the store opts to show counts"),
});
export const StorefrontProduct = Product.omit({ status: true, variants: true, createdAt: true, updatedAt: true }).extend({
	variants: z.array(StorefrontVariant),
});
export type StorefrontProduct = z.infer<typeof StorefrontProduct>;
export const StorefrontProductList = z.object({ items: z.array(StorefrontProduct), nextCursor: z.string().nullable() });
export const StorefrontSort = z.enum(["newest", "price-asc", "price-desc", "title"]);
export type StorefrontSort = z.infer<typeof StorefrontSort>;
export const StorefrontListQuery = z.object({
	collection: handle.optional().describe("Only products in the collection with this handle"),
	sort: z
		.enum(["manual", ...StorefrontSort.options])
		.optional()
		.describe("Defaults to the collection's own order when filtering by collection, otherwise newest first"),
	cursor: z.string().max(2000).optional(),
	limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type StorefrontListQuery = z.infer<typeof StorefrontListQuery>;

export const StorefrontSearchQuery = z.object({
	q: z.string().trim().min(1).max(100),
	limit: z.coerce.number().int().min(1).max(50).default(20),
});

// Variants on their own: add, change, remove one variant of an existing product.
export const CreateVariantInput = VariantInput;
export const UpdateVariantInput = z
	.object({
		sku: VariantInput.shape.sku.unwrap().nullable(),
		title: plainText(120),
		priceMinor: minorUnits,
		compareAtMinor: minorUnits.nullable(),
		weightGrams: z.number().int().nonnegative().max(1_000_000).nullable(),
	})
	.partial()
	.strict()
	.refine((u) => Object.keys(u).length > 0, { message: "Nothing to update" });
export type UpdateVariantInput = z.infer<typeof UpdateVariantInput>;
export const VariantParams = z.object({ storeId: prefixedId("st"), productId: prefixedId("prd"), variantId: prefixedId("var") });

// Manual collections: the merchant picks the products and their order.
const CollectionProductIds = z
	.array(prefixedId("prd"))
	.max(1000)
	.refine((ids) => new Set(ids).size === ids.length, { message: "A product appears twice" })
	.describe("The collection's products, in display order");
export const CollectionInput = z
	.object({
		title: plainText(200),
		handle: handle.optional(),
		description: plainText(5000, 0).default(""),
		productIds: CollectionProductIds.default([]),
	})
	.strict();
export type CollectionInput = z.infer<typeof CollectionInput>;
export const UpdateCollectionInput = z
	.object({
		title: plainText(200),
		handle,
		description: plainText(5000, 0),
		productIds: CollectionProductIds,
	})
	.partial()
	.strict()
	.refine((u) => Object.keys(u).length > 0, { message: "Nothing to update" });
export type UpdateCollectionInput = z.infer<typeof UpdateCollectionInput>;
export const Collection = z.object({
	id: prefixedId("col"),
	handle: z.string(),
	title: z.string(),
	description: z.string(),
	productIds: z.array(prefixedId("prd")).describe("In display order"),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
});
export type Collection = z.infer<typeof Collection>;
export const CollectionList = z.object({ items: z.array(Collection), nextCursor: z.string().nullable() });
export type CollectionList = z.infer<typeof CollectionList>;
export const CollectionListQuery = z.object({
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const CollectionParams = z.object({ storeId: prefixedId("st"), collectionId: prefixedId("col") });

export const StorefrontCollection = z.object({
	handle: z.string(),
	title: z.string(),
	description: z.string(),
	items: z.array(StorefrontProduct),
	nextCursor: z.string().nullable(),
});
export type StorefrontCollection = z.infer<typeof StorefrontCollection>;
export const StorefrontCollectionSummary = z.object({ handle: z.string(), title: z.string() });

/** What a storefront page needs, read in one go (pages render from it). */
export const StorefrontViewQuery = z.discriminatedUnion("kind", [
	z.object({
		kind: z.literal("home"),
		sort: StorefrontSort.optional(),
		cursor: z.string().max(2000).optional(),
		limit: z.number().int().min(1).max(50).default(24),
	}),
	z.object({
		kind: z.literal("collection"),
		handle,
		sort: z.enum(["manual", ...StorefrontSort.options]).optional(),
		cursor: z.string().max(2000).optional(),
		limit: z.number().int().min(1).max(50).default(24),
	}),
	z.object({ kind: z.literal("product"), handle }),
	z.object({ kind: z.literal("search"), q: z.string().trim().max(100), limit: z.number().int().min(1).max(50).default(24) }),
	/** The products holding these variants (a cart's lines), read live: never from a cache. */
	z.object({ kind: z.literal("variants"), ids: z.array(prefixedId("var")).max(50) }),
]);
export type StorefrontViewQuery = z.output<typeof StorefrontViewQuery>;
export interface StorefrontView {
	store: PublicStore;
	collections: z.infer<typeof StorefrontCollectionSummary>[];
	collection: { handle: string; title: string; description: string } | null;
	items: StorefrontProduct[];
	nextCursor: string | null;
}
