import {
	AuditEntry,
	type AuditInput,
	AuditQuery,
	OperatorLoginInput,
	OperatorLoginResult,
	PublicStore,
	ReconciliationPeriod,
	ReconciliationReport,
	ReconciliationRunList,
	ReconciliationRunParams,
	ReconciliationRunQuery,
	ReviewPaymentList,
	slug,
} from "@oja/contracts";
import type { Context } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { opsRoute } from "../middleware/operator.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext } from "../route-context.ts";
import { clientMeta } from "../session-cookies.ts";
import { sendResult, unwrap } from "../validate.ts";

// Platform operator routes. Every action is written to the append-only audit log with the
// operator, the target and the request id; reads of merchant data are actions too.

async function audit(c: Context<GatewayEnv>, entry: AuditInput): Promise<void> {
	unwrap(await c.env.IDENTITY.recordAudit(entry, rpcContext(c), clientMeta(c)));
}

export const opsRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/ops/auth/login",
			operationId: "operatorLogin",
			summary: "Operator sign-in: password and TOTP code",
			description: "Returns a 15-minute `ops` token. A TOTP code is accepted once; 10 failures lock the account for 15 minutes.",
			tags: ["ops"],
			body: OperatorLoginInput,
			responses: { 200: { description: "Signed in", schema: OperatorLoginResult } },
			problems: ["unauthorized", "rate-limited"],
		},
		[],
		async (c, { body }) => {
			return sendResult(c, await c.env.IDENTITY.operatorLogin(body, { requestId: c.get("requestId") }, clientMeta(c)));
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/ops/stores/:slug",
			operationId: "opsStoreLookup",
			summary: "Look up a store by slug (support and above; audited)",
			tags: ["ops"],
			params: z.object({ slug }),
			responses: { 200: { description: "The store", schema: PublicStore } },
			problems: ["unauthorized", "forbidden", "not-found"],
		},
		[opsRoute("support")],
		async (c, { params }) => {
			const { slug: storeSlug } = params;
			const store = unwrap(await c.env.IDENTITY.storeBySlug(storeSlug, rpcContext(c)));
			await audit(c, { action: "store.viewed", targetType: "store", targetId: store.id });
			return c.json(store, 200);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/ops/audit-log",
			operationId: "opsAuditLog",
			summary: "Recent operator actions, newest first (admin and above)",
			tags: ["ops"],
			query: AuditQuery,
			responses: { 200: { description: "Audit entries", schema: z.object({ entries: z.array(AuditEntry) }) } },
			problems: ["unauthorized", "forbidden"],
		},
		[opsRoute("admin")],
		async (c, { query }) => {
			const entries = unwrap(await c.env.IDENTITY.auditLog(query, rpcContext(c)));
			return c.json({ entries }, 200);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/ops/outbox/relay",
			operationId: "opsRelayOutbox",
			summary: "Sweep the transactional outbox now (admin and above; audited)",
			tags: ["ops"],
			responses: { 200: { description: "Events published", schema: z.object({ published: z.number().int() }) } },
			problems: ["unauthorized", "forbidden"],
		},
		[opsRoute("admin")],
		async (c) => {
			const result = await c.env.OPS.relayOutbox();
			await audit(c, { action: "outbox.relayed", targetType: "outbox", after: result });
			return c.json(result, 200);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/ops/reconciliation/runs",
			operationId: "opsReconcile",
			summary: "Reconcile the ledger with Paystack for a period, now (admin and above; audited)",
			description:
				"Compares Oja's payments, payouts and their ledger entries with Paystack's transaction and transfer lists for `[from, to)` (at most 31 days) and records every difference: missing on either side, amount, currency or status mismatch. The cron does the same for each UTC day.",
			tags: ["ops"],
			body: ReconciliationPeriod,
			responses: { 201: { description: "The run and its differences", schema: ReconciliationReport } },
			problems: ["unauthorized", "forbidden", "validation-failed", "conflict", "service-unavailable"],
		},
		[opsRoute("admin")],
		async (c, { body }) => {
			// Audited before it runs: a run that fails or is refused was still asked for.
			await audit(c, { action: "reconciliation.requested", targetType: "reconciliation_run", after: body });
			const report = unwrap(await c.env.PAYMENTS.reconcile(body, c.var.operator?.id, rpcContext(c)));
			await audit(c, {
				action: "reconciliation.run",
				targetType: "reconciliation_run",
				targetId: report.run.id,
				after: { from: body.from, to: body.to, status: report.run.status, differences: report.run.differences },
			});
			return c.json(report, 201);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/ops/reconciliation/runs",
			operationId: "opsReconciliationRuns",
			summary: "Reconciliation runs, newest first (admin and above)",
			tags: ["ops"],
			query: ReconciliationRunQuery,
			responses: { 200: { description: "Runs", schema: ReconciliationRunList } },
			problems: ["unauthorized", "forbidden"],
		},
		[opsRoute("admin")],
		async (c, { query }) => sendResult(c, await c.env.PAYMENTS.reconciliationRuns(query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/ops/reconciliation/runs/:runId",
			operationId: "opsReconciliationRun",
			summary: "One reconciliation run and every difference it recorded (admin and above; audited)",
			tags: ["ops"],
			params: ReconciliationRunParams,
			responses: { 200: { description: "The run and its differences", schema: ReconciliationReport } },
			problems: ["unauthorized", "forbidden", "not-found"],
		},
		[opsRoute("admin")],
		async (c, { params }) => {
			const report = unwrap(await c.env.PAYMENTS.reconciliationReport(params.runId, rpcContext(c)));
			await audit(c, { action: "reconciliation.viewed", targetType: "reconciliation_run", targetId: report.run.id });
			return c.json(report, 200);
		},
	)
	.declare(
		{
			method: "get",
			path: "/v1/ops/payments/review",
			operationId: "opsPaymentsUnderReview",
			summary: "Payments holding money Oja could not apply, oldest first (admin and above; audited)",
			description:
				"A payment goes to review when its amount or currency does not match the order, or the money arrived for an order that can no longer take it. At most 200.",
			tags: ["ops"],
			responses: { 200: { description: "Payments under review", schema: ReviewPaymentList } },
			problems: ["unauthorized", "forbidden"],
		},
		[opsRoute("admin")],
		async (c) => {
			const list = unwrap(await c.env.PAYMENTS.paymentsUnderReview(rpcContext(c)));
			await audit(c, { action: "payments.review_viewed", targetType: "payments", after: { count: list.items.length } });
			return c.json(list, 200);
		},
	).app;
