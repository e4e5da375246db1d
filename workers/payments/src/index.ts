import { WorkerEntrypoint } from "cloudflare:workers";
import {
	type PaymentLink,
	ProblemError,
	parseOrThrow,
	prefixedId,
	problem,
	type RequestContext,
	type Result,
	runRpc,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { PaystackClient } from "@oja/paystack";
import { z } from "zod";
import { consumePaystackEvents } from "./events.ts";
import { initializePayment } from "./initialize.ts";
import { submitDueRefunds, submitRefund } from "./refunds.ts";

const WORKER = "payments";
const log = (line: Record<string, unknown>) => console.log(JSON.stringify({ worker: WORKER, ...line }));

/** Where Paystack sends the shopper back: the storefront's order page (the gateway builds it). */
const CallbackUrl = z.url({ protocol: /^https?$/ }).max(2000);

export default class PaymentsService extends WorkerEntrypoint<PaymentsEnv> {
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

	override async scheduled(): Promise<void> {
		await this.submitDueRefunds();
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
		});
	}
}
