import {
	idempotencyKey,
	Payout,
	PayoutAccount,
	PayoutAccountInput,
	PayoutAccountList,
	PayoutInput,
	PayoutList,
	PayoutListQuery,
	PayoutParams,
	ProblemError,
	parseOrThrow,
	problem,
	StoreIdParam,
} from "@oja/contracts";
import type { Context } from "hono";
import type { GatewayEnv } from "../app-env.ts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

// Payouts (the payments Worker): the store's bank accounts and withdrawals of its available
// money to them. Adding an account and asking for a payout need `payouts:manage` (owners, and
// people only: never an API key); reading them needs `finance:read`, like the balance.

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

function idempotencyKeyOf(c: Context<GatewayEnv>): string {
	const raw = c.req.header("idempotency-key");
	if (raw === undefined) {
		throw new ProblemError(
			problem("validation-failed", "Send an Idempotency-Key header (a random UUID per payout).", {
				errors: [{ path: "Idempotency-Key", message: "Required", code: "required" }],
			}),
		);
	}
	return parseOrThrow(idempotencyKey, raw, "Idempotency-Key");
}

export const payoutRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/payout-accounts",
			operationId: "createPayoutAccount",
			summary: "Add a bank account to pay out to (resolved with the bank; owners only, never an API key)",
			description:
				"The account name is resolved by Paystack; an account number the bank does not know is a 422 naming `accountNumber`. Only the last 4 digits are kept.",
			tags: ["money"],
			params: StoreIdParam,
			body: PayoutAccountInput,
			responses: { 201: { description: "The payout account", schema: PayoutAccount } },
			problems: [...PROBLEMS, "conflict", "service-unavailable"],
		},
		[storeRoute("payouts:manage")],
		async (c, { body }) => sendResult(c, await c.env.PAYMENTS.createPayoutAccount(storeAccessOf(c), body, rpcContext(c)), 201),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/payout-accounts",
			operationId: "listPayoutAccounts",
			summary: "The store's payout accounts (last 4 digits only)",
			tags: ["money"],
			params: StoreIdParam,
			responses: { 200: { description: "The accounts", schema: PayoutAccountList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("finance:read")],
		async (c) => sendResult(c, await c.env.PAYMENTS.payoutAccounts(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/payouts",
			operationId: "requestPayout",
			summary: "Withdraw available money to a payout account (Idempotency-Key required; owners only)",
			description:
				"The payout and its ledger entry commit together; 409 `insufficient-funds` (with `availableMinor`) writes nothing. The transfer starts after the commit: `processing` once Paystack accepted it, `pending` while Paystack cannot be reached (retried under the same reference). The same Idempotency-Key and body answer with the same payout (as it is now, header `idempotent-replayed: true`); the same key with another body is a 422.",
			tags: ["money"],
			params: StoreIdParam,
			body: PayoutInput,
			responses: { 201: { description: "The payout", schema: Payout } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("payouts:manage")],
		async (c, { body }) => {
			const key = idempotencyKeyOf(c);
			const outcome = unwrap(await c.env.PAYMENTS.requestPayout(storeAccessOf(c), body, key, rpcContext(c)));
			if (outcome.replayed) c.header("idempotent-replayed", "true");
			return c.json(outcome.payout, 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/payouts",
			operationId: "listPayouts",
			summary: "The store's payouts, newest first (cursor; filter by status)",
			tags: ["money"],
			params: StoreIdParam,
			query: PayoutListQuery,
			responses: { 200: { description: "A page of payouts", schema: PayoutList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("finance:read")],
		async (c, { query }) => sendResult(c, await c.env.PAYMENTS.payouts(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/payouts/:payoutId",
			operationId: "getPayout",
			summary: "One payout",
			tags: ["money"],
			params: PayoutParams,
			responses: { 200: { description: "The payout", schema: Payout } },
			problems: [...PROBLEMS],
		},
		[storeRoute("finance:read")],
		async (c, { params }) => sendResult(c, await c.env.PAYMENTS.payout(storeAccessOf(c), params.payoutId, rpcContext(c))),
	).app;
