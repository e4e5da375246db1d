import type {
	ReconciliationDifference,
	ReconciliationPeriod,
	ReconciliationReport,
	ReconciliationRun,
	ReconciliationRunList,
	ReconciliationRunQuery,
	ReviewPaymentList,
} from "@oja/contracts";
import { type Database, newId } from "@oja/db";
import {
	type Difference,
	type LedgerCharge,
	type LedgerTransfer,
	type ProviderObject,
	reconcileCharges,
	reconcileTransfers,
} from "@oja/ledger";
import { type Page, type PaymentProvider, PaymentRejectedError } from "@oja/paystack";
import { type SQL, sql } from "drizzle-orm";

// Reconciliation: the ledger against Paystack's own lists, for a period. Both sides are read
// for the period (Paystack by its created_at, Oja by the payment's or payout's creation and the
// sale's posting), then each side's leftovers are looked up on the other by reference (a
// payment made at 23:59:59.999 may be created at Paystack a moment later, in the next period),
// and what still disagrees is recorded (packages/ledger/src/reconcile.ts decides what does).
// The cron reconciles each UTC day once, the day after; operators run any period (the ops
// routes), and a period may be run again: each run's differences stand alone.

export type Log = (line: Record<string, unknown>) => void;

export interface ReconcileLimits {
	/** Pages of 100 read from each Paystack list; beyond them the run is `incomplete`. */
	maxPages: number;
	/** One-by-one lookups (verify) of leftovers; beyond them the run is `incomplete`. */
	maxLookups: number;
}
export const DEFAULT_LIMITS: ReconcileLimits = { maxPages: 50, maxLookups: 200 };
const PER_PAGE = 100;
/** How far before the period Paystack's list starts, for payments started earlier and paid in it. */
const CHARGE_LOOKBACK_MS = 7 * 86_400_000;
const SALE_PREFIX = "paystack:charge:";

const iso = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const RUN_COLUMNS = sql`id, ${iso(sql`period_from`)} AS period_from, ${iso(sql`period_to`)} AS period_to, triggered_by,
	status, charges_checked, transfers_checked, differences, error, ${iso(sql`started_at`)} AS started_at,
	${iso(sql`finished_at`)} AS finished_at`;

interface RunRow {
	id: string;
	period_from: string;
	period_to: string;
	triggered_by: string;
	status: ReconciliationRun["status"];
	charges_checked: number;
	transfers_checked: number;
	differences: number;
	error: string | null;
	started_at: string;
	finished_at: string | null;
	[key: string]: unknown;
}

const runOf = (r: RunRow): ReconciliationRun => ({
	id: r.id,
	periodFrom: r.period_from,
	periodTo: r.period_to,
	triggeredBy: r.triggered_by,
	status: r.status,
	chargesChecked: r.charges_checked,
	transfersChecked: r.transfers_checked,
	differences: r.differences,
	error: r.error,
	startedAt: r.started_at,
	finishedAt: r.finished_at,
});

/** Every page of a Paystack list for the period, or as many as the limit allows. */
async function readAll<T>(
	list: (page: number) => Promise<Page<T>>,
	maxPages: number,
): Promise<{ items: T[]; complete: boolean }> {
	const items: T[] = [];
	for (let page = 1; page <= maxPages; page++) {
		const result = await list(page);
		items.push(...result.items);
		if (page >= result.pageCount || result.items.length === 0) return { items, complete: true };
	}
	return { items, complete: false };
}

/** The provider's view of one reference, or null when it has none (a 400/404 from verify). */
async function lookUp<T>(verify: () => Promise<T>): Promise<T | null> {
	try {
		return await verify();
	} catch (error) {
		if (error instanceof PaymentRejectedError && (error.status === 400 || error.status === 404)) return null;
		throw error;
	}
}

interface ChargeRow {
	reference: string;
	store_id: string;
	status: string;
	amount_minor: string;
	currency: string;
	posted_amount: string | null;
	posted_currency: string | null;
	refunded: string;
	[key: string]: unknown;
}

