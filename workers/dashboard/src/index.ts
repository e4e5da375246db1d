import { app } from "./app.tsx";

// The merchant web app. Reached only through the gateway's DASHBOARD service binding, which
// hands over /account/… on Oja's own hosts unchanged (a merchant's domain keeps /account/… for
// its shoppers: the storefront's).
export default {
	fetch(request, env, ctx) {
		return app.fetch(request, env, ctx);
	},
} satisfies ExportedHandler<DashboardBindings>;
