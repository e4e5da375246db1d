import { z } from "zod";

// Field builders shared by every API contract, so "a name" or "a slug" means the same
// thing on every route.

const HTML_TAG = /<\s*[a-z!/?][^>]*>?/i;
// Control characters other than tab/newline have no business in names or titles.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Plain text: trimmed, bounded, no HTML tags, no control characters. */
export const plainText = (max: number, min = 1) =>
	z
		.string()
		.trim()
		.min(min)
		.max(max)
		.refine((s) => !HTML_TAG.test(s), { message: "HTML is not allowed in this field" })
		.refine((s) => !CONTROL.test(s), { message: "Control characters are not allowed" });

export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
	"about",
	"account",
	"admin",
	"api",
	"app",
	"assets",
	"auth",
	"billing",
	"blog",
	"cart",
	"checkout",
	"dashboard",
	"docs",
	"health",
	"help",
	"login",
	"logout",
	"mail",
	"null",
	"oja",
	"ops",
	"root",
	"s",
	"settings",
	"signup",
	"static",
	"status",
	"store",
	"stores",
	"support",
	"system",
	"undefined",
	"webhooks",
	"www",
]);

export const slug = z
	.string()
	.min(3, { message: "Slug must be 3–40 characters" })
	.max(40, { message: "Slug must be 3–40 characters" })
	.regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, {
		message: "Slug may contain lowercase letters, digits and inner hyphens only",
	})
	.refine((s) => !s.includes("--"), { message: "Slug may not contain consecutive hyphens" })
	.refine((s) => !RESERVED_SLUGS.has(s), { message: "This slug is reserved" });

export const email = z
	.string()
	.trim()
	.max(254)
	.toLowerCase()
	.pipe(z.email({ message: "Must be a valid email address" }));

/** Currencies Paystack settles; money is always minor units of one of these. */
export const CURRENCIES = ["NGN", "GHS", "ZAR", "KES", "USD", "XOF"] as const;
export const currency = z.enum(CURRENCIES);
export type Currency = z.infer<typeof currency>;

// Bounds that keep every total Oja computes exact. A line is at most MAX_LINE_QUANTITY units
// at MAX_UNIT_PRICE_MINOR each, an order at most MAX_ORDER_LINES lines plus fees, so an order
// total stays below 2^53 (exact as a JS number and as JSON) with room to spare; sums across
// orders (balances, payouts) are bigint in Postgres and in code. See bounds.test.ts.

/** The most one unit may cost: 10^10 minor units (₦100,000,000.00; 10 billion CFA francs). */
export const MAX_UNIT_PRICE_MINOR = 10_000_000_000;
/** Units of one variant in one cart or order line. */
export const MAX_LINE_QUANTITY = 999;
/** Lines in one cart or order. */
export const MAX_ORDER_LINES = 100;
/** The most a fee (delivery, surcharge) may be, in minor units. */
export const MAX_FEE_MINOR = MAX_UNIT_PRICE_MINOR;
/** The largest order total these bounds allow: every line at the ceiling, plus a fee. */
export const MAX_ORDER_TOTAL_MINOR = MAX_UNIT_PRICE_MINOR * MAX_LINE_QUANTITY * MAX_ORDER_LINES + MAX_FEE_MINOR;
/**
 * Most units on hand for one variant. Stock lives in Postgres int4 (max 2,147,483,647); with
 * this ceiling and adjustments of at most the same size, no intermediate sum can overflow.
 */
export const MAX_STOCK = 1_000_000_000;

/** A unit price in minor units (kobo, pesewas, cents): a non-negative integer, never a float. */
export const minorUnits = z
	.number()
	.int()
	.nonnegative()
	.max(MAX_UNIT_PRICE_MINOR, {
		message: `At most ${MAX_UNIT_PRICE_MINOR} minor units`,
	});
/** A count of stock units. */
export const stockCount = z
	.number()
	.int()
	.nonnegative()
	.max(MAX_STOCK, { message: `At most ${MAX_STOCK} units` });

export const isoDateTime = z.iso.datetime({ offset: true });

export const prefixedId = (prefix: string) =>
	z.string().regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), { message: `Must be a ${prefix}_ id` });

export const MIN_PASSWORD_LENGTH = 10;

/** A password being set: long enough to resist guessing, bounded so hashing stays cheap. */
export const newPassword = z
	.string()
	.min(MIN_PASSWORD_LENGTH, { message: `Password must be at least ${MIN_PASSWORD_LENGTH} characters` })
	.max(256);
