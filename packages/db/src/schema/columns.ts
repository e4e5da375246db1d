import { bigint, char, text, timestamp } from "drizzle-orm/pg-core";

// Shared column builders so every table spells time, money and tenancy the same way.

export const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

/** The tenant key. Every tenant-owned table has it, indexed, and every query filters on it. */
export const storeId = () => text("store_id").notNull();

/**
 * Money is an integer count of minor units (kobo for NGN) next to its ISO 4217 code.
 * `mode: "number"` is safe because amounts are validated as safe integers at every boundary
 * (±9.0e15 kobo is far beyond any real order or balance).
 */
export const money = (name: string) => bigint(`${name}_minor`, { mode: "number" }).notNull();
export const currency = (name = "currency") => char(name, { length: 3 }).notNull();
