import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const operatorRole = ["support", "admin", "super_admin"] as const;
export type OperatorRole = (typeof operatorRole)[number];

/**
 * Platform operators (Oja staff), separate from merchants: they sign in with a password and
 * a TOTP code and are provisioned from the command line, never over HTTP.
 */
export const operators = pgTable(
	"operators",
	{
		id: text("id").primaryKey(),
		email: text("email").notNull(),
		name: text("name").notNull(),
		role: text("role", { enum: operatorRole }).notNull(),
		passwordHash: text("password_hash").notNull(),
		/** The TOTP seed, AES-GCM sealed with the OPERATOR_TOTP_KEY secret. */
		totpSecretSealed: text("totp_secret_sealed").notNull(),
		/** The last TOTP time step accepted: a code is never accepted twice. */
		lastTotpStep: bigint("last_totp_step", { mode: "number" }),
		createdAt: createdAt(),
		disabledAt: timestamp("disabled_at", { withTimezone: true, mode: "date" }),
	},
	(t) => [uniqueIndex("operators_email_key").on(t.email)],
);

/**
 * Every operator action, append-only (a trigger refuses UPDATE and DELETE). Before/after
 * hold the target's relevant state where an action changes something.
 */
export const auditLog = pgTable(
	"audit_log",
	{
		id: text("id").primaryKey(),
		actorId: text("actor_id").notNull(),
		actorEmail: text("actor_email").notNull(),
		action: text("action").notNull(),
		targetType: text("target_type"),
		targetId: text("target_id"),
		before: jsonb("before"),
		after: jsonb("after"),
		requestId: text("request_id"),
		ip: text("ip"),
		at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
	},
	(t) => [index("audit_log_at_idx").on(t.at), index("audit_log_actor_idx").on(t.actorId, t.at)],
);
