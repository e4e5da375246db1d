import { LedgerPage, LedgerQuery, StoreBalance, StoreIdParam } from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult } from "../validate.ts";

// The store's money, read from the ledger Worker: balances and the entries behind them.

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const ledgerRoutes = routeGroup()
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/balance",
			operationId: "getBalance",
			summary: "The store's money: pending (paid, not yet settled), available (can be paid out), in transit",
			tags: ["money"],
			params: StoreIdParam,
			responses: { 200: { description: "Balances in the store's currency, in minor units", schema: StoreBalance } },
			problems: [...PROBLEMS],
		},
		[storeRoute("finance:read")],
		async (c) => sendResult(c, await c.env.LEDGER.balance(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/ledger",
			operationId: "listLedgerEntries",
			summary: "Ledger entries with the store's postings, newest first (cursor; filter by kind, order, time)",
			tags: ["money"],
			params: StoreIdParam,
			query: LedgerQuery,
			responses: { 200: { description: "A page of entries", schema: LedgerPage } },
			problems: [...PROBLEMS],
		},
		[storeRoute("finance:read")],
		async (c, { query }) => sendResult(c, await c.env.LEDGER.entries(storeAccessOf(c), query, rpcContext(c))),
	).app;
