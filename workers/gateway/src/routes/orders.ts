import { CancelOrderInput, FulfilmentInput, Order, OrderList, OrderListQuery, OrderParams, StoreIdParam } from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult } from "../validate.ts";

// Merchant order management. Every transition is the state machine in @oja/orders applied by
// one conditional SQL batch in the commerce Worker; an illegal one is a 409.

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const orderRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/orders",
			operationId: "listOrders",
			summary: "Orders, newest first (cursor; filter by status, created from/to, email, phone, number)",
			tags: ["orders"],
			params: StoreIdParam,
			query: OrderListQuery,
			responses: { 200: { description: "A page of orders", schema: OrderList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { query }) => sendResult(c, await c.env.COMMERCE.listOrders(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/orders/:orderId",
			operationId: "getOrder",
			summary: "One order: lines, totals, customer, delivery and timeline",
			tags: ["orders"],
			params: OrderParams,
			responses: { 200: { description: "The order", schema: Order } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) => sendResult(c, await c.env.COMMERCE.getOrder(storeAccessOf(c), params.orderId, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/orders/:orderId/fulfilments",
			operationId: "fulfilOrder",
			summary: "Fulfil lines (all remaining when `lines` is omitted); stock leaves on hand and reserved together",
			tags: ["orders"],
			params: OrderParams,
			body: FulfilmentInput,
			bodyOptional: true,
			responses: { 201: { description: "The order", schema: Order } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.COMMERCE.fulfilOrder(storeAccessOf(c), params.orderId, body ?? {}, rpcContext(c)), 201),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/orders/:orderId/cancel",
			operationId: "cancelOrder",
			summary: "Cancel an unfulfilled order and release its stock",
			tags: ["orders"],
			params: OrderParams,
			body: CancelOrderInput,
			responses: { 200: { description: "The order", schema: Order } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.COMMERCE.cancelOrder(storeAccessOf(c), params.orderId, body, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/orders/:orderId/payment-collected",
			operationId: "recordPaymentCollected",
			summary: "Record the cash collected for a pay-on-delivery order",
			tags: ["orders"],
			params: OrderParams,
			responses: { 200: { description: "The order", schema: Order } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.COMMERCE.recordPaymentCollected(storeAccessOf(c), params.orderId, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/orders/:orderId/delivered",
			operationId: "markOrderDelivered",
			summary: "Record that everything fulfilled has been delivered",
			tags: ["orders"],
			params: OrderParams,
			responses: { 200: { description: "The order", schema: Order } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.COMMERCE.markOrderDelivered(storeAccessOf(c), params.orderId, rpcContext(c))),
	).app;