/** Oja's charges created or posted in the period, and those with the given references. */
async function ledgerCharges(db: Database, period: ReconciliationPeriod, references: string[]): Promise<LedgerCharge[]> {
	const result = await db.execute<ChargeRow>(sql`
		WITH refs AS (
			SELECT reference FROM payments WHERE created_at >= ${period.from} AND created_at < ${period.to}
			UNION
			SELECT substr(external_ref, ${SALE_PREFIX.length + 1}) FROM ledger_entries
				WHERE kind = 'sale' AND posted_at >= ${period.from} AND posted_at < ${period.to}
			UNION
			SELECT unnest(${sql.param(references)}::text[])
		)
		SELECT p.reference, p.store_id, p.status, p.amount_minor::text AS amount_minor, p.currency,
			sale.amount::text AS posted_amount, sale.currency AS posted_currency,
			coalesce(refunded.amount, 0)::text AS refunded
		FROM refs JOIN payments p ON p.reference = refs.reference
		LEFT JOIN LATERAL (
			-- The sale's gross: what reached Paystack's balance plus the fee Paystack kept.
			SELECT sum(lp.amount_minor) AS amount, min(lp.currency) AS currency
			FROM ledger_entries e JOIN ledger_postings lp ON lp.entry_id = e.id
			WHERE e.external_ref = ${SALE_PREFIX} || p.reference AND lp.account IN ('paystack_clearing', 'provider_fees')
			HAVING count(*) > 0
		) sale ON true
		LEFT JOIN LATERAL (
			SELECT sum(lp.amount_minor) AS amount
			FROM refunds rf
			JOIN ledger_entries e ON e.external_ref = 'refund:' || rf.id || ':completed'
			JOIN ledger_postings lp ON lp.entry_id = e.id AND lp.account = 'refunds_clearing'
			WHERE rf.store_id = p.store_id AND rf.order_id = p.order_id AND rf.payment_id = p.id
		) refunded ON true`);
	return result.rows.map((r) => ({
		reference: r.reference,
		storeId: r.store_id,
		paymentStatus: r.status,
		postedAmountMinor: r.posted_amount === null ? null : BigInt(r.posted_amount),
		postedCurrency: r.posted_currency,
		refundedMinor: BigInt(r.refunded),
		expectedAmountMinor: BigInt(r.amount_minor),
		expectedCurrency: r.currency,
	}));
}

interface TransferRow {
	reference: string;
	store_id: string;
	status: string;
	currency: string;
	posted: string | null;
	completed: boolean;
	returned: boolean;
	[key: string]: unknown;
}

/** Oja's payouts created in the period, and those with the given references. */
async function ledgerTransfers(db: Database, period: ReconciliationPeriod, references: string[]): Promise<LedgerTransfer[]> {
	const result = await db.execute<TransferRow>(sql`
		WITH refs AS (
			SELECT reference FROM payouts WHERE created_at >= ${period.from} AND created_at < ${period.to}
			UNION
			SELECT unnest(${sql.param(references)}::text[])
		)
		SELECT po.reference, po.store_id, po.status, po.currency,
			(SELECT (-sum(lp.amount_minor))::text FROM ledger_entries e
				JOIN ledger_postings lp ON lp.entry_id = e.id AND lp.account = 'payouts_in_transit'
				WHERE e.external_ref = 'payout:' || po.id HAVING count(*) > 0) AS posted,
			EXISTS (SELECT 1 FROM ledger_entries WHERE external_ref = 'payout:' || po.id || ':completed') AS completed,
			EXISTS (SELECT 1 FROM ledger_entries WHERE external_ref = 'payout:' || po.id || ':returned') AS returned
		FROM refs JOIN payouts po ON po.reference = refs.reference`);
	return result.rows.map((r) => ({
		reference: r.reference,
		storeId: r.store_id,
		payoutStatus: r.status,
		postedAmountMinor: r.posted === null ? null : BigInt(r.posted),
		currency: r.currency,
		completed: r.completed === true || String(r.completed) === "t" || String(r.completed) === "true",
		returned: r.returned === true || String(r.returned) === "t" || String(r.returned) === "true",
	}));
}

