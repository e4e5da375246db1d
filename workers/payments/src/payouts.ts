import {
	type Payout,
	type PayoutAccount,
	type PayoutAccountInput,
	type PayoutAccountList,
	type PayoutInput,
	type PayoutList,
	type PayoutListQuery,
	type PayoutRequested,
	ProblemError,
	problem,
} from "@oja/contracts";
import { type Database, isUniqueViolation, newId, pgConstraint, pgErrorCode, vetoReason } from "@oja/db";
import { appendEvent, backoffSeconds, type ClaimForRelay, type OutboxRow, type RetryPolicy } from "@oja/events";
import { payoutEntry, payoutReturnedEntry } from "@oja/ledger";
import { postEntrySql, storeBalance } from "@oja/ledger/sql";
import { type PaymentProvider, PaymentRejectedError, PaymentUnavailableError } from "@oja/paystack";
import { type SQL, sql } from "drizzle-orm";

// Payouts: a merchant's `available` money to their bank account by Paystack transfer.
//
// Requesting one is ONE batch: the payout row (which carries the request's Idempotency-Key,
// unique per store, so claiming the key and creating the payout are the same insert) and its
// ledger entry, available → payouts_in_transit. The ledger's CHECK on store balances is what
// refuses an overdraft, under any concurrency: payouts of one store serialise on its balance
// row and the one that would take `available` below zero fails (23514), rolling its payout
// back with it. Only AFTER the commit is Paystack asked to transfer, under our reference (the
// payout id lowercased; Paystack's idempotency key). If Paystack cannot be reached the payout
// stays `pending` and the payments Worker's cron retries it with the same reference, so a
// retry can never pay twice (see retryPendingPayouts for why a cron, not a queue message).

export type Log = (line: Record<string, unknown>) => void;
const defaultLog: Log = (line) => console.log(JSON.stringify(line));

/**
 * Sends the events a committed batch appended (already claimed for this relay) to their queues.
 * Never throws: a failed send leaves them in the outbox, and the ops sweep sends them once the
 * claim lapses. The default sends nothing now and leaves them all to the sweep.
 */
export type PublishEvents = (rows: OutboxRow[]) => Promise<void>;
export const publishLater: PublishEvents = async () => {};
const RELAY_CLAIM: ClaimForRelay = { claimSeconds: 30 };

/** Paystack transfer references are lowercase [a-z0-9_-]: our ULIDs lowercased stay unique. */
export const referenceOf = (payoutId: string) => payoutId.toLowerCase();
/** A reference Oja made for a payout (so an unknown one is ours not recorded yet, not someone else's). */
export const PAYOUT_REFERENCE = /^po_[0-9a-hjkmnp-tv-z]{26}$/;

const iso = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface PayoutRow {
	id: string;
	store_id: string;
	payout_account_id: string;
	amount_minor: string | number;
	currency: string;
	reference: string;
	status: Payout["status"];
	transfer_code: string | null;
	failure_reason: string | null;
	request_hash: string;
	recipient_code: string;
	bank_name: string | null;
	account_last4: string;
	attempts: number;
	created_at: string;
	updated_at: string;
	completed_at: string | null;
	[key: string]: unknown;
}

const PAYOUT_COLUMNS = sql`p.id, p.store_id, p.payout_account_id, p.amount_minor::text AS amount_minor, p.currency, p.reference,
	p.status, p.transfer_code, p.failure_reason, p.request_hash, a.recipient_code, a.bank_name, a.account_last4, p.attempts,
	${iso(sql`p.created_at`)} AS created_at, ${iso(sql`p.updated_at`)} AS updated_at,
	${iso(sql`p.completed_at`)} AS completed_at`;

export function payoutOf(row: PayoutRow): Payout {
	return {
		id: row.id,
		payoutAccountId: row.payout_account_id,
		amountMinor: Number(row.amount_minor),
		currency: row.currency as Payout["currency"],
		status: row.status,
		reference: row.reference,
		transferCode: row.transfer_code,
		failureReason: row.failure_reason,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		completedAt: row.completed_at,
	};
}

/**
 * The payout.completed / payout.failed event for the batch that moves `row` to `to`: in the
 * same batch, so it commits with the status change or not at all (a vetoed move emits nothing).
 */
