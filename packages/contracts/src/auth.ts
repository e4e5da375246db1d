import { z } from "zod";
import type { CustomerPrincipal } from "./customers.ts";
import { email, isoDateTime, prefixedId } from "./fields.ts";
import { User } from "./identity.ts";

export const LoginInput = z
	.object({
		email,
		// No length rule here: a login must fail the same way for any wrong password.
		password: z.string().min(1).max(256),
	})
	.strict();
export type LoginInput = z.infer<typeof LoginInput>;

export const MemberRole = z.enum(["owner", "admin", "staff"]);
export type MemberRole = z.infer<typeof MemberRole>;

export const StoreMembership = z.object({
	id: prefixedId("st"),
	slug: z.string(),
	name: z.string(),
	role: MemberRole,
});
export type StoreMembership = z.infer<typeof StoreMembership>;

export const AccessToken = z.string().describe("ES256 JWT; send as `Authorization: Bearer …`");

export const LoginResult = z.object({ user: User, stores: z.array(StoreMembership), accessToken: AccessToken });
export type LoginResult = z.infer<typeof LoginResult>;

export const RefreshInput = z
	.object({
		refreshToken: z
			.string()
			.max(200)
			.optional()
			.describe("For clients without cookies; browsers send the oja_session cookie instead"),
	})
	.strict();

export const RefreshResult = z.object({ accessToken: AccessToken });

export const Me = z.object({ user: User, stores: z.array(StoreMembership), sessionId: prefixedId("ses") });
export type Me = z.infer<typeof Me>;

export const SessionInfo = z.object({
	id: prefixedId("ses"),
	createdAt: isoDateTime,
	lastUsedAt: isoDateTime,
	expiresAt: isoDateTime,
	userAgent: z.string().nullable(),
	ip: z.string().nullable(),
	current: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** Who is calling, as established by the gateway's token verification. */
export interface UserPrincipal {
	kind: "user";
	userId: string;
	sessionId: string;
	audience: "merchant" | "storefront" | "ops";
}

/** A server-to-server caller using a secret API key: acts as a member with `role` on one store. */
export interface ApiKeyPrincipal {
	kind: "api_key";
	keyId: string;
	storeId: string;
	role: "admin" | "staff";
	mode: "live" | "test";
}

/** An Oja operator, from an `ops`-audience token (password + TOTP login). */
export interface OperatorPrincipal {
	kind: "operator";
	operatorId: string;
	loginId: string;
}

export type Principal = UserPrincipal | ApiKeyPrincipal | OperatorPrincipal | CustomerPrincipal;

/** Client details recorded on a session, taken by the gateway from the request. */
export interface ClientMeta {
	userAgent: string | null;
	ip: string | null;
}

/** What identity hands back to the gateway after a login-like call: the refresh token goes in a cookie. */
export interface IssuedTokens {
	accessToken: string;
	refreshToken: string;
	refreshExpiresAt: string;
}
