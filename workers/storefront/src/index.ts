import { app } from "./app.ts";
import { routeCustomDomain } from "./custom-domains.ts";

// The shopper pages. Reached only through the gateway's STOREFRONT service binding, which
// hands over `/s/…` and every request for a merchant's own domain unchanged.
export default {
	// Custom domains are resolved before routing: their requests become /s/{slug}/… requests.
	async fetch(request, env, ctx) {
		return app.fetch(await routeCustomDomain(request, env), env, ctx);
	},
} satisfies ExportedHandler<StorefrontBindings>;
