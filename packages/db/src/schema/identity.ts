import { sql } from "drizzle-orm";
import {
	bigint,
	boolean,
	check,
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	text,
	timestamp,
	uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, currency, storeId, updatedAt } from "./columns.ts";

export const stores = pgTable(
	"stores",
	{
		id: text("id").primaryKey(),
		slug: text("slug").notNull(),
		name: text("name").notNull(),
		currency: currency(),
		/** Public contact shown on the storefront (both optional). */
		contactEmail: text("contact_email"),
		contactPhone: text("contact_phone"),
		/** Storefront shows exact available counts instead of in-stock/low/sold-out labels. */
		showStockCounts: boolean("show_stock_counts").notNull().default(false),
		/** The merchant's own domain (normalised hostname), if any; served only once verified. */
		customDomain: text("custom_domain"),
		/** pending → verified (TXT proof seen) → failed (proof gone); null when no domain is set. */
		customDomainStatus: text("custom_domain_status", { enum: ["pending", "verified", "failed"] }),
		/** Random per claim: the TXT record `_oja-challenge.<domain>` must carry `oja-verify=<token>`. */
		customDomainToken: text("custom_domain_token"),
		customDomainVerifiedAt: timestamp("custom_domain_verified_at", { withTimezone: true }),
		customDomainCheckedAt: timestamp("custom_domain_checked_at", { withTimezone: true }),
		/** Platform fee on online sales: basis points + fixed minor units, capped (@oja/ledger platformFee). */
		platformFeeBps: integer("platform_fee_bps").notNull().default(150),
		platformFeeFixedMinor: bigint("platform_fee_fixed_minor", { mode: "number" }).notNull().default(10_000),
		platformFeeCapMinor: bigint("platform_fee_cap_minor", { mode: "number" }).notNull().default(200_000),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [
		uniqueIndex("stores_slug_key").on(t.slug),
		// Claims are not exclusive (a pending claim proves nothing); one store at a time may
		// hold a domain verified.
		uniqueIndex("stores_verified_custom_domain_key").on(t.customDomain).where(sql`${t.customDomainStatus} = 'verified'`),
		index("stores_custom_domain_idx").on(t.customDomain),
		// The re-verification sweep takes the verified domains checked longest ago.
		index("stores_custom_domain_recheck_idx").on(t.customDomainCheckedAt).where(sql`${t.customDomainStatus} = 'verified'`),
		check(
			"stores_custom_domain_state",
			sql`(${t.customDomain} IS NULL AND ${t.customDomainStatus} IS NULL AND ${t.customDomainToken} IS NULL) OR (${t.customDomain} IS NOT NULL AND ${t.customDomainStatus} IN ('pending', 'verified', 'failed') AND ${t.customDomainToken} IS NOT NULL)`,
		),
		check("stores_slug_format", sql`${t.slug} ~ '^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$'`),
	],
);

export const users = pgTable(
	"users",
	{
		id: text("id").primaryKey(),
		email: text("email").notNull(),
		name: text("name").notNull(),
		passwordHash: text("password_hash").notNull(),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	// Emails are stored lower-cased by the domain layer; the unique index enforces one account each.
	(t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const memberRole = ["owner", "admin", "staff"] as const;
export type MemberRole = (typeof memberRole)[number];

export const memberships = pgTable(
	"memberships",
	{
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		userId: text("user_id")
			.notNull()
			.references(() => users.id, { onDelete: "cascade" }),
		role: text("role", { enum: memberRole }).notNull(),
		createdAt: createdAt(),
	},
	(t) => [
		primaryKey({ columns: [t.storeId, t.userId], name: "memberships_pkey" }),
		index("memberships_user_id_idx").on(t.userId),
		check("memberships_role_check", sql`${t.role} in ('owner', 'admin', 'staff')`),
	],
);

export const sessionAudience = ["merchant", "storefront", "ops"] as const;

/**
 * A login. Access tokens are short-lived JWTs naming the session; the session's refresh
 * token is what keeps it alive, and revoking the session is what logs it out.
 */
export const sessions = pgTable(
	"sessions",
	{
		id: text("id").primaryKey(),
		userId: text("user_id")
			.notNull()
			.references(() => users.id, { onDelete: "cascade" }),
		audience: text("audience", { enum: sessionAudience }).notNull(),
		createdAt: createdAt(),
		lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
		expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
		revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
		revokedReason: text("revoked_reason"),
		userAgent: text("user_agent"),
		ip: text("ip"),
	},
	(t) => [index("sessions_user_id_idx").on(t.userId)],
);

/**
 * Every refresh token a session has had, stored as a SHA-256 hash. Only the newest is
 * unrotated; presenting a rotated one means it was copied, so the session is revoked.
 */
export const refreshTokens = pgTable(
	"refresh_tokens",
	{
		tokenHash: text("token_hash").primaryKey(),
		sessionId: text("session_id")
			.notNull()
			.references(() => sessions.id, { onDelete: "cascade" }),
		createdAt: createdAt(),
		rotatedAt: timestamp("rotated_at", { withTimezone: true, mode: "date" }),
	},
	(t) => [index("refresh_tokens_session_id_idx").on(t.sessionId)],
);

export const apiKeyKind = ["secret", "publishable"] as const;
export const apiKeyMode = ["live", "test"] as const;

/**
 * Merchant API keys: secret live keys (`sk_live_…`) act as a member with `role` on one store.
 * Only a SHA-256 of the key is kept; the key itself is shown once, at creation. Test-mode and
 * publishable kinds existed before issue 8; migration 0011 revoked them and a CHECK keeps any
 * from being active again (the columns stay for the revoked rows).
 */
export const apiKeys = pgTable(
	"api_keys",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		name: text("name").notNull(),
		kind: text("kind", { enum: apiKeyKind }).notNull(),
		mode: text("mode", { enum: apiKeyMode }).notNull(),
		role: text("role", { enum: memberRole }),
		/** The first characters, so merchants can tell keys apart in the dashboard. */
		prefix: text("prefix").notNull(),
		tokenHash: text("token_hash").notNull(),
		createdBy: text("created_by"),
		createdAt: createdAt(),
		lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
		revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
	},
	(t) => [
		uniqueIndex("api_keys_token_hash_key").on(t.tokenHash),
		index("api_keys_store_id_idx").on(t.storeId),
		check("api_keys_role_check", sql`(${t.kind} = 'secret') = (${t.role} is not null)`),
		check("api_keys_live_secret_only", sql`${t.revokedAt} IS NOT NULL OR (${t.kind} = 'secret' AND ${t.mode} = 'live')`),
	],
);

/**
 * Every change to a store's team and API keys: who made it (a user, from which session; or a
 * key, should keys ever be allowed to) and what it touched. Append-only (a trigger refuses
 * UPDATE and DELETE), written in the same transaction as the change.
 */
export const storeAuditLog = pgTable(
	"store_audit_log",
	{
		id: text("id").primaryKey(),
		storeId: text("store_id").notNull(),
		actorUserId: text("actor_user_id"),
		actorSessionId: text("actor_session_id"),
		actorApiKeyId: text("actor_api_key_id"),
		action: text("action").notNull(),
		targetType: text("target_type").notNull(),
		targetId: text("target_id").notNull(),
		details: jsonb("details"),
		requestId: text("request_id"),
		at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
	},
	(t) => [
		index("store_audit_log_store_at_idx").on(t.storeId, t.at),
		check("store_audit_log_actor_check", sql`${t.actorUserId} IS NOT NULL OR ${t.actorApiKeyId} IS NOT NULL`),
	],
);

/**
 * A store's customers. Guests (no password) are created by checkout with just an email; a
 * shopper who signs up gets a password on the same record. Customers belong to one store:
 * the same email at two stores is two customers.
 */
export const customers = pgTable(
	"customers",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		email: text("email"),
		name: text("name"),
		phone: text("phone"),
		passwordHash: text("password_hash"),
		emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true, mode: "date" }),
		createdAt: createdAt(),
		updatedAt: updatedAt(),
	},
	(t) => [uniqueIndex("customers_store_email_key").on(t.storeId, t.email), index("customers_store_id_idx").on(t.storeId)],
);

/** A customer's storefront sign-in; revoking it (logout) stops its token at the next check. */
export const customerSessions = pgTable(
	"customer_sessions",
	{
		id: text("id").primaryKey(),
		storeId: storeId().references(() => stores.id, { onDelete: "cascade" }),
		customerId: text("customer_id")
			.notNull()
			.references(() => customers.id, { onDelete: "cascade" }),
		createdAt: createdAt(),
		expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
		revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
	},
	(t) => [index("customer_sessions_store_id_idx").on(t.storeId), index("customer_sessions_customer_id_idx").on(t.customerId)],
);
