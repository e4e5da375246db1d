// What the payments Worker hands commerce once a provider confirmed a payment (RPC), and what
// commerce answers. The payments Worker checked amount and currency against the payment row.

export interface VerifiedPayment {
	storeId: string;
	orderId: string;
	paymentId: string;
	reference: string;
	/** What the provider says was paid, in minor units. */
	amountMinor: number;
	currency: string;
	providerFeeMinor: number;
	/** `charge.success:<reference>`: unique per provider in payment_events. */
	eventKey: string;
}

export type PaymentApplied =
	| { outcome: "paid"; eventIds: string[] }
	| { outcome: "duplicate"; eventIds: string[] }
	/** Paid after the order expired, the stock reserved again: the order is open and paid. */
	| { outcome: "paid-late"; eventIds: string[] }
	/** Paid after the order expired, the stock gone: the order is cancelled and this refund is due at Paystack. */
	| { outcome: "refund-late"; refundId: string; eventIds: string[] }
	/** The order no longer awaits payment (cancelled): nothing was applied. */
	| { outcome: "not-payable"; status: string; paymentStatus: string; eventIds: string[] };
