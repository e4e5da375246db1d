import { errorLogRecord } from "@oja/contracts";
import type { Database } from "@oja/db";
import { settlementEntry } from "@oja/ledger";
import { postEntry } from "@oja/ledger/sql";
import { sql } from "drizzle-orm";

// Settlement: an online sale's money moves from pending to available once it is
// SETTLEMENT_DELAY_SECONDS old, less any platform fees the store owes (pay-on-delivery orders),
// netted here. What is settled is the order's pending remainder — its sale less any refund
// already taken from pending — so a refund before settlement and the settlement cannot both
// count the same money.
//
// Concurrency: per store, one batch that first locks the store's pending balance row (a refund
// that draws on pending locks it too, before deciding where to draw from), then asserts every
// remainder is still what was read, then posts. Anything that moved in between vetoes the batch
// and the next run settles it. Each settlement's external reference is `settlement:<order>`, so
// two runs cannot settle an order twice.

/** Sales older than this beyond the delay are not looked at (a bounded scan); see docs/ledger.md. */
const LOOKBACK_DAYS = 30;

type Due = {
	store_id: string;
	order_id: string;
	currency: string;
	remainder: string;
	receivable: string | null;
};

export async function settleDue(
	db: Database,
	options: { delaySeconds: number; limit?: number; requestId: string | null; log?: (line: Record<string, unknown>) => void },
): Promise<{ settled: number; failedStores: number }> {
	const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
	const due = await db.execute<Due>(sql`
		WITH due AS (
			SELECT DISTINCT e.store_id, e.order_id FROM ledger_entries e
			WHERE e.kind = 'sale'
				AND e.posted_at <= now() - make_interval(secs => ${options.delaySeconds})
				AND e.posted_at > now() - make_interval(secs => ${options.delaySeconds}) - make_interval(days => ${LOOKBACK_DAYS})
				AND NOT EXISTS (SELECT 1 FROM ledger_entries s WHERE s.external_ref = 'settlement:' || e.order_id)
			LIMIT ${options.limit ?? 500}
		)
		SELECT d.store_id, d.order_id, p.currency, (-sum(p.amount_minor))::text AS remainder,
			(SELECT b.balance_minor::text FROM ledger_balances b
				WHERE b.store_id = d.store_id AND b.account = 'fees_receivable' AND b.currency = p.currency) AS receivable
		FROM due d
		JOIN ledger_entries e ON e.store_id = d.store_id AND e.order_id = d.order_id
		JOIN ledger_postings p ON p.entry_id = e.id AND p.account = 'pending'
		GROUP BY d.store_id, d.order_id, p.currency
		HAVING -sum(p.amount_minor) > 0
		ORDER BY d.store_id, d.order_id`);

	const byStore = new Map<string, Due[]>();
	for (const row of due.rows)
		byStore.set(`${row.store_id}|${row.currency}`, [...(byStore.get(`${row.store_id}|${row.currency}`) ?? []), row]);

	let settled = 0;
	let failedStores = 0;
	for (const rows of byStore.values()) {
		const first = rows[0] as Due;
		let receivable = BigInt(first.receivable ?? "0");
		const entries = rows.map((row) => {
			const entry = settlementEntry({
				storeId: row.store_id,
				currency: row.currency,
				orderId: row.order_id,
				amountMinor: BigInt(row.remainder),
				receivableMinor: receivable,
			});
			const netted = entry.postings.find((p) => p.account === "fees_receivable")?.amountMinor ?? 0n;
			receivable += netted;
			return entry;
		});
		const expected = JSON.stringify(rows.map((r) => ({ order_id: r.order_id, remainder: r.remainder })));
		try {
			await db.batch([
				db.execute(sql`
					SELECT 1 FROM ledger_balances
					WHERE store_id = ${first.store_id} AND account = 'pending' AND currency = ${first.currency} FOR UPDATE`),
				db.execute(sql`
					SELECT oja_assert(NOT EXISTS (
						SELECT 1 FROM jsonb_to_recordset(${expected}::jsonb) AS x(order_id text, remainder bigint)
						WHERE x.remainder <> coalesce((
							SELECT -sum(p.amount_minor) FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
							WHERE e.store_id = ${first.store_id} AND e.order_id = x.order_id
								AND p.account = 'pending' AND p.currency = ${first.currency}), 0)
					), 'settlement-stale')`),
				...entries.map((entry) => postEntry(db, entry, options.requestId)),
			]);
			settled += entries.length;
		} catch (error) {
			// Retried on the next run; the store's other money is untouched (one batch per store).
			failedStores++;
			log({ level: "warn", msg: "ledger.settlement_failed", storeId: first.store_id, error: errorLogRecord(error) });
		}
	}
	if (settled > 0 || failedStores > 0) log({ level: "info", msg: "ledger.settled", settled, failedStores });
	return { settled, failedStores };
}
