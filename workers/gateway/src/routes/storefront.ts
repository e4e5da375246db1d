import {
	Accepted,
	Customer,
	CustomerAuthResult,
	CustomerLoginInput,
	CustomerSignupInput,
	EmailVerificationConfirmInput,
	PasswordResetConfirmInput,
	PasswordResetRequestInput,
	ProblemError,
	PublicStore,
	problem,
	slug,
} from "@oja/contracts";
import type { Context } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { verifyCustomer } from "../middleware/authenticate.ts";
import { routeGroup } from "../openapi/registry.ts";
import { cachedRead } from "../storefront-cache.ts";
import { sendResult, unwrap } from "../validate.ts";

const SlugParam = z.object({ slug });

async function shopper(c: Context<GatewayEnv>) {
	const principal = await verifyCustomer(c);
	if (!principal) {
		throw new ProblemError(
			problem("unauthorized", "Send a storefront token as `Authorization: Bearer …`.", { extensions: { code: "missing" } }),
		);
	}
	return principal;
}

export const storefrontRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug",
			operationId: "storefrontStore",
			summary: "A store's public profile",
			tags: ["storefront"],
			params: SlugParam,
			responses: { 200: { description: "The store", schema: PublicStore } },
			problems: ["not-found", "rate-limited"],
		},
		[],
		async (c, { params }) => {
			const { slug: storeSlug } = params;
			return cachedRead(c, { slug: storeSlug }, async () => {
				const result = await c.env.IDENTITY.storeBySlug(storeSlug, { requestId: c.get("requestId") });
				if (result.ok) c.set("storeId", result.value.id);
				return sendResult(c, result);
			});
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/signup",
			operationId: "customerSignup",
			summary: "Create a shopper account at this store (or give a guest checkout email a password)",
			tags: ["storefront"],
			params: SlugParam,
			body: CustomerSignupInput,
			responses: { 201: { description: "Signed up and signed in", schema: CustomerAuthResult } },
			problems: ["not-found", "conflict", "rate-limited"],
		},
		[],
		async (c, { params, body }) => {
			const { slug: storeSlug } = params;
			return sendResult(c, await c.env.IDENTITY.customerSignup(storeSlug, body, { requestId: c.get("requestId") }), 201);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/login",
			operationId: "customerLogin",
			summary: "Shopper sign-in at this store",
			tags: ["storefront"],
			params: SlugParam,
			body: CustomerLoginInput,
			responses: { 200: { description: "Signed in", schema: CustomerAuthResult } },
			problems: ["not-found", "unauthorized", "rate-limited"],
		},
		[],
		async (c, { params, body }) => {
			const { slug: storeSlug } = params;
			return sendResult(c, await c.env.IDENTITY.customerLogin(storeSlug, body, { requestId: c.get("requestId") }));
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/account",
			operationId: "customerMe",
			summary: "The signed-in shopper (a storefront token for this store)",
			tags: ["storefront"],
			params: SlugParam,
			responses: { 200: { description: "The shopper", schema: Customer } },
			problems: ["unauthorized", "not-found", "rate-limited"],
		},
		[],
		async (c, { params }) => {
			const { slug: storeSlug } = params;
			const principal = await shopper(c);
			return sendResult(c, await c.env.IDENTITY.customer(storeSlug, { requestId: c.get("requestId"), principal }));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/logout",
			operationId: "customerLogout",
			summary: "Sign the shopper out",
			tags: ["storefront"],
			params: SlugParam,
			responses: { 204: { description: "Signed out" } },
			problems: ["unauthorized", "rate-limited"],
		},
		[],
		async (c) => {
			const principal = await shopper(c);
			unwrap(await c.env.IDENTITY.customerLogout({ requestId: c.get("requestId"), principal }));
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/email-verification",
			operationId: "customerRequestEmailVerification",
			summary: "Email the signed-in shopper a link that verifies their address at this store",
			description: "The link works once, for 24 hours, at this store only. Verifying shows the shopper their guest orders.",
			tags: ["storefront"],
			params: SlugParam,
			responses: { 202: { description: "Accepted", schema: Accepted } },
			problems: ["unauthorized", "not-found", "rate-limited"],
		},
		[],
		async (c, { params }) => {
			const principal = await shopper(c);
			const ctx = { requestId: c.get("requestId"), principal };
			return sendResult(c, await c.env.IDENTITY.customerRequestEmailVerification(params.slug, ctx), 202);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/email-verification/confirm",
			operationId: "customerConfirmEmailVerification",
			summary: "Verify the shopper's email with the token from the link",
			tags: ["storefront"],
			params: SlugParam,
			body: EmailVerificationConfirmInput,
			responses: { 200: { description: "Verified", schema: z.object({ verified: z.literal(true) }) } },
			problems: ["bad-request", "gone", "not-found", "rate-limited"],
		},
		[],
		async (c, { params, body }) => {
			const ctx = { requestId: c.get("requestId") };
			return sendResult(c, await c.env.IDENTITY.customerConfirmEmailVerification(params.slug, body, ctx));
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/password-reset",
			operationId: "customerRequestPasswordReset",
			summary: "Email a password-reset link, if this store has a shopper account with this address",
			description:
				"Always 202, whatever the address: the answer does not tell whether an account exists. The link works once, for 1 hour.",
			tags: ["storefront"],
			params: SlugParam,
			body: PasswordResetRequestInput,
			responses: { 202: { description: "Accepted", schema: Accepted } },
			problems: ["rate-limited"],
		},
		[],
		async (c, { params, body }) => {
			const ctx = { requestId: c.get("requestId") };
			return sendResult(c, await c.env.IDENTITY.customerRequestPasswordReset(params.slug, body, ctx), 202);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/storefront/:slug/account/password-reset/confirm",
			operationId: "customerConfirmPasswordReset",
			summary: "Set the shopper's new password with the token from the link; signs out their sessions",
			tags: ["storefront"],
			params: SlugParam,
			body: PasswordResetConfirmInput,
			responses: { 200: { description: "Password changed", schema: z.object({ reset: z.literal(true) }) } },
			problems: ["bad-request", "gone", "not-found", "rate-limited"],
		},
		[],
		async (c, { params, body }) => {
			const ctx = { requestId: c.get("requestId") };
			return sendResult(c, await c.env.IDENTITY.customerConfirmPasswordReset(params.slug, body, ctx));
		},
	).app;