const asProvider = (o: { id: string; reference: string; status: string; amountMinor: number; currency: string }) =>
	({
		reference: o.reference,
		providerId: o.id,
		status: o.status,
		amountMinor: BigInt(o.amountMinor),
		currency: o.currency,
	}) satisfies ProviderObject;

/**
 * Looks up at the provider, one by one, each of Oja's objects its lists did not have and that
 * `needsLookup` says could carry money, adding what it finds to `theirs`. Beyond the run's lookup
 * budget an object is left out of the comparison (reporting it missing would be a guess) and the
 * run is incomplete.
 */
async function lookUpLeftovers<T extends { reference: string }>(
	ours: T[],
	theirs: Map<string, ProviderObject>,
	needsLookup: (item: T) => boolean,
	verify: (
		reference: string,
	) => Promise<{ id: string; reference: string; status: string; amountMinor: number; currency: string }>,
	budget: { lookups: number },
): Promise<{ compared: T[]; complete: boolean }> {
	let complete = true;
	const compared: T[] = [];
	for (const item of ours) {
		if (!theirs.has(item.reference) && needsLookup(item)) {
			if (budget.lookups <= 0) {
				complete = false;
				continue;
			}
			budget.lookups--;
			const found = await lookUp(() => verify(item.reference));
			if (found) theirs.set(item.reference, asProvider(found));
		}
		compared.push(item);
	}
	return { compared, complete };
}

interface Compared {
	differences: Difference[];
	checked: number;
	complete: boolean;
}

async function compareCharges(
	db: Database,
	provider: PaymentProvider,
	period: ReconciliationPeriod,
	limits: ReconcileLimits,
	budget: { lookups: number },
): Promise<Compared> {
	// Paystack lists by creation; a payment started days before the period may be paid in it. So
	// the list starts a week earlier and keeps what was paid in the period (or, unpaid dates aside,
	// created in it): each payment is compared by the run of the day it was paid.
	const from = Date.parse(period.from);
	const to = Date.parse(period.to);
	const listed = await readAll(
		(page) =>
			provider.listTransactions({
				from: new Date(from - CHARGE_LOOKBACK_MS).toISOString(),
				to: period.to,
				status: "success",
				page,
				perPage: PER_PAGE,
			}),
		limits.maxPages,
	);
	const paidInPeriod = listed.items.filter((t) => {
		const paidAt = t.paidAt === null ? Number.NaN : Date.parse(t.paidAt);
		return Number.isNaN(paidAt) || (paidAt >= from && paidAt < to);
	});
	const theirs = new Map(paidInPeriod.map((t) => [t.reference, asProvider(t)]));
	const ours = await ledgerCharges(db, period, [...theirs.keys()]);
	// Only money needs the provider's word: a payment neither posted nor under review, and
	// absent from the provider's successes, moved nothing on either side.
	const { compared, complete } = await lookUpLeftovers(
		ours,
		theirs,
		(charge) => charge.postedAmountMinor !== null || charge.paymentStatus === "review",
		(reference) => provider.verifyTransaction(reference),
		budget,
	);
	// The provider's non-successes were fetched only for references Oja has: keep them to those.
	const known = new Set(compared.map((c) => c.reference));
	const providerSide = [...theirs.values()].filter((t) => t.status === "success" || known.has(t.reference));
	return {
		differences: reconcileCharges(compared, providerSide),
		checked: compared.length,
		complete: complete && listed.complete,
	};
}

