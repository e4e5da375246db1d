import { app } from "./app.ts";
import { routeCustomDomain } from "./storefront/custom-domains.ts";

export default {
	// Custom domains are resolved before routing: their requests become /s/{slug}/… requests.
	async fetch(request, env, ctx) {
		return app.fetch(await routeCustomDomain(request, env), env, ctx);
	},
	// The gateway has no cron trigger of its own: in production ops' cron sweeps the outbox.
	// `wrangler dev` fires only the primary Worker's scheduled handler, so `npm start`'s
	// ticker arrives here and is forwarded to the Worker that owns the job.
	scheduled(_controller, env, ctx) {
		ctx.waitUntil(env.OPS.relayOutbox());
		// Identity's own cron re-verifies custom domains in production; it skips any checked
		// within DOMAIN_RECHECK_SECONDS, so a tick every minute costs nothing extra.
		ctx.waitUntil(env.IDENTITY.recheckCustomDomains());
	},
} satisfies ExportedHandler<GatewayBindings>;

export type { GatewayApp } from "./app-env.ts";
