import { parseHostList } from "@oja/contracts";
import { routesToDashboard, routesToStorefront } from "@oja/edge-cache";
import { app } from "./app.ts";

let platformHosts: string[] | undefined;

export default {
	// Shopper pages (/s/… and merchants' own domains) are the storefront Worker's: the gateway
	// is the one public route and hands them over, unchanged, on a service binding (see
	// docs/architecture.md, "The storefront Worker"). So is the merchant web app (/account/… on
	// Oja's own hosts) to the dashboard Worker. Everything else is the API's.
	fetch(request, env, ctx) {
		platformHosts ??= parseHostList(env.PLATFORM_HOSTS);
		const url = new URL(request.url);
		if (routesToStorefront(url, platformHosts)) return env.STOREFRONT.fetch(request);
		if (routesToDashboard(url, platformHosts)) return env.DASHBOARD.fetch(request);
		return app.fetch(request, env, ctx);
	},
	// The gateway has no cron trigger of its own: in production ops' cron sweeps the outbox.
	// `wrangler dev` fires only the primary Worker's scheduled handler, so `npm start`'s
	// ticker arrives here and is forwarded to the Worker that owns the job.
	scheduled(_controller, env, ctx) {
		ctx.waitUntil(env.OPS.relayOutbox());
		ctx.waitUntil(env.OPS.purgeExpired());
		// Identity's own cron re-verifies custom domains in production; it skips any checked
		// within DOMAIN_RECHECK_SECONDS, so a tick every minute costs nothing extra.
		ctx.waitUntil(env.IDENTITY.recheckCustomDomains());
		// And the other Workers' crons: reservations expire, sales settle, payouts and refunds are
		// retried, yesterday is reconciled. In production each runs on its own Worker's trigger.
		ctx.waitUntil(env.COMMERCE.expireReservations());
		ctx.waitUntil(env.LEDGER.settle());
		ctx.waitUntil(env.PAYMENTS.tick());
		ctx.waitUntil(env.MESSAGING.tick());
	},
} satisfies ExportedHandler<GatewayBindings>;

export type { GatewayApp } from "./app-env.ts";