async function compareTransfers(
	db: Database,
	provider: PaymentProvider,
	period: ReconciliationPeriod,
	limits: ReconcileLimits,
	budget: { lookups: number },
): Promise<Compared> {
	const listed = await readAll(
		(page) => provider.listTransfers({ from: period.from, to: period.to, page, perPage: PER_PAGE }),
		limits.maxPages,
	);
	const theirs = new Map(listed.items.map((t) => [t.reference, asProvider(t)]));
	const ours = await ledgerTransfers(db, period, [...theirs.keys()]);
	// A payout still pending was never handed to Paystack: nothing to look up.
	const { compared, complete } = await lookUpLeftovers(
		ours,
		theirs,
		(payout) => payout.payoutStatus !== "pending",
		(reference) => provider.verifyTransfer(reference),
		budget,
	);
	return {
		differences: reconcileTransfers(compared, [...theirs.values()]),
		checked: compared.length,
		complete: complete && listed.complete,
	};
}

/** Rows per INSERT: 13 parameters each stays far below Postgres's 65,535 per statement. */
const INSERT_CHUNK = 1_000;

/**
 * The differences, in chunks, each written only while `lease` still holds the run (a holder
 * that lost the run to a takeover writes nothing).
 */
function insertDifferences(runId: string, lease: string, differences: Difference[]): SQL[] {
	const statements: SQL[] = [];
	for (let i = 0; i < differences.length; i += INSERT_CHUNK) {
		const values = differences.slice(i, i + INSERT_CHUNK).map(
			(d) => sql`(${d.object}, ${d.reference}, ${d.storeId}, ${d.type},
				${d.ledgerAmountMinor === null ? null : d.ledgerAmountMinor.toString()}::bigint,
				${d.providerAmountMinor === null ? null : d.providerAmountMinor.toString()}::bigint,
				${d.ledgerCurrency}, ${d.providerCurrency}, ${d.ledgerStatus}, ${d.providerStatus}, ${d.providerId}, ${d.detail})`,
		);
		statements.push(sql`
			INSERT INTO reconciliation_differences (run_id, object, reference, store_id, type, ledger_amount_minor,
				provider_amount_minor, ledger_currency, provider_currency, ledger_status, provider_status, provider_id, detail)
			SELECT ${runId}, v.* FROM (VALUES ${sql.join(values, sql`, `)}) AS v
			WHERE EXISTS (SELECT 1 FROM reconciliation_runs WHERE id = ${runId} AND lease = ${lease})`);
	}
	return statements;
}

/** A run still "running" this long after it started died with its Worker. */
const STALE_RUN = sql`interval '15 minutes'`;
/** A cron run that failed (Paystack down) is tried again after this, up to MAX_CRON_ATTEMPTS. */
const RETRY_FAILED = sql`interval '15 minutes'`;
const MAX_CRON_ATTEMPTS = 8;

export class ReconciliationBusyError extends Error {
	override readonly name = "ReconciliationBusyError";
}

interface Claim {
	runId: string;
	lease: string;
}

/**
 * Claims the run. An operator's run is a new row, one running at a time (a partial unique
 * index; a stale one is failed first). The cron's period has one row: new, or taken over when
 * it died running or failed (up to MAX_CRON_ATTEMPTS); null when it is done or being run.
 */
