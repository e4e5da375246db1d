import {
	Accepted,
	EmailVerificationConfirmInput,
	LoginInput,
	LoginResult,
	Me,
	PasswordResetConfirmInput,
	PasswordResetRequestInput,
	ProblemError,
	problem,
	RefreshInput,
	RefreshResult,
	SessionInfo,
	SignupInput,
	SignupResult,
} from "@oja/contracts";
import { getCookie } from "hono/cookie";
import { z } from "zod";
import { checkCsrf, requireAuth, verifyPrincipal } from "../middleware/authenticate.ts";
import { routeGroup } from "../openapi/registry.ts";
import { clearSessionCookies, clientMeta, SESSION_COOKIE, setSessionCookies } from "../session-cookies.ts";
import { sendResult } from "../validate.ts";

export const authRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/auth/signup",
			operationId: "signup",
			summary: "Create a merchant account and their store",
			description:
				"Creates the user, the store and the owner membership in one transaction, and signs the merchant in: the access token is in the body, the refresh token in the HttpOnly `oja_session` cookie.",
			tags: ["auth"],
			body: SignupInput,
			responses: { 201: { description: "Account and store created", schema: SignupResult } },
			problems: ["conflict"],
		},
		[],
		async (c, { body }) => {
			const result = await c.env.IDENTITY.signup(body, { requestId: c.get("requestId") }, clientMeta(c));
			if (!result.ok) return sendResult(c, result);
			c.set("storeId", result.value.body.store.id);
			setSessionCookies(c, result.value.tokens);
			return c.json(result.value.body, 201);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/login",
			operationId: "login",
			summary: "Sign in with email and password",
			description: "Unknown email and wrong password answer identically.",
			tags: ["auth"],
			body: LoginInput,
			responses: { 200: { description: "Signed in", schema: LoginResult } },
			problems: ["unauthorized"],
		},
		[],
		async (c, { body }) => {
			const result = await c.env.IDENTITY.login(body, { requestId: c.get("requestId") }, clientMeta(c));
			if (!result.ok) return sendResult(c, result);
			setSessionCookies(c, result.value.tokens);
			return c.json(result.value.body, 200);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/refresh",
			operationId: "refresh",
			summary: "Exchange the refresh token for a new access token (rotating the refresh token)",
			description:
				"Reads the `oja_session` cookie (with the CSRF header) or `refreshToken` in the body. Presenting an already-rotated refresh token signs the whole session out.",
			tags: ["auth"],
			body: RefreshInput,
			bodyOptional: true,
			responses: { 200: { description: "New access token; the new refresh token is in the cookie", schema: RefreshResult } },
			problems: ["unauthorized", "forbidden"],
		},
		[],
		async (c, { body }) => {
			let token = body?.refreshToken;
			if (!token) {
				token = getCookie(c, SESSION_COOKIE);
				if (token) checkCsrf(c);
			}
			if (!token)
				throw new ProblemError(problem("unauthorized", "No refresh token: sign in again.", { extensions: { code: "missing" } }));
			const result = await c.env.IDENTITY.refresh(token, { requestId: c.get("requestId") });
			if (!result.ok) {
				if (!body?.refreshToken) clearSessionCookies(c);
				return sendResult(c, result);
			}
			setSessionCookies(c, result.value);
			return c.json({ accessToken: result.value.accessToken }, 200);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/logout",
			operationId: "logout",
			summary: "Sign out the current session",
			tags: ["auth"],
			responses: { 204: { description: "Signed out; cookies cleared" } },
			problems: ["unauthorized", "forbidden"],
		},
		[],
		async (c) => {
			const principal = await verifyPrincipal(c, "merchant").catch(() => undefined);
			const refreshToken = getCookie(c, SESSION_COOKIE) ?? null;
			if (!principal && !refreshToken)
				throw new ProblemError(problem("unauthorized", "Nothing to sign out.", { extensions: { code: "missing" } }));
			if (!principal) checkCsrf(c);
			const result = await c.env.IDENTITY.logout({ requestId: c.get("requestId"), principal }, refreshToken);
			if (!result.ok) return sendResult(c, result);
			clearSessionCookies(c);
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/auth/me",
			operationId: "me",
			summary: "The signed-in merchant and their stores",
			tags: ["auth"],
			responses: { 200: { description: "The caller", schema: Me } },
			problems: ["unauthorized"],
		},
		[requireAuth("merchant")],
		async (c) => {
			return sendResult(c, await c.env.IDENTITY.me({ requestId: c.get("requestId"), principal: c.get("principal") }));
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/auth/sessions",
			operationId: "listSessions",
			summary: "The caller's active sessions",
			tags: ["auth"],
			responses: {
				200: { description: "Active sessions, most recently used first", schema: z.object({ sessions: z.array(SessionInfo) }) },
			},
			problems: ["unauthorized"],
		},
		[requireAuth("merchant")],
		async (c) => {
			const result = await c.env.IDENTITY.sessions({ requestId: c.get("requestId"), principal: c.get("principal") });
			if (!result.ok) return sendResult(c, result);
			return c.json({ sessions: result.value }, 200);
		},
	)
	.declare(
		{
			method: "delete",
			path: "/v1/auth/sessions/:id",
			operationId: "revokeSession",
			summary: "Sign out one of the caller's sessions",
			tags: ["auth"],
			params: z.object({ id: z.string().regex(/^ses_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a ses_ id" }) }),
			responses: { 204: { description: "Signed out" } },
			problems: ["unauthorized", "not-found", "forbidden"],
		},
		[requireAuth("merchant")],
		async (c, { params }) => {
			const { id } = params;
			const result = await c.env.IDENTITY.revokeSession(id, { requestId: c.get("requestId"), principal: c.get("principal") });
			if (!result.ok) return sendResult(c, result);
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/email-verification",
			operationId: "requestEmailVerification",
			summary: "Email the signed-in merchant a link that verifies their address",
			description: "The link works once, for 24 hours; asking again retires earlier links. Nothing is sent once verified.",
			tags: ["auth"],
			responses: { 202: { description: "Accepted", schema: Accepted } },
			problems: ["unauthorized", "rate-limited"],
		},
		[requireAuth("merchant")],
		async (c) => {
			const ctx = { requestId: c.get("requestId"), principal: c.get("principal") };
			return sendResult(c, await c.env.IDENTITY.requestEmailVerification(ctx), 202);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/email-verification/confirm",
			operationId: "confirmEmailVerification",
			summary: "Verify the merchant's email with the token from the link",
			tags: ["auth"],
			body: EmailVerificationConfirmInput,
			responses: { 200: { description: "Verified", schema: z.object({ verified: z.literal(true) }) } },
			problems: ["bad-request", "gone", "rate-limited"],
		},
		[],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.confirmEmailVerification(body, { requestId: c.get("requestId") }));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/password-reset",
			operationId: "requestPasswordReset",
			summary: "Email a password-reset link, if an account has this address",
			description:
				"Always 202, whatever the address: the answer does not tell whether an account exists. The link works once, for 1 hour.",
			tags: ["auth"],
			body: PasswordResetRequestInput,
			responses: { 202: { description: "Accepted", schema: Accepted } },
			problems: ["rate-limited"],
		},
		[],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.requestPasswordReset(body, { requestId: c.get("requestId") }), 202);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/auth/password-reset/confirm",
			operationId: "confirmPasswordReset",
			summary: "Set a new password with the token from the link; signs out every session",
			tags: ["auth"],
			body: PasswordResetConfirmInput,
			responses: {
				200: { description: "Password changed; every session signed out", schema: z.object({ reset: z.literal(true) }) },
			},
			problems: ["bad-request", "gone", "rate-limited"],
		},
		[],
		async (c, { body }) => {
			const result = await c.env.IDENTITY.confirmPasswordReset(body, { requestId: c.get("requestId") });
			// This browser's session was signed out with the rest.
			if (result.ok) clearSessionCookies(c);
			return sendResult(c, result);
		},
	)
	.declare(
		{
			method: "get",
			path: "/.well-known/jwks.json",
			operationId: "jwks",
			summary: "Public keys that verify Oja access tokens (ES256)",
			tags: ["auth"],
			responses: { 200: { description: "JSON Web Key Set" } },
		},
		[],
		async (c) => {
			return c.json(await c.env.IDENTITY.jwks(), 200, { "cache-control": "public, max-age=300" });
		},
	).app;
