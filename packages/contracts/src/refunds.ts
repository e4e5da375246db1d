import { z } from "zod";
import { orderId } from "./commerce.ts";
import { currency, isoDateTime, MAX_ORDER_TOTAL_MINOR, plainText, prefixedId } from "./fields.ts";

// Refunds of online payments (issue 10): asked for by the merchant, or made by Oja itself for a
// payment that arrived after its order expired and the stock was gone.

export const refundId = prefixedId("rfd");

export const CreateRefundInput = z
	.object({
		/** Omit to refund everything not refunded yet. */
		amountMinor: z.number().int().positive().max(MAX_ORDER_TOTAL_MINOR).optional(),
		reason: plainText(300),
		/** Put the order's fulfilled units back on hand (returned goods). */
		restock: z.boolean().default(false),
	})
	.strict();
export type CreateRefundInput = z.infer<typeof CreateRefundInput>;

export const RefundStatus = z.enum(["pending", "processed", "failed"]);

export const Refund = z.object({
	id: refundId,
	orderId,
	amountMinor: z.number().int(),
	currency,
	status: RefundStatus,
	/** `merchant`: asked for through the API; `late_payment`: paid after expiry, stock gone. */
	kind: z.enum(["merchant", "late_payment"]),
	reason: z.string(),
	restock: z.boolean(),
	/** Fulfilled units this refund put back on hand. */
	restocked: z.array(z.object({ lineId: z.string(), quantity: z.number().int() })),
	/** Where the merchant's share came from: the order's unsettled money or the available balance. */
	source: z.enum(["pending", "available"]),
	/** Paystack's refund id, once Paystack accepted the request. */
	providerRefundId: z.string().nullable(),
	createdAt: isoDateTime,
	completedAt: isoDateTime.nullable(),
});
export type Refund = z.infer<typeof Refund>;

export const RefundList = z.object({ items: z.array(Refund) });
export type RefundList = z.infer<typeof RefundList>;

/** What the payments Worker hands commerce once Paystack confirmed a refund's outcome. */
export interface RefundOutcome {
	storeId: string;
	refundId: string;
	outcome: "processed" | "failed";
	/** `refund.processed:<provider refund id>`: unique per provider in payment_events. */
	eventKey: string;
}

export type RefundOutcomeApplied = { outcome: "applied" | "duplicate"; eventIds: string[] };
