import {
	errorProblem,
	methodNotAllowedProblem,
	notFoundProblem,
	payloadTooLargeProblem,
	requestContext,
} from "@oja/http-conventions";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { GatewayEnv } from "./app-env.ts";
import { corsFor } from "./middleware/cors.ts";
import { limitByIp } from "./middleware/rate-limit.ts";
import { authRoutes } from "./routes/auth.ts";
import { cartRoutes } from "./routes/carts.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { catalogImportRoutes, hasOwnBodyLimit } from "./routes/catalog-import.ts";
import { collectionRoutes } from "./routes/collections.ts";
import { customDomainRoutes } from "./routes/custom-domains.ts";
import { deliveryOptionRoutes } from "./routes/delivery-options.ts";
import { deliveryWebhookRoutes } from "./routes/delivery-webhooks.ts";
import { discountRoutes } from "./routes/discounts.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { homeRoutes } from "./routes/home.tsx";
import { inboxRoutes } from "./routes/inbox.ts";
import { ledgerRoutes } from "./routes/ledger.ts";
import { opsRoutes } from "./routes/ops.ts";
import { orderLiveRoutes } from "./routes/order-live.ts";
import { orderRoutes } from "./routes/orders.ts";
import { payoutRoutes } from "./routes/payouts.ts";
import { paystackWebhookRoutes } from "./routes/paystack-webhooks.ts";
import { refundRoutes } from "./routes/refunds.ts";
import { resendWebhookRoutes } from "./routes/resend-webhooks.ts";
import { storefrontRoutes } from "./routes/storefront.ts";
import { storefrontCatalogRoutes } from "./routes/storefront-catalog.ts";
import { storeRoutes } from "./routes/stores.ts";
import { variantRoutes } from "./routes/variants.ts";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.ts";
import { whatsappWebhookRoutes } from "./routes/whatsapp-webhooks.ts";

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * CORS and body-limit middleware depend only on vars, which are fixed for an isolate's
 * lifetime, so each is built once on first use instead of on every request.
 */
function perIsolate(build: (env: GatewayBindings) => MiddlewareHandler<GatewayEnv>): MiddlewareHandler<GatewayEnv> {
	let built: MiddlewareHandler<GatewayEnv> | undefined;
	return (c, next) => {
		built ??= build(c.env);
		return built(c, next);
	};
}

/** The gateway's routes and middleware; `index.ts` sends the shopper pages to the storefront Worker first. */
const app = new Hono<GatewayEnv>();

app.use(requestContext());
app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedProblem }));
app.use(
	perIsolate((env) => {
		const origins = new Set(
			(env.CORS_ORIGINS ?? "")
				.split(",")
				.map((o) => o.trim())
				.filter(Boolean),
		);
		return corsFor(origins);
	}),
);
app.use(
	perIsolate((env) => {
		const maxSize = Number(env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES;
		const limit = bodyLimit({ maxSize, onError: (c) => payloadTooLargeProblem(c, maxSize) });
		// Bulk import streams a larger body under its own cap (routes/catalog-import.ts).
		return (c, next) => (hasOwnBodyLimit(c.req.path) ? next() : limit(c, next));
	}),
);

// Per-IP limits on unauthenticated surfaces; per-key limits are applied after API key auth.
const authLimit = limitByIp("AUTH_RATE_LIMITER", "sign-in attempts from your network");
app.use("/v1/auth/signup", authLimit);
app.use("/v1/auth/login", authLimit);
app.use("/v1/auth/refresh", authLimit);
app.use("/v1/ops/auth/login", authLimit);
app.use("/v1/storefront/:slug/account/signup", authLimit);
app.use("/v1/storefront/:slug/account/login", authLimit);
// Each request may send an email (and confirmations try tokens): limited like sign-ins.
for (const path of ["/v1/auth/email-verification", "/v1/auth/password-reset"]) {
	app.use(path, authLimit);
	app.use(`${path}/confirm`, authLimit);
	app.use(`/v1/storefront/:slug/account${path.slice("/v1/auth".length)}`, authLimit);
	app.use(`/v1/storefront/:slug/account${path.slice("/v1/auth".length)}/confirm`, authLimit);
}
// Cached storefront reads are limited only when they miss (@oja/edge-cache); the routes below
// always reach the origin. The shopper pages (/s/…) are the storefront Worker's (index.ts).
const publicLimit = limitByIp("PUBLIC_RATE_LIMITER", "requests from your network");
app.use("/v1/storefront/:slug/account/*", publicLimit);
app.use("/v1/storefront/:slug/carts/*", publicLimit);
app.use("/v1/storefront/:slug/orders/*", publicLimit);
// Not edge-cached: every request reads Postgres.
app.use("/v1/storefront/:slug/delivery-options", publicLimit);

app.route("/", homeRoutes);
app.route("/", healthRoutes);
app.route("/", docsRoutes);
app.route("/", authRoutes);
app.route("/", storefrontRoutes);
// Before any `/v1/stores/:storeId/orders/:orderId` route, which would take "live" for an id.
app.route("/", orderLiveRoutes);
app.route("/", storefrontCatalogRoutes);
app.route("/", storeRoutes);
app.route("/", customDomainRoutes);
// POST …/products/import: no POST route shares its shape, so order is not load-bearing (checked both ways).
app.route("/", catalogImportRoutes);
app.route("/", catalogRoutes);
app.route("/", variantRoutes);
app.route("/", collectionRoutes);
app.route("/", discountRoutes);
app.route("/", inboxRoutes);
app.route("/", webhookEndpointRoutes);
app.route("/", deliveryOptionRoutes);
app.route("/", opsRoutes);
app.route("/", cartRoutes);
app.route("/", orderRoutes);
app.route("/", refundRoutes);
app.route("/", ledgerRoutes);
app.route("/", payoutRoutes);
app.route("/", deliveryWebhookRoutes);
app.route("/", paystackWebhookRoutes);
app.route("/", whatsappWebhookRoutes);
app.route("/", resendWebhookRoutes);

app.notFound(notFoundProblem());
app.onError(errorProblem());

export { app };