export function payoutOutcomeEvent(
	db: Database,
	row: PayoutRow,
	to: "paid" | "failed" | "reversed",
	reason: string | null,
	requestId: string | null,
) {
	const base = {
		storeId: row.store_id,
		payoutId: row.id,
		payoutAccountId: row.payout_account_id,
		amountMinor: Number(row.amount_minor),
		currency: row.currency,
		bankName: row.bank_name?.slice(0, 200) ?? null, // the event caps it; Paystack's name is unbounded text
		accountLast4: row.account_last4,
	};
	return appendEvent(
		db,
		to === "paid"
			? { type: "payout.completed", storeId: row.store_id, aggregateId: row.id, payload: base }
			: {
					type: "payout.failed",
					storeId: row.store_id,
					aggregateId: row.id,
					payload: { ...base, outcome: to, reason: reason?.slice(0, 200) ?? null },
				},
		requestId,
		RELAY_CLAIM,
	);
}

/** One payout by a condition (always scoped by the caller: store id or our reference). */
export async function readPayout(db: Database, where: SQL): Promise<PayoutRow | undefined> {
	const result = await db.execute<PayoutRow>(sql`
		SELECT ${PAYOUT_COLUMNS} FROM payouts p JOIN payout_accounts a ON a.id = p.payout_account_id WHERE ${where}`);
	return result.rows[0];
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function providerDown(): ProblemError {
	return new ProblemError(
		problem(
			"service-unavailable",
			"The bank lookup (Paystack) cannot be reached right now; nothing was saved. Try again shortly.",
			{
				extensions: { code: "payment-provider-unavailable" },
			},
		),
	);
}

// ── Payout accounts ──────────────────────────────────────────────────────────

interface AccountRow {
	id: string;
	bank_code: string;
	bank_name: string | null;
	account_name: string;
	account_last4: string;
	currency: string;
	created_at: string;
	[key: string]: unknown;
}

const ACCOUNT_COLUMNS = sql`id, bank_code, bank_name, account_name, account_last4, currency, ${iso(sql`created_at`)} AS created_at`;

const accountOf = (r: AccountRow): PayoutAccount => ({
	id: r.id,
	bankCode: r.bank_code,
	bankName: r.bank_name,
	accountName: r.account_name,
	accountNumberLast4: r.account_last4,
	currency: r.currency as PayoutAccount["currency"],
	createdAt: r.created_at,
});

/**
 * Resolves the account's name with Paystack (a number the bank does not know is a 422 naming
 * accountNumber), registers it as a transfer recipient in the store's currency, and keeps
 * only what a payout needs: the recipient code, the name, the bank and the last 4 digits.
 * The hash (store, bank, number) refuses the same account twice; it is keyed by store so the
 * same account under two stores does not link them.
 */
export async function createPayoutAccount(
	db: Database,
	provider: PaymentProvider,
	storeId: string,
	input: PayoutAccountInput,
): Promise<PayoutAccount> {
	const [store] = (await db.execute<{ currency: string }>(sql`SELECT currency FROM stores WHERE id = ${storeId}`)).rows;
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	const hash = await sha256Hex(`${storeId}:${input.bankCode}:${input.accountNumber}`);
	const existing = await db.execute<{ id: string }>(sql`
		SELECT id FROM payout_accounts WHERE store_id = ${storeId} AND account_hash = ${hash} AND archived_at IS NULL`);
	if (existing.rows[0]) {
		throw new ProblemError(
			problem("conflict", "This bank account is already one of the store's payout accounts.", {
				extensions: { code: "payout-account-exists", payoutAccountId: existing.rows[0].id },
			}),
		);
	}
	let accountName: string;
	try {
		accountName = (await provider.resolveAccount({ accountNumber: input.accountNumber, bankCode: input.bankCode })).accountName;
	} catch (error) {
		// 422 (400 from some banks' lookups) is "no such account"; a 401 is our key, not theirs.
		if (error instanceof PaymentRejectedError && (error.status === 422 || error.status === 400)) {
			throw new ProblemError(
				problem("validation-failed", "The bank could not find this account number.", {
					errors: [{ path: "accountNumber", message: "No account with this number at this bank", code: "unresolvable_account" }],
				}),
			);
		}
		if (error instanceof PaymentUnavailableError) throw providerDown();
		throw error;
	}
	let recipient: Awaited<ReturnType<PaymentProvider["createTransferRecipient"]>>;
	try {
		recipient = await provider.createTransferRecipient({
			name: accountName,
			accountNumber: input.accountNumber,
			bankCode: input.bankCode,
			currency: store.currency,
		});
	} catch (error) {
		if (error instanceof PaymentRejectedError) {
			throw new ProblemError(
				problem("validation-failed", "Paystack would not accept this account for transfers.", {
					errors: [{ path: "accountNumber", message: "Not accepted for transfers", code: "recipient_refused" }],
				}),
			);
		}
		if (error instanceof PaymentUnavailableError) throw providerDown();
		throw error;
	}
	const id = newId("payoutAccount");
	try {
		const result = await db.execute<AccountRow>(sql`
			INSERT INTO payout_accounts (id, store_id, bank_code, bank_name, account_name, account_last4, account_hash, currency,
				recipient_code)
			VALUES (${id}, ${storeId}, ${input.bankCode}, ${recipient.bankName}, ${accountName}, ${input.accountNumber.slice(-4)},
				${hash}, ${store.currency}, ${recipient.recipientCode})
			RETURNING ${ACCOUNT_COLUMNS}`);
		return accountOf(result.rows[0] as AccountRow);
	} catch (error) {
		// The same account added twice at once: the second finds the first's row.
		if (isUniqueViolation(error, "payout_accounts_store_account_key")) {
			throw new ProblemError(
				problem("conflict", "This bank account is already one of the store's payout accounts.", {
					extensions: { code: "payout-account-exists" },
				}),
			);
		}
		throw error;
	}
}

export async function listPayoutAccounts(db: Database, storeId: string): Promise<PayoutAccountList> {
	const result = await db.execute<AccountRow>(sql`
		SELECT ${ACCOUNT_COLUMNS} FROM payout_accounts WHERE store_id = ${storeId} AND archived_at IS NULL ORDER BY id`);
	return { items: result.rows.map(accountOf) };
}

// ── Requesting a payout ──────────────────────────────────────────────────────

export interface PayoutRequest {
	storeId: string;
	input: PayoutInput;
	idempotencyKey: string;
	/** The signed-in person who asked (API keys cannot: payouts:manage is person-only). */
	requestedBy: string | null;
	requestId: string;
}

/** How long the request path has to start the transfer itself before the cron may try too. */
const FIRST_RETRY_AFTER_SECONDS = 60;

export async function requestPayout(
	db: Database,
	provider: PaymentProvider,
	req: PayoutRequest,
	retry: RetryPolicy,
	log: Log = defaultLog,
	publish: PublishEvents = publishLater,
): Promise<PayoutRequested> {
	const { storeId, input } = req;
	const requestHash = await sha256Hex(JSON.stringify([input.amountMinor, input.payoutAccountId]));
	const [account] = (
		await db.execute<{ currency: string }>(sql`
			SELECT a.currency FROM payout_accounts a JOIN stores s ON s.id = a.store_id
			WHERE a.id = ${input.payoutAccountId} AND a.store_id = ${storeId} AND a.archived_at IS NULL AND a.currency = s.currency`)
	).rows;
	if (!account) {
		// A replay still finds its payout even if the account was archived since.
		const replayed = await replay(db, req, requestHash);
		if (replayed) return replayed;
		throw new ProblemError(problem("not-found", "No such payout account."));
	}
	const payoutId = newId("payout");
	const amount = BigInt(input.amountMinor);
	const claim = db.execute(sql`
		INSERT INTO payouts (id, store_id, payout_account_id, amount_minor, currency, reference, status, idempotency_key,
			request_hash, requested_by, next_attempt_at)
		SELECT ${payoutId}, ${storeId}, a.id, ${amount.toString()}::bigint, a.currency, ${referenceOf(payoutId)}, 'pending',
			${req.idempotencyKey}, ${requestHash}, ${req.requestedBy}, now() + make_interval(secs => ${FIRST_RETRY_AFTER_SECONDS})
		FROM payout_accounts a WHERE a.id = ${input.payoutAccountId} AND a.store_id = ${storeId} AND a.archived_at IS NULL
		ON CONFLICT (store_id, idempotency_key) DO NOTHING`);
	// After a conflicting insert waited for the other request's commit, this statement's
	// snapshot sees that payout: the key was taken (replay), else the account went away.
	const claimed = db.execute(sql`
		SELECT oja_assert(EXISTS (SELECT 1 FROM payouts WHERE id = ${payoutId}),
			CASE WHEN EXISTS (SELECT 1 FROM payouts WHERE store_id = ${storeId} AND idempotency_key = ${req.idempotencyKey})
				THEN 'idempotency-replay' ELSE 'payout-account-unavailable' END)`);
	const entry = db.execute(
		postEntrySql(payoutEntry({ storeId, currency: account.currency, payoutId, amountMinor: amount }), req.requestId),
	);
	try {
		await db.batch([claim, claimed, entry]);
	} catch (error) {
		const reason = vetoReason(error);
		if (reason === "idempotency-replay") {
			const replayed = await replay(db, req, requestHash);
			if (replayed) return replayed;
			throw new Error("idempotency key vanished between claim and replay");
		}
		if (reason === "payout-account-unavailable") throw new ProblemError(problem("not-found", "No such payout account."));
		if (pgErrorCode(error) === "23514" && pgConstraint(error) === "ledger_balances_never_negative") {
			const balance = await storeBalance(db, storeId);
			throw new ProblemError(
				problem("conflict", "The store's available balance does not cover this payout.", {
					extensions: {
						code: "insufficient-funds",
						availableMinor: Number(balance?.availableMinor ?? 0n),
						currency: balance?.currency ?? account.currency,
					},
				}),
			);
		}
		throw error;
	}
	log({ level: "info", msg: "payout.requested", payoutId, storeId, requestId: req.requestId });
	const row = await readPayout(db, sql`p.id = ${payoutId} AND p.store_id = ${storeId}`);
	if (!row) throw new Error("payout vanished after commit");
	return { payout: payoutOf(await attemptTransfer(db, provider, row, retry, log, req.requestId, publish)), replayed: false };
}

/** The same key again: the same payout (as it is now), or 422 if the body differs. */
async function replay(db: Database, req: PayoutRequest, requestHash: string): Promise<PayoutRequested | null> {
	const row = await readPayout(db, sql`p.store_id = ${req.storeId} AND p.idempotency_key = ${req.idempotencyKey}`);
	if (!row) return null;
	if (row.request_hash !== requestHash) {
		throw new ProblemError(
			problem("validation-failed", "This Idempotency-Key was used for a different request.", {
				errors: [{ path: "Idempotency-Key", message: "Reused with a different body", code: "idempotency_key_reused" }],
			}),
		);
	}
	return { payout: payoutOf(row), replayed: true };
}

// ── Starting the transfer (after commit, and from the cron) ──────────────────

/**
 * Asks Paystack to transfer a `pending` payout, under its own reference (so this may run any
 * number of times, from the request, a replay or the cron, and pay once). Accepted: the
 * payout is `processing` with Paystack's transfer code; the outcome comes by webhook.
 * Unreachable or an unreadable answer: still `pending`, next try after a backoff. Refused
 * (Paystack will not make this transfer): `failed`, and the money returns to available in the
 * same transaction.
 */
export async function attemptTransfer(
	db: Database,
	provider: PaymentProvider,
	row: PayoutRow,
	retry: RetryPolicy,
	log: Log = defaultLog,
	requestId: string | null = null,
	publish: PublishEvents = publishLater,
): Promise<PayoutRow> {
	if (row.status !== "pending") return row;
	const started = Date.now();
	const where = sql`p.id = ${row.id} AND p.store_id = ${row.store_id}`;
	try {
		const transfer = await provider.initiateTransfer({
			amountMinor: Number(row.amount_minor),
			recipientCode: row.recipient_code,
			reference: row.reference,
			reason: `Oja payout ${row.id}`,
			currency: row.currency,
		});
		await db.execute(sql`
			UPDATE payouts SET status = 'processing', transfer_code = ${transfer.transferCode}, attempts = attempts + 1,
				updated_at = now()
			WHERE id = ${row.id} AND status = 'pending'`);
		log({ level: "info", msg: "payout.transfer_started", payoutId: row.id, ms: Date.now() - started, requestId });
	} catch (error) {
		if (error instanceof PaymentRejectedError && error.code !== "reference_conflict") {
			await failRefused(db, row, error.code, requestId, publish);
			log({ level: "warn", msg: "payout.transfer_refused", payoutId: row.id, code: error.code, requestId });
		} else {
			// Unreachable, an unreadable answer, or (never expected) our reference already used for
			// another transfer: the transfer may or may not exist, so the payout stays pending and is
			// asked about again, under the same reference, after a backoff.
			const delay = Math.max(1, backoffSeconds(row.attempts + 1, retry));
			await db.execute(sql`
				UPDATE payouts SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${delay}),
					updated_at = now()
				WHERE id = ${row.id} AND status = 'pending'`);
			log({
				level: error instanceof PaymentUnavailableError ? "warn" : "error",
				msg: "payout.transfer_deferred",
				payoutId: row.id,
				code: (error as { code?: unknown }).code ?? "unknown",
				attempt: row.attempts + 1,
				delaySeconds: delay,
				requestId,
			});
		}
	}
	return (await readPayout(db, where)) ?? row;
}

/** Paystack refused the transfer outright: nothing left the balance, so the money returns. */
async function failRefused(
	db: Database,
	row: PayoutRow,
	code: string,
	requestId: string | null,
	publish: PublishEvents,
): Promise<void> {
	const entry = payoutReturnedEntry({
		storeId: row.store_id,
		currency: row.currency,
		payoutId: row.id,
		amountMinor: BigInt(row.amount_minor),
	});
	const reason = `transfer refused: ${code}`.slice(0, 200);
	try {
		const results = await db.batch([
			db.execute(sql`
				WITH changed AS (
					UPDATE payouts SET status = 'failed', failure_reason = ${reason},
						completed_at = now(), updated_at = now()
					WHERE id = ${row.id} AND status = 'pending' RETURNING id
				)
				SELECT oja_assert(EXISTS (SELECT 1 FROM changed), 'payout-moved-on')`),
			db.execute(postEntrySql(entry, requestId)),
			payoutOutcomeEvent(db, row, "failed", reason, requestId),
		]);
		await publish(results[2].rows as OutboxRow[]);
	} catch (error) {
		// A webhook or another attempt moved it on first: theirs stands (and its event with it).
		if (vetoReason(error) !== "payout-moved-on") throw error;
	}
}

/**
 * The cron's job (and operators'/tests' through the RPC): every `pending` payout whose next
 * attempt is due, oldest first. A cron over the payouts table rather than a queue message
 * because the row IS the durable to-do: a message sent after the commit can be lost with the
 * Worker that was about to send it, the row cannot; and Paystack's reference idempotency
 * makes a transfer started twice (request and cron racing) still one transfer.
 */
export async function retryPendingPayouts(
	db: Database,
	provider: PaymentProvider,
	retry: RetryPolicy,
	options: { limit?: number; ignoreBackoff?: boolean } = {},
	log: Log = defaultLog,
	publish: PublishEvents = publishLater,
): Promise<{ attempted: number; started: number; stillPending: number; failed: number }> {
	const result = await db.execute<PayoutRow>(sql`
		SELECT ${PAYOUT_COLUMNS} FROM payouts p JOIN payout_accounts a ON a.id = p.payout_account_id
		WHERE p.status = 'pending' ${options.ignoreBackoff ? sql`` : sql`AND p.next_attempt_at <= now()`}
		ORDER BY p.next_attempt_at LIMIT ${options.limit ?? 50}`);
	const counts = { attempted: 0, started: 0, stillPending: 0, failed: 0 };
	for (const row of result.rows) {
		counts.attempted++;
		const after = await attemptTransfer(db, provider, row, retry, log, null, publish);
		if (after.status === "pending") counts.stillPending++;
		else if (after.status === "failed") counts.failed++;
		else counts.started++;
	}
	return counts;
}

// ── Reading payouts ──────────────────────────────────────────────────────────

export async function listPayouts(db: Database, storeId: string, query: PayoutListQuery): Promise<PayoutList> {
	const result = await db.execute<PayoutRow>(sql`
		SELECT ${PAYOUT_COLUMNS} FROM payouts p JOIN payout_accounts a ON a.id = p.payout_account_id
		WHERE p.store_id = ${storeId}
			${query.status ? sql`AND p.status = ${query.status}` : sql``}
			${query.cursor ? sql`AND p.id < ${query.cursor}` : sql``}
		ORDER BY p.id DESC LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const last = rows[rows.length - 1];
	return { items: rows.map(payoutOf), nextCursor: result.rows.length > query.limit && last ? last.id : null };
}

export async function getPayout(db: Database, storeId: string, payoutId: string): Promise<Payout> {
	const row = await readPayout(db, sql`p.id = ${payoutId} AND p.store_id = ${storeId}`);
	if (!row) throw new ProblemError(problem("not-found", "No such payout."));
	return payoutOf(row);
}