async function claimRun(db: Database, period: ReconciliationPeriod, triggeredBy: string): Promise<Claim | null> {
	const id = newId("reconciliationRun");
	const lease = crypto.randomUUID();
	if (triggeredBy !== "cron") {
		await db.execute(sql`
			UPDATE reconciliation_runs SET status = 'failed', error = 'stopped: its Worker died', finished_at = now()
			WHERE status = 'running' AND triggered_by <> 'cron' AND started_at < now() - ${STALE_RUN}`);
		const inserted = await db.execute<{ id: string }>(sql`
			INSERT INTO reconciliation_runs (id, period_from, period_to, triggered_by, lease)
			VALUES (${id}, ${period.from}, ${period.to}, ${triggeredBy}, ${lease})
			ON CONFLICT ((true)) WHERE status = 'running' AND triggered_by <> 'cron' DO NOTHING
			RETURNING id`);
		if (!inserted.rows[0]) throw new ReconciliationBusyError("another operator's reconciliation is running");
		return { runId: id, lease };
	}
	const inserted = await db.execute<{ id: string }>(sql`
		INSERT INTO reconciliation_runs (id, period_from, period_to, triggered_by, lease)
		VALUES (${id}, ${period.from}, ${period.to}, 'cron', ${lease})
		ON CONFLICT (period_from, period_to) WHERE triggered_by = 'cron' DO NOTHING
		RETURNING id`);
	if (inserted.rows[0]) return { runId: inserted.rows[0].id, lease };
	const taken = await db.execute<{ id: string }>(sql`
		UPDATE reconciliation_runs
		SET status = 'running', lease = ${lease}, attempts = attempts + 1, started_at = now(), finished_at = NULL, error = NULL
		WHERE triggered_by = 'cron' AND period_from = ${period.from} AND period_to = ${period.to}
			AND attempts < ${MAX_CRON_ATTEMPTS}
			AND ((status = 'running' AND started_at < now() - ${STALE_RUN})
				OR (status = 'failed' AND finished_at < now() - ${RETRY_FAILED}))
		RETURNING id`);
	return taken.rows[0] ? { runId: taken.rows[0].id, lease } : null;
}

/**
 * Runs reconciliation for the period and records what it found. Returns the run, or null when
 * the cron's period was already claimed. Throws ReconciliationBusyError when another operator's
 * run is under way.
 */
export async function runReconciliation(
	db: Database,
	provider: PaymentProvider,
	period: ReconciliationPeriod,
	triggeredBy: string,
	log: Log,
	limits: ReconcileLimits = DEFAULT_LIMITS,
): Promise<ReconciliationReport | null> {
	const started = Date.now();
	const claim = await claimRun(db, period, triggeredBy);
	if (claim === null) return null;
	const { runId, lease } = claim;
	try {
		const budget = { lookups: limits.maxLookups };
		const charges = await compareCharges(db, provider, period, limits, budget);
		const transfers = await compareTransfers(db, provider, period, limits, budget);
		const differences = [...charges.differences, ...transfers.differences];
		const status = charges.complete && transfers.complete ? "completed" : "incomplete";
		// The differences first (each conditional on the lease), then the outcome: a run is never
		// "completed" with half its differences written, nor written by a holder that lost it.
		const finish = db.execute(sql`
			UPDATE reconciliation_runs SET status = ${status}, charges_checked = ${charges.checked},
				transfers_checked = ${transfers.checked}, differences = ${differences.length}, finished_at = now()
			WHERE id = ${runId} AND lease = ${lease}`);
		const inserts = insertDifferences(runId, lease, differences).map((statement) => db.execute(statement));
		const [first = finish, ...rest] = [...inserts, finish];
		await db.batch([first, ...rest]);
		log({
			level: differences.length === 0 ? "info" : "warn",
			msg: "reconciliation.finished",
			runId,
			status,
			charges: charges.checked,
			transfers: transfers.checked,
			differences: differences.length,
			ms: Date.now() - started,
		});
	} catch (error) {
		const code = error instanceof Error ? error.name : "unknown";
		await db.execute(sql`
			UPDATE reconciliation_runs SET status = 'failed', error = ${`${code}: the run stopped before comparing everything`},
				finished_at = now()
			WHERE id = ${runId} AND lease = ${lease} AND status = 'running'`);
		log({ level: "error", msg: "reconciliation.failed", runId, code, ms: Date.now() - started });
	}
	return reconciliationReport(db, runId);
}

/** The UTC day before `now`: the cron's period. */
export function previousUtcDay(now: Date): ReconciliationPeriod {
	const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
	return { from: new Date(to - 86_400_000).toISOString(), to: new Date(to).toISOString() };
}

