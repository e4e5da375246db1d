import {
	CreateRefundInput,
	idempotencyKey,
	OrderParams,
	ProblemError,
	parseOrThrow,
	problem,
	Refund,
	RefundList,
} from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

// Refunds of orders paid online. Commerce takes the refund (order, refunds row, ledger) in one
// transaction; only then is Paystack asked (payments Worker). If Paystack is down the refund is
// still taken and answered `pending`: the payments cron asks again, safely (refunds.ts there).

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const refundRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/orders/:orderId/refunds",
			operationId: "createRefund",
			summary: "Refund (part of) an online payment (Idempotency-Key required)",
			description:
				"Without `amountMinor`, everything not refunded yet. Never more than paid minus refunded, concurrent refunds included (409 `over-refund`); 409 `insufficient-funds` when the store's balance cannot cover it. `restock: true` puts the order's fulfilled units back on hand. The same Idempotency-Key and body answer the first refund again (200).",
			tags: ["orders"],
			params: OrderParams,
			body: CreateRefundInput,
			responses: {
				201: { description: "The refund, pending until Paystack confirms it", schema: Refund },
				200: { description: "A replay: the refund this Idempotency-Key made", schema: Refund },
			},
			problems: [...PROBLEMS, "conflict", "validation-failed"],
		},
		[storeRoute("refunds:manage")],
		async (c, { params, body }) => {
			const raw = c.req.header("idempotency-key");
			if (raw === undefined) {
				throw new ProblemError(
					problem("validation-failed", "Send an Idempotency-Key header (a random UUID per refund).", {
						errors: [{ path: "Idempotency-Key", message: "Required", code: "required" }],
					}),
				);
			}
			const key = parseOrThrow(idempotencyKey, raw, "Idempotency-Key");
			const ctx = rpcContext(c);
			const access = storeAccessOf(c);
			const { refund, created } = unwrap(await c.env.COMMERCE.createRefund(access, params.orderId, body, key, ctx));
			if (refund.status === "pending" && refund.providerRefundId === null) {
				// Best effort now; whatever happens the row is pending and the cron retries it.
				await c.env.PAYMENTS.submitRefund(refund.id, ctx);
			}
			const list = unwrap(await c.env.COMMERCE.listRefunds(access, params.orderId, ctx));
			const latest = list.items.find((r) => r.id === refund.id) ?? refund;
			return sendResult(c, { ok: true, value: latest }, created ? 201 : 200);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/orders/:orderId/refunds",
			operationId: "listRefunds",
			summary: "The order's refunds, oldest first",
			tags: ["orders"],
			params: OrderParams,
			responses: { 200: { description: "The refunds", schema: RefundList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) => sendResult(c, await c.env.COMMERCE.listRefunds(storeAccessOf(c), params.orderId, rpcContext(c))),
	).app;
