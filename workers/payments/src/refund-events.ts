import type { RefundOutcome, RefundOutcomeApplied, RequestContext, Result } from "@oja/contracts";
import type { Database } from "@oja/db";
import type { PaymentProvider, RefundEvent } from "@oja/paystack";
import { sql } from "drizzle-orm";

// refund.processed / refund.failed. The event names the transaction and the amount but not
// which refund (no refund id in Paystack's refund events), and is never taken at its word: the
// transaction's refunds are read from Paystack, and a refund Paystack says is in the event's
// state, whose id is on one of our pending rows, is applied (by commerce, once, keyed
// `refund.<status>:<paystack refund id>`). A refund Paystack reports but whose id we have not
// recorded yet (the submit is still answering) throws: the queue retries with backoff.

export interface RefundEventDeps {
	db: Database;
	provider: PaymentProvider;
	applyRefundOutcome: (outcome: RefundOutcome, ctx: RequestContext) => Promise<Result<RefundOutcomeApplied>>;
}

interface Row extends Record<string, unknown> {
	id: string;
	store_id: string;
	status: string;
	provider_refund_id: string | null;
}

export async function refundEvent(
	deps: RefundEventDeps,
	event: RefundEvent,
	ctx: RequestContext,
): Promise<"refunded" | "duplicate" | "ignored"> {
	const reference = event.data.transaction_reference;
	const status = event.event === "refund.processed" ? "processed" : "failed";
	const rows = (
		await deps.db.execute<Row>(sql`SELECT id, store_id, status, provider_refund_id FROM refunds WHERE reference = ${reference}`)
	).rows;
	// Not a refund of a payment Oja took: nothing to do.
	if (rows.length === 0) return "ignored";
	const page = await deps.provider.listRefunds({ transaction: reference, perPage: 100 });
	const confirmed = page.items.filter((r) => r.status === status && r.amountMinor === event.data.amount);
	if (confirmed.length === 0) throw new Error(`paystack does not report a ${status} refund of that amount (yet)`);
	let unrecorded = false;
	for (const refund of confirmed) {
		const row = rows.find((r) => r.provider_refund_id === refund.id);
		if (!row) {
			unrecorded = true;
			continue;
		}
		if (row.status !== "pending") continue;
		const result = await deps.applyRefundOutcome(
			{ storeId: row.store_id, refundId: row.id, outcome: status, eventKey: `refund.${status}:${refund.id}` },
			ctx,
		);
		if (!result.ok) throw new Error(`commerce refused the refund outcome: ${result.problem.type} ${result.problem.status}`);
		return result.value.outcome === "applied" ? "refunded" : "duplicate";
	}
	if (unrecorded && rows.some((r) => r.status === "pending" && r.provider_refund_id === null)) {
		throw new Error("a refund Paystack reports is not recorded on its row yet");
	}
	return "duplicate";
}