interface DifferenceRow {
	object: ReconciliationDifference["object"];
	reference: string;
	store_id: string | null;
	type: ReconciliationDifference["type"];
	ledger_amount_minor: string | null;
	provider_amount_minor: string | null;
	ledger_currency: string | null;
	provider_currency: string | null;
	ledger_status: string | null;
	provider_status: string | null;
	provider_id: string | null;
	detail: string;
	[key: string]: unknown;
}

/**
 * Amounts are bounded by the payments/payouts CHECKs (≤ 10^18), which JSON numbers cannot all
 * carry exactly: one beyond 2^53 is shown as null (the database keeps it) rather than failing
 * every operator's read.
 */
function safeNumber(text: string | null): number | null {
	if (text === null) return null;
	const n = Number(text);
	return Number.isSafeInteger(n) ? n : null;
}

export async function reconciliationReport(db: Database, runId: string): Promise<ReconciliationReport | null> {
	const [run, diffs] = await db.batch([
		db.execute(sql`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = ${runId}`),
		db.execute(sql`SELECT object, reference, store_id, type, ledger_amount_minor::text AS ledger_amount_minor,
			provider_amount_minor::text AS provider_amount_minor, ledger_currency, provider_currency, ledger_status,
			provider_status, provider_id, detail
			FROM reconciliation_differences WHERE run_id = ${runId} ORDER BY object, reference`),
	]);
	const row = (run.rows as RunRow[])[0];
	if (!row) return null;
	return {
		run: runOf(row),
		differences: (diffs.rows as DifferenceRow[]).map((d) => ({
			object: d.object,
			reference: d.reference,
			storeId: d.store_id,
			type: d.type,
			ledgerAmountMinor: safeNumber(d.ledger_amount_minor),
			providerAmountMinor: safeNumber(d.provider_amount_minor),
			ledgerCurrency: d.ledger_currency,
			providerCurrency: d.provider_currency,
			ledgerStatus: d.ledger_status,
			providerStatus: d.provider_status,
			providerId: d.provider_id,
			detail: d.detail,
		})),
	};
}

/** Runs, newest first (ids are ULIDs: sorted by start). */
export async function listReconciliationRuns(db: Database, query: ReconciliationRunQuery): Promise<ReconciliationRunList> {
	const rows = await db.execute<RunRow>(sql`
		SELECT ${RUN_COLUMNS} FROM reconciliation_runs
		WHERE ${query.cursor === undefined ? sql`true` : sql`id < ${query.cursor}`}
		ORDER BY id DESC LIMIT ${query.limit + 1}`);
	const items = rows.rows.slice(0, query.limit).map(runOf);
	return { items, nextCursor: rows.rows.length > query.limit ? (items[items.length - 1]?.id ?? null) : null };
}

/** Payments holding money Oja could not apply, oldest first: an operator's queue. */
export async function paymentsUnderReview(db: Database): Promise<ReviewPaymentList> {
	const rows = await db.execute<{
		id: string;
		store_id: string;
		order_id: string;
		reference: string;
		amount_minor: string;
		currency: string;
		review_reason: string | null;
		created_at: string;
		updated_at: string;
		[key: string]: unknown;
	}>(sql`
		SELECT id, store_id, order_id, reference, amount_minor::text AS amount_minor, currency, review_reason,
			${iso(sql`created_at`)} AS created_at, ${iso(sql`updated_at`)} AS updated_at
		FROM payments WHERE status = 'review' ORDER BY updated_at, id LIMIT 200`);
	return {
		items: rows.rows.map((r) => ({
			id: r.id,
			storeId: r.store_id,
			orderId: r.order_id,
			reference: r.reference,
			amountMinor: safeNumber(r.amount_minor),
			currency: r.currency as ReviewPaymentList["items"][number]["currency"],
			reviewReason: r.review_reason,
			createdAt: r.created_at,
			updatedAt: r.updated_at,
		})),
	};
}
