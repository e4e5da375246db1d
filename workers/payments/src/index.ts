import {
	type PaymentLink,
	ProblemError,
	parseOrThrow,
	prefixedId,
	problem,
	ReconciliationPeriod,
	type ReconciliationReport,
	type ReconciliationRunList,
	ReconciliationRunQuery,
	type RequestContext,
	type Result,
	type ReviewPaymentList,
	runRpc,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { PaystackClient } from "@oja/paystack";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { consumePaystackEvents } from "./events.ts";
import { initializePayment } from "./initialize.ts";
import { PayoutRpc } from "./payouts-rpc.ts";
import {
	listReconciliationRuns,
	paymentsUnderReview,
	previousUtcDay,
	ReconciliationBusyError,
	reconciliationReport,
	runReconciliation,
} from "./reconciliation.ts";
import { submitDueRefunds, submitRefund } from "./refunds.ts";

const WORKER = "payments";
const log = (line: Record<string, unknown>) => console.log(JSON.stringify({ worker: WORKER, ...line }));

/** Where Paystack sends the shopper back: the storefront's order page (the gateway builds it). */
const CallbackUrl = z.url({ protocol: /^https?$/ }).max(2000);

export default class PaymentsService extends PayoutRpc {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	private provider(): PaystackClient {
		return new PaystackClient({ secretKey: this.env.PAYSTACK_SECRET_KEY, baseUrl: this.env.PAYSTACK_API_URL });
	}

	/**
	 * The hosted payment page for an online order awaiting payment (the gateway resolved the
	 * store from the storefront and, for retries, checked the shopper's order token). Idempotent:
	 * the same link again once made; the same reference again while Paystack could not be reached.
	 */
	async initializePayment(
		storeId: unknown,
		orderId: unknown,
		callbackUrl: unknown,
		ctx: RequestContext,
	): Promise<Result<PaymentLink>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			if (!this.env.PAYSTACK_SECRET_KEY) {
				throw new ProblemError(problem("service-unavailable", "Online payment is not configured."));
			}
			return initializePayment(createDb(this.env), this.provider(), {
				storeId: parseOrThrow(prefixedId("st"), storeId, "store id"),
				orderId: parseOrThrow(prefixedId("ord"), orderId, "order id"),
				callbackUrl: parseOrThrow(CallbackUrl, callbackUrl, "callback url"),
			});
		});
	}

	/**
	 * What the shopper's return from the payment page means, before the webhook has been applied:
	 * `paid` (applied), `received` (Paystack says it succeeded; the order turns paid shortly),
	 * `failed` (declined: try again) or `pending`. The reference must be this order's.
	 */
	async checkPayment(
		storeId: unknown,
		orderId: unknown,
		reference: unknown,
		ctx: RequestContext,
	): Promise<Result<{ state: "paid" | "received" | "failed" | "pending" | "review" }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const ref = parseOrThrow(z.string().regex(/^[A-Za-z0-9.=-]{1,100}$/), reference, "reference");
			const db = createDb(this.env);
			const rows = await db.execute<{ status: string }>(sql`
				SELECT status FROM payments WHERE reference = ${ref} AND order_id = ${parseOrThrow(prefixedId("ord"), orderId, "order id")}
					AND store_id = ${parseOrThrow(prefixedId("st"), storeId, "store id")}`);
			const row = rows.rows[0];
			if (!row) return { state: "pending" as const };
			if (row.status === "paid") return { state: "paid" as const };
			// Money on a payment that can no longer be applied goes to an operator, not to "try again".
			if (row.status === "review") return { state: "review" as const };
			const verified = await this.provider().verifyTransaction(ref);
			if (verified.status === "success") {
				return {
					state: row.status === "initializing" || row.status === "initialized" ? ("received" as const) : ("review" as const),
				};
			}
			if (verified.status === "failed" || verified.status === "reversed") return { state: "failed" as const };
			return { state: "pending" as const };
		});
	}

	/**
	 * Asks Paystack for a refund commerce has taken (after its commit). Never fails the caller for
	 * Paystack's sake: the refund stays pending and the cron retries it (see refunds.ts).
	 */
	async submitRefund(refundId: unknown, ctx: RequestContext): Promise<Result<{ outcome: string }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const id = parseOrThrow(prefixedId("rfd"), refundId, "refund id");
			if (!this.env.PAYSTACK_SECRET_KEY) return { outcome: "deferred" };
			return { outcome: await submitRefund(createDb(this.env), this.provider(), id, log) };
		});
	}

	/** Pending refunds Paystack was not asked for yet or did not answer (cron; callable by tests). */
	async submitDueRefunds(): Promise<Record<string, number>> {
		if (!this.env.PAYSTACK_SECRET_KEY) return {};
		return submitDueRefunds(createDb(this.env), this.provider(), log);
	}

	/**
	 * Reconciles a period now (operators, through the gateway's ops routes; the ops CLI later)
	 * and answers the run with every difference found.
	 */
	async reconcile(period: unknown, operatorId: unknown, ctx: RequestContext): Promise<Result<ReconciliationReport>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			if (!this.env.PAYSTACK_SECRET_KEY) {
				throw new ProblemError(problem("service-unavailable", "Paystack is not configured."));
			}
			const input = parseOrThrow(ReconciliationPeriod, period, "period");
			const by = parseOrThrow(prefixedId("op"), operatorId, "operator id");
			try {
				const report = await runReconciliation(createDb(this.env), this.provider(), input, by, log);
				if (!report) throw new Error("an operator's run is never refused a claim");
				return report;
			} catch (error) {
				if (error instanceof ReconciliationBusyError) {
					throw new ProblemError(problem("conflict", "Another reconciliation is running; try again when it has finished."));
				}
				throw error;
			}
		});
	}

	async reconciliationRuns(query: unknown, ctx: RequestContext): Promise<Result<ReconciliationRunList>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			listReconciliationRuns(createDb(this.env), parseOrThrow(ReconciliationRunQuery, query, "query")),
		);
	}

	async reconciliationReport(runId: unknown, ctx: RequestContext): Promise<Result<ReconciliationReport>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const report = await reconciliationReport(createDb(this.env), parseOrThrow(prefixedId("rec"), runId, "run id"));
			if (!report) throw new ProblemError(problem("not-found", "No such reconciliation run."));
			return report;
		});
	}

	async paymentsUnderReview(ctx: RequestContext): Promise<Result<ReviewPaymentList>> {
		return runRpc(ctx.requestId, WORKER, async () => paymentsUnderReview(createDb(this.env)));
	}

	/**
	 * The cron's reconciliation: the previous UTC day, once, from half an hour after midnight
	 * (Paystack's lists settle); a run that died is taken over after 15 minutes.
	 */
	async reconcileYesterday(now: Date = new Date()): Promise<ReconciliationReport | null> {
		if (!this.env.PAYSTACK_SECRET_KEY) return null;
		const period = previousUtcDay(now);
		if (now.getTime() - Date.parse(period.to) < 30 * 60_000) return null;
		return runReconciliation(createDb(this.env), this.provider(), period, "cron", log);
	}

	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		const db = createDb(this.env);
		await consumePaystackEvents(batch, {
			db,
			provider: this.provider(),
			applyPayment: (payment, ctx) => this.env.COMMERCE.applyOnlinePayment(payment, ctx),
			applyRefundOutcome: (outcome, ctx) => this.env.COMMERCE.applyRefundOutcome(outcome, ctx),
			submitRefund: (refundId) => submitRefund(db, this.provider(), refundId, log),
			retry: { baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5), maxDelaySeconds: 15 * 60 },
			publish: this.publishEvents(),
		});
	}

	/**
	 * Every minute: pending payouts are retried and stale processing ones reconciled with
	 * Paystack; refunds Paystack was not asked for yet, or did not answer, are asked again;
	 * yesterday is reconciled once.
	 */
	override async scheduled(controller: ScheduledController): Promise<void> {
		await this.tick(controller.scheduledTime);
	}

	/** The cron's work, over RPC for `npm start` (wrangler dev fires only the gateway's cron). */
	async tick(scheduledTime: number = Date.now()): Promise<void> {
		await Promise.all([this.payoutCron(), this.submitDueRefunds(), this.reconcileYesterday(new Date(scheduledTime))]);
	}
}
