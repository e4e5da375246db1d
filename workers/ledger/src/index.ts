import { WorkerEntrypoint } from "cloudflare:workers";
import {
	type LedgerPage,
	LedgerQuery,
	ProblemError,
	parseOrThrow,
	problem,
	type RequestContext,
	type Result,
	runRpc,
	type StoreAccess,
	type StoreBalance,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { storeBalance, trialBalance, verifyBalances } from "@oja/ledger/sql";
import { listEntries } from "./entries.ts";
import { exactMinor } from "./money.ts";
import { settleDue } from "./settlement.ts";

const WORKER = "ledger";

export interface LedgerVerification {
	ok: boolean;
	/** Cached store balances that differ from the sum of their postings. */
	discrepancies: { storeId: string; account: string; currency: string; cachedMinor: string; postedMinor: string }[];
	/** Per currency, the sum of every posting (zero in a balanced ledger). */
	trialBalance: { currency: string; sumMinor: string }[];
}

export default class LedgerService extends WorkerEntrypoint<LedgerEnv> {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	/** The store's balances in its currency (the gateway checked the caller may read them). */
	async balance(access: StoreAccess, ctx: RequestContext): Promise<Result<StoreBalance>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const balance = await storeBalance(createDb(this.env), access.storeId);
			if (!balance) throw new ProblemError(problem("not-found", "No such store."));
			return {
				currency: balance.currency as StoreBalance["currency"],
				pendingMinor: exactMinor(balance.pendingMinor),
				availableMinor: exactMinor(balance.availableMinor),
				inTransitMinor: exactMinor(balance.inTransitMinor),
				feesOwedMinor: exactMinor(balance.feesOwedMinor),
			};
		});
	}

	async entries(access: StoreAccess, query: unknown, ctx: RequestContext): Promise<Result<LedgerPage>> {
		return runRpc(ctx.requestId, WORKER, () =>
			listEntries(createDb(this.env), access.storeId, parseOrThrow(LedgerQuery, query, "query")),
		);
	}

	/**
	 * `ledger verify` (ops CLI, tests): cached balances against the postings, and the trial
	 * balance. Amounts as decimal strings (bigint does not cross JSON).
	 */
	async verify(): Promise<LedgerVerification> {
		const db = createDb(this.env);
		const [discrepancies, totals] = await Promise.all([verifyBalances(db), trialBalance(db)]);
		return {
			ok: discrepancies.length === 0 && totals.every((t) => t.sumMinor === 0n),
			discrepancies: discrepancies.map((d) => ({
				...d,
				cachedMinor: d.cachedMinor.toString(),
				postedMinor: d.postedMinor.toString(),
			})),
			trialBalance: totals.map((t) => ({ currency: t.currency, sumMinor: t.sumMinor.toString() })),
		};
	}

	/** Settles every sale that is due (also the cron's job); callable by operators and tests. */
	async settle(requestId: string | null = null): Promise<{ settled: number; failedStores: number }> {
		return settleDue(createDb(this.env), { delaySeconds: Number(this.env.SETTLEMENT_DELAY_SECONDS || 86_400), requestId });
	}

	override async scheduled(): Promise<void> {
		await this.settle();
	}
}
