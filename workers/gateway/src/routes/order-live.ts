import { ORDER_TOKEN_PROTOCOL, OrderLiveQuery, ProblemError, problem, StoreIdParam, slug } from "@oja/contracts";
import { problemResponse } from "@oja/http-conventions";
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { unwrap } from "../validate.ts";

// Live order feeds over WebSockets. The gateway authenticates and resolves the store, then
// forwards the upgrade to commerce as a fetch (a WebSocket cannot cross a binding as an RPC
// argument or result); commerce hands it to the order's or store's Durable Object.

const LiveOrderParams = z.object({
	slug,
	orderId: z.string().regex(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a ord_ id" }),
});

/** A plain GET (no `Upgrade: websocket`) gets 426 naming the upgrade it needs. */
const websocketOnly: MiddlewareHandler<GatewayEnv> = async (c, next) => {
	if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
		return problemResponse(
			problem("upgrade-required", "This is a WebSocket endpoint: connect with `Upgrade: websocket`."),
			c.get("requestId"),
			{ upgrade: "websocket", connection: "Upgrade" },
		);
	}
	await next();
};

/**
 * The order token from `?token=` or, since browsers cannot set headers on a WebSocket, from the
 * subprotocols `oja-order-token, <token>` (then that protocol must be echoed as the chosen one).
 */
function orderToken(c: Context<GatewayEnv>, fromQuery: string | undefined): { token: string; viaProtocol: boolean } | null {
	if (fromQuery) return { token: fromQuery, viaProtocol: false };
	const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
	const at = offered.indexOf(ORDER_TOKEN_PROTOCOL);
	const token = at >= 0 ? offered[at + 1] : undefined;
	return token && /^[\x21-\x7e]{1,200}$/.test(token) ? { token, viaProtocol: true } : null;
}

/** Turns commerce's answer into the client's: the socket (101), or a problem. */
function forwardUpgrade(upstream: Response, headers: Record<string, string> = {}): Response {
	if (upstream.status === 101 && upstream.webSocket) {
		// A new Response: the upstream one's headers are immutable and the middleware adds its own.
		return new Response(null, { status: 101, webSocket: upstream.webSocket, headers });
	}
	if (upstream.status === 404) throw new ProblemError(problem("not-found", "No such order."));
	throw new Error(`commerce answered a live upgrade with ${upstream.status}`);
}

let allowedOrigins: { from: string; set: ReadonlySet<string> } | undefined;
function isAllowedOrigin(c: Context<GatewayEnv>, origin: string): boolean {
	const configured = c.env.CORS_ORIGINS ?? "";
	if (allowedOrigins?.from !== configured) {
		const set = new Set(
			configured
				.split(",")
				.map((o) => o.trim())
				.filter(Boolean),
		);
		allowedOrigins = { from: configured, set };
	}
	return allowedOrigins.set.has(origin);
}

export const orderLiveRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/storefront/:slug/orders/:orderId/live",
			operationId: "storefrontOrderLive",
			summary: "Live order status (WebSocket): the current state first, then every change",
			description:
				"Connect with `Upgrade: websocket` and the order token as `?token=` or as the subprotocols " +
				`\`${ORDER_TOKEN_PROTOCOL}, <token>\` (echoed back as \`${ORDER_TOKEN_PROTOCOL}\`). Each message is ` +
				'`{type: "order", sequence, order}`; sequences only grow. Send `ping` to get `pong`.',
			tags: ["storefront"],
			params: LiveOrderParams,
			query: OrderLiveQuery,
			responses: { 101: { description: "Switching to a WebSocket" } },
			problems: ["unauthorized", "not-found", "upgrade-required", "rate-limited"],
		},
		[websocketOnly],
		async (c, { params, query }) => {
			const found = orderToken(c, query.token);
			if (!found) {
				throw new ProblemError(
					problem("unauthorized", `Send the order token as ?token= or the subprotocols \`${ORDER_TOKEN_PROTOCOL}, <token>\`.`, {
						extensions: { code: "missing" },
					}),
				);
			}
			const store = unwrap(await c.env.IDENTITY.storeBySlug(params.slug, { requestId: c.get("requestId") }));
			c.set("storeId", store.id);
			const upstream = await c.env.COMMERCE.fetch(`https://commerce/live/orders/${store.id}/${params.orderId}`, {
				headers: { upgrade: "websocket", "x-oja-order-token": found.token, "x-request-id": c.get("requestId") },
			});
			return forwardUpgrade(upstream, found.viaProtocol ? { "sec-websocket-protocol": ORDER_TOKEN_PROTOCOL } : {});
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/orders/live",
			operationId: "storeOrdersLive",
			summary: "Live feed of the store's new and changed orders (WebSocket)",
			description:
				'Connect with `Upgrade: websocket`. The first message is `{type: "ready"}`, then ' +
				'`{type: "order", sequence, order}` with an order summary for each new or changed order. ' +
				"The server closes the socket with code 4001 after 15 minutes; reconnect with a current token.",
			tags: ["orders"],
			params: StoreIdParam,
			responses: { 101: { description: "Switching to a WebSocket" } },
			problems: ["unauthorized", "forbidden", "not-found", "upgrade-required"],
		},
		[storeRoute("orders:manage"), websocketOnly],
		async (c, { params }) => {
			// Browsers send cookies on a cross-site WebSocket handshake and it needs no CSRF token
			// (a GET), so another site's page could open a signed-in merchant's feed: only our own
			// origins may. Non-browser clients send no Origin.
			const origin = c.req.header("origin");
			if (origin !== undefined && !isAllowedOrigin(c, origin)) {
				throw new ProblemError(
					problem("forbidden", "This origin may not open the store's feed.", { extensions: { code: "origin" } }),
				);
			}
			const upstream = await c.env.COMMERCE.fetch(`https://commerce/live/stores/${params.storeId}`, {
				headers: { upgrade: "websocket", "x-request-id": c.get("requestId") },
			});
			return forwardUpgrade(upstream);
		},
	).app;
