import { WorkerEntrypoint } from "cloudflare:workers";
import {
	errorLogRecord,
	idempotencyKey as IdempotencyKey,
	type Payout,
	type PayoutAccount,
	PayoutAccountInput,
	type PayoutAccountList,
	PayoutInput,
	type PayoutList,
	PayoutListQuery,
	type PayoutRequested,
	ProblemError,
	parseOrThrow,
	prefixedId,
	problem,
	type RequestContext,
	type Result,
	runRpc,
	type StoreAccess,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { publishClaimed, type RetryPolicy } from "@oja/events";
import { PaystackClient } from "@oja/paystack";
import {
	createPayoutAccount,
	getPayout,
	listPayoutAccounts,
	listPayouts,
	type PublishEvents,
	requestPayout,
	retryPendingPayouts,
} from "./payouts.ts";
import { reconcileProcessingPayouts } from "./transfer-events.ts";

// The payments Worker's payout RPCs (the gateway checked the caller's `payouts:manage` or
// `finance:read` in the store first). Kept apart from index.ts, which extends this class.

const WORKER = "payments";

/** Payout and account changes need a signed-in person (PERSON_ONLY); holds even if a route forgets. */
function requirePerson(access: StoreAccess): string {
	if (access.userId === null) {
		throw new ProblemError(
			problem("forbidden", "payouts:manage needs a signed-in person, not an API key.", {
				extensions: { code: "person-required" },
			}),
		);
	}
	return access.userId;
}

export class PayoutRpc extends WorkerEntrypoint<PaymentsEnv> {
	protected paystack(): PaystackClient {
		if (!this.env.PAYSTACK_SECRET_KEY) {
			throw new ProblemError(problem("service-unavailable", "Payouts are not configured."));
		}
		return new PaystackClient({ secretKey: this.env.PAYSTACK_SECRET_KEY, baseUrl: this.env.PAYSTACK_API_URL });
	}

	/** Backoff between attempts to start a pending payout's transfer. */
	protected payoutRetry(): RetryPolicy {
		return { baseDelaySeconds: Number(this.env.PAYOUT_RETRY_BASE_SECONDS ?? 30), maxDelaySeconds: 60 * 60 };
	}

	/**
	 * Sends the payout events a committed batch appended (claimed for this relay), awaited so a
	 * notice is on its queue when the write returns. A failure is logged, never thrown: the events
	 * are committed, and the ops sweep sends them once the claim lapses.
	 */
	protected publishEvents(): PublishEvents {
		return async (rows) => {
			if (rows.length === 0) return;
			await publishClaimed({
				db: createDb(this.env),
				queues: { EVENTS: this.env.EVENTS, MESSAGING_EVENTS: this.env.MESSAGING_EVENTS },
				rows,
			}).catch((error: unknown) =>
				console.error(
					JSON.stringify({ level: "error", msg: "outbox.relay_failed", worker: WORKER, error: errorLogRecord(error) }),
				),
			);
		};
	}

	async createPayoutAccount(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<PayoutAccount>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			requirePerson(access);
			return createPayoutAccount(
				createDb(this.env),
				this.paystack(),
				access.storeId,
				parseOrThrow(PayoutAccountInput, input, "payout account"),
			);
		});
	}

	async payoutAccounts(access: StoreAccess, ctx: RequestContext): Promise<Result<PayoutAccountList>> {
		return runRpc(ctx.requestId, WORKER, () => listPayoutAccounts(createDb(this.env), access.storeId));
	}

	async requestPayout(
		access: StoreAccess,
		input: unknown,
		idempotencyKey: unknown,
		ctx: RequestContext,
	): Promise<Result<PayoutRequested>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const requestedBy = requirePerson(access);
			return requestPayout(
				createDb(this.env),
				this.paystack(),
				{
					storeId: access.storeId,
					input: parseOrThrow(PayoutInput, input, "payout"),
					idempotencyKey: parseOrThrow(IdempotencyKey, idempotencyKey, "Idempotency-Key"),
					requestedBy,
					requestId: ctx.requestId,
				},
				this.payoutRetry(),
				undefined,
				this.publishEvents(),
			);
		});
	}

	async payouts(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<PayoutList>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listPayouts(createDb(this.env), access.storeId, parseOrThrow(PayoutListQuery, query, "query")),
		);
	}

	async payout(access: StoreAccess, payoutId: unknown, ctx: RequestContext): Promise<Result<Payout>> {
		return runRpc(ctx.requestId, WORKER, () =>
			getPayout(createDb(this.env), access.storeId, parseOrThrow(prefixedId("po"), payoutId, "payout id")),
		);
	}

	/**
	 * Tries again every pending payout that is due (the cron's job). `ignoreBackoff` (operators,
	 * tests) tries them all now; the same reference keeps it one transfer either way.
	 */
	async retryPendingPayouts(
		options: { ignoreBackoff?: boolean } = {},
	): Promise<{ attempted: number; started: number; stillPending: number; failed: number }> {
		if (!this.env.PAYSTACK_SECRET_KEY) return { attempted: 0, started: 0, stillPending: 0, failed: 0 };
		return retryPendingPayouts(
			createDb(this.env),
			this.paystack(),
			this.payoutRetry(),
			{ ignoreBackoff: options.ignoreBackoff === true },
			undefined,
			this.publishEvents(),
		);
	}

	/**
	 * Payouts `processing` for over `olderThanSeconds` (default an hour) are looked up with
	 * Paystack and their final outcome applied as its webhook would be (lost webhooks).
	 */
	async reconcilePayouts(options: { olderThanSeconds?: number } = {}): Promise<{ checked: number; applied: number }> {
		if (!this.env.PAYSTACK_SECRET_KEY) return { checked: 0, applied: 0 };
		return reconcileProcessingPayouts(
			createDb(this.env),
			this.paystack(),
			{ olderThanSeconds: Math.max(0, options.olderThanSeconds ?? 3600) },
			(line) => console.log(JSON.stringify(line)),
			this.publishEvents(),
		);
	}

	/** The cron's payout work: retry pending transfers, then reconcile stale processing ones. */
	protected async payoutCron(): Promise<void> {
		await this.retryPendingPayouts();
		await this.reconcilePayouts();
	}
}
