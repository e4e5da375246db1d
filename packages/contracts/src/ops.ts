import { z } from "zod";
import { email, isoDateTime, prefixedId } from "./fields.ts";

export const OperatorRole = z.enum(["support", "admin", "super_admin"]);
export type OperatorRole = z.infer<typeof OperatorRole>;

export const OperatorLoginInput = z
	.object({
		email,
		password: z.string().min(1).max(256),
		totp: z.string().regex(/^\d{6}$/, { message: "The 6-digit code from your authenticator app" }),
	})
	.strict();
export type OperatorLoginInput = z.infer<typeof OperatorLoginInput>;

export const Operator = z.object({ id: prefixedId("op"), email: z.string(), name: z.string(), role: OperatorRole });
export type Operator = z.infer<typeof Operator>;

export const OperatorLoginResult = z.object({
	operator: Operator,
	accessToken: z.string().describe("ES256 JWT, audience `ops`, valid 15 minutes; no refresh"),
});
export type OperatorLoginResult = z.infer<typeof OperatorLoginResult>;

export const AuditEntry = z.object({
	id: prefixedId("aud"),
	actorId: z.string(),
	actorEmail: z.string(),
	action: z.string(),
	targetType: z.string().nullable(),
	targetId: z.string().nullable(),
	before: z.unknown().nullable(),
	after: z.unknown().nullable(),
	requestId: z.string().nullable(),
	ip: z.string().nullable(),
	at: isoDateTime,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** What the gateway records for an operator action. */
export interface AuditInput {
	action: string;
	targetType?: string;
	targetId?: string;
	before?: unknown;
	after?: unknown;
}

export const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });
