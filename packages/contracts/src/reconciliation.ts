import { z } from "zod";
import { currency, isoDateTime, prefixedId } from "./fields.ts";

// Reconciliation (the payments Worker, for operators): the ledger against Paystack's
// transaction and transfer lists for a period, and every difference found.

/** The longest period one run covers: Paystack is paged 100 at a time, within a Worker's limits. */
export const MAX_RECONCILIATION_DAYS = 31;

export const ReconciliationPeriod = z
	.object({
		from: isoDateTime.describe("Start of the period, inclusive"),
		to: isoDateTime.describe("End of the period, exclusive"),
	})
	.strict()
	.refine((p) => Date.parse(p.from) < Date.parse(p.to), { message: "`from` must be before `to`", path: ["to"] })
	.refine((p) => Date.parse(p.to) - Date.parse(p.from) <= MAX_RECONCILIATION_DAYS * 86_400_000, {
		message: `A run covers at most ${MAX_RECONCILIATION_DAYS} days`,
		path: ["to"],
	});
export type ReconciliationPeriod = z.infer<typeof ReconciliationPeriod>;

export const RECONCILIATION_STATUSES = ["running", "completed", "incomplete", "failed"] as const;

export const ReconciliationRun = z.object({
	id: z.string(),
	periodFrom: isoDateTime,
	periodTo: isoDateTime,
	triggeredBy: z.string().describe("`cron`, or the operator who asked"),
	status: z
		.enum(RECONCILIATION_STATUSES)
		.describe(
			"completed: everything in the period compared; incomplete: more than one run can page or look up (run shorter periods); failed: Paystack could not be read (see error)",
		),
	chargesChecked: z.number().int(),
	transfersChecked: z.number().int(),
	differences: z.number().int(),
	error: z.string().nullable(),
	startedAt: isoDateTime,
	finishedAt: isoDateTime.nullable(),
});
export type ReconciliationRun = z.infer<typeof ReconciliationRun>;

export const ReconciliationRunList = z.object({ items: z.array(ReconciliationRun), nextCursor: z.string().nullable() });
export type ReconciliationRunList = z.infer<typeof ReconciliationRunList>;

export const ReconciliationRunQuery = z.object({
	cursor: prefixedId("rec").optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ReconciliationRunQuery = z.infer<typeof ReconciliationRunQuery>;

export const ReconciliationDifference = z.object({
	object: z.enum(["charge", "transfer"]),
	reference: z.string().describe("Oja's reference, as Paystack knows it"),
	storeId: z.string().nullable().describe("Null when Oja has no record of the object"),
	type: z.enum(["missing_in_ledger", "missing_at_provider", "amount_mismatch", "currency_mismatch", "status_mismatch"]),
	ledgerAmountMinor: z.number().int().nullable(),
	providerAmountMinor: z.number().int().nullable(),
	ledgerCurrency: z.string().nullable(),
	providerCurrency: z.string().nullable(),
	ledgerStatus: z.string().nullable(),
	providerStatus: z.string().nullable(),
	providerId: z.string().nullable(),
	detail: z.string(),
});
export type ReconciliationDifference = z.infer<typeof ReconciliationDifference>;

export const ReconciliationReport = z.object({ run: ReconciliationRun, differences: z.array(ReconciliationDifference) });
export type ReconciliationReport = z.infer<typeof ReconciliationReport>;

export const ReconciliationRunParams = z.object({ runId: prefixedId("rec") });

/** Payments holding money Oja could not apply (amount or currency mismatch, or a dead order). */
export const ReviewPayment = z.object({
	id: z.string(),
	storeId: z.string(),
	orderId: z.string(),
	reference: z.string(),
	amountMinor: z.number().int().nullable().describe("Null only beyond 2^53 (the database keeps the exact amount)"),
	currency,
	reviewReason: z.string().nullable(),
	createdAt: isoDateTime,
	updatedAt: isoDateTime,
});
export type ReviewPayment = z.infer<typeof ReviewPayment>;
export const ReviewPaymentList = z.object({ items: z.array(ReviewPayment) });
export type ReviewPaymentList = z.infer<typeof ReviewPaymentList>;
