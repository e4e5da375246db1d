import { env } from "cloudflare:workers";
import { newId, pgConstraint, pgErrorCode } from "@oja/db";
import {
	type EntryDraft,
	minMinor,
	payoutCompletedEntry,
	payoutEntry,
	payoutReturnedEntry,
	podFeeEntry,
	type RefundSource,
	refundCompletedEntry,
	refundEntry,
	refundReturnedEntry,
	saleEntry,
} from "@oja/ledger";
import { postEntry, storeBalance } from "@oja/ledger/sql";
import { testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// The ledger's rules as the DATABASE enforces them (migrations/0017_ledger.sql): these tests
// write with raw SQL where the code would refuse first, so what they prove is the database.

const db = testDb();
const NGN = "NGN";

async function newStore(): Promise<string> {
	const id = newId("store");
	await db.execute(
		sql`INSERT INTO stores (id, slug, name, currency) VALUES (${id}, ${id.toLowerCase().replace("_", "-")}, 'Ledger test', 'NGN')`,
	);
	return id;
}

async function post(entry: EntryDraft): Promise<boolean> {
	const [result] = await db.batch([postEntry(db, entry, null)]);
	return result.rows.length > 0;
}

/** The constraint a refused write names (SQLSTATE 23514 check_violation, or 42501 for append-only). */
async function refusal(write: Promise<unknown>): Promise<{ code: string | undefined; constraint: string | undefined }> {
	try {
		await write;
	} catch (error) {
		return { code: pgErrorCode(error), constraint: pgConstraint(error) };
	}
	throw new Error("the write was accepted");
}

const sale = (storeId: string, amountMinor: bigint, feeMinor = 0n) =>
	saleEntry({
		storeId,
		currency: NGN,
		orderId: newId("order"),
		reference: crypto.randomUUID(),
		amountMinor,
		feeMinor,
		providerFeeMinor: 0n,
	});

describe("the database keeps the ledger balanced and append-only", () => {
	it("refuses an entry whose postings do not sum to zero, at COMMIT, writing nothing", async () => {
		const store = await newStore();
		const id = newId("ledgerEntry");
		const refused = await refusal(
			db.batch([
				db.execute(sql`INSERT INTO ledger_entries (id, store_id, kind, external_ref, description)
					VALUES (${id}, ${store}, 'sale', ${`test:${id}`}, 'unbalanced')`),
				db.execute(sql`INSERT INTO ledger_postings (entry_id, store_id, account, currency, amount_minor) VALUES
					(${id}, NULL, 'paystack_clearing', 'NGN', 1000), (${id}, ${store}, 'pending', 'NGN', -999)`),
			]),
		);
		expect(refused).toEqual({ code: "23514", constraint: "ledger_entry_balanced" });
		const left = await db.execute(sql`SELECT 1 FROM ledger_entries WHERE id = ${id}`);
		expect(left.rows).toHaveLength(0);
		expect(await storeBalance(db, store)).toMatchObject({ pendingMinor: 0n });
	});

	it("balances per currency: naira cannot pay for cedis", async () => {
		const store = await newStore();
		const id = newId("ledgerEntry");
		const refused = await refusal(
			db.batch([
				db.execute(sql`INSERT INTO ledger_entries (id, store_id, kind, external_ref, description)
					VALUES (${id}, ${store}, 'sale', ${`test:${id}`}, 'two currencies')`),
				db.execute(sql`INSERT INTO ledger_postings (entry_id, store_id, account, currency, amount_minor) VALUES
					(${id}, NULL, 'paystack_clearing', 'NGN', 500), (${id}, ${store}, 'pending', 'GHS', -500)`),
			]),
		);
		expect(refused.constraint).toBe("ledger_entry_balanced");
	});

	it("refuses an entry without postings, and postings added to an entry after its transaction", async () => {
		const store = await newStore();
		const lonely = newId("ledgerEntry");
		expect(
			await refusal(
				db.execute(sql`INSERT INTO ledger_entries (id, store_id, kind, external_ref, description)
					VALUES (${lonely}, ${store}, 'sale', ${`test:${lonely}`}, 'no postings')`),
			),
		).toEqual({ code: "23514", constraint: "ledger_entry_postings" });

		const first = sale(store, 10_000n);
		expect(await post(first)).toBe(true);
		const [entry] = (
			await db.execute<{ id: string }>(sql`SELECT id FROM ledger_entries WHERE external_ref = ${first.externalRef}`)
		).rows;
		// A balanced pair, but in a later transaction: amending a posted entry is refused.
		const refused = await refusal(
			db.execute(sql`INSERT INTO ledger_postings (entry_id, store_id, account, currency, amount_minor) VALUES
				(${entry?.id}, ${store}, 'pending', 'NGN', 10000), (${entry?.id}, ${store}, 'available', 'NGN', -10000)`),
		);
		expect(refused).toEqual({ code: "23514", constraint: "ledger_entry_sealed" });
	});

	it("refuses UPDATE and DELETE of entries and postings", async () => {
		const store = await newStore();
		const entry = sale(store, 5_000n);
		await post(entry);
		for (const statement of [
			sql`UPDATE ledger_postings SET amount_minor = amount_minor * 2 WHERE store_id = ${store}`,
			sql`DELETE FROM ledger_postings WHERE store_id = ${store}`,
			sql`UPDATE ledger_entries SET description = 'rewritten' WHERE store_id = ${store}`,
			sql`DELETE FROM ledger_entries WHERE store_id = ${store}`,
		]) {
			expect((await refusal(db.execute(statement))).code).toBe("42501");
		}
		expect(await storeBalance(db, store)).toMatchObject({ pendingMinor: 5_000n });
	});

	it("posts an entry once: the same external reference again changes nothing", async () => {
		const store = await newStore();
		const entry = sale(store, 7_500n, 500n);
		expect(await post(entry)).toBe(true);
		expect(await post(entry)).toBe(false);
		await Promise.all(Array.from({ length: 5 }, () => post(entry).catch(() => false)));
		const count = await db.execute<{ n: string }>(
			sql`SELECT count(*) AS n FROM ledger_entries WHERE external_ref = ${entry.externalRef}`,
		);
		expect(Number(count.rows[0]?.n)).toBe(1);
		expect(await storeBalance(db, store)).toMatchObject({ pendingMinor: 7_000n });
	});

	it("never lets available go below zero: 20 concurrent payouts against a balance that covers 3 → exactly 3", async () => {
		const store = await newStore();
		// 3,000 available: settle a 3,000 sale by hand (sale, then pending → available).
		const s = sale(store, 3_000n);
		await post(s);
		await post({
			kind: "settlement",
			externalRef: `settlement:${s.orderId}`,
			storeId: store,
			orderId: s.orderId,
			subjectId: null,
			description: "test settlement",
			postings: [
				{ account: "pending", storeId: store, currency: NGN, amountMinor: 3_000n },
				{ account: "available", storeId: store, currency: NGN, amountMinor: -3_000n },
			],
		});
		const outcomes = await Promise.all(
			Array.from({ length: 20 }, () =>
				post(payoutEntry({ storeId: store, currency: NGN, payoutId: newId("payout"), amountMinor: 1_000n })).then(
					() => "paid" as const,
					(error: unknown) => pgConstraint(error) ?? "other",
				),
			),
		);
		expect(outcomes.filter((o) => o === "paid")).toHaveLength(3);
		expect(outcomes.filter((o) => o === "ledger_balances_never_negative")).toHaveLength(17);
		expect(await storeBalance(db, store)).toMatchObject({ availableMinor: 0n, inTransitMinor: 3_000n });
		expect((await env.LEDGER.verify()).discrepancies).toEqual([]);
	});
});

// ---- Property: random histories of money movements --------------------------------------

interface OrderModel {
	id: string;
	paid: bigint;
	refunded: bigint;
	/** The merchant's share still in pending (sale less refunds drawn from pending). */
	remainder: bigint;
	settled: boolean;
}
interface Model {
	pending: bigint;
	available: bigint;
	inTransit: bigint;
	receivable: bigint;
	orders: OrderModel[];
	payouts: { id: string; amount: bigint; open: boolean }[];
	refunds: { id: string; orderId: string; amount: bigint; from: RefundSource; open: boolean }[];
	posted: EntryDraft[];
}

type Op =
	| { op: "sale"; amount: bigint; fee: bigint }
	| { op: "podFee"; fee: bigint }
	| { op: "settle" }
	| { op: "payout"; amount: bigint }
	| { op: "payoutDone"; pick: number; completed: boolean }
	| { op: "refund"; pick: number; amount: bigint }
	| { op: "refundDone"; pick: number; completed: boolean }
	| { op: "replay"; pick: number };

const amount = fc.bigInt({ min: 1n, max: 50_000n });
const opArb: fc.Arbitrary<Op> = fc.oneof(
	fc.record({ op: fc.constant("sale" as const), amount, fee: fc.bigInt({ min: 0n, max: 2_000n }) }),
	fc.record({ op: fc.constant("podFee" as const), fee: fc.bigInt({ min: 0n, max: 2_000n }) }),
	fc.record({ op: fc.constant("settle" as const) }),
	fc.record({ op: fc.constant("payout" as const), amount }),
	fc.record({ op: fc.constant("payoutDone" as const), pick: fc.nat(), completed: fc.boolean() }),
	fc.record({ op: fc.constant("refund" as const), pick: fc.nat(), amount }),
	fc.record({ op: fc.constant("refundDone" as const), pick: fc.nat(), completed: fc.boolean() }),
	fc.record({ op: fc.constant("replay" as const), pick: fc.nat() }),
);

async function apply(store: string, m: Model, o: Op): Promise<void> {
	const base = { storeId: store, currency: NGN };
	const attempt = async (entry: EntryDraft, allowed: boolean): Promise<boolean> => {
		if (!allowed) {
			expect((await refusal(post(entry))).constraint).toBe("ledger_balances_never_negative");
			return false;
		}
		expect(await post(entry)).toBe(true);
		m.posted.push(entry);
		return true;
	};
	switch (o.op) {
		case "sale": {
			const fee = minMinor(o.fee, o.amount);
			const entry = saleEntry({
				...base,
				orderId: newId("order"),
				reference: crypto.randomUUID(),
				amountMinor: o.amount,
				feeMinor: fee,
				providerFeeMinor: 0n,
			});
			await attempt(entry, true);
			m.orders.push({ id: entry.orderId as string, paid: o.amount, refunded: 0n, remainder: o.amount - fee, settled: false });
			m.pending += o.amount - fee;
			return;
		}
		case "podFee": {
			const entry = podFeeEntry({ ...base, orderId: newId("order"), feeMinor: o.fee });
			if (entry && (await attempt(entry, true))) m.receivable += o.fee;
			return;
		}
		case "settle": {
			// Tests run the ledger with SETTLEMENT_DELAY_SECONDS=0: every sale is due.
			const due = m.orders.filter((x) => !x.settled && x.remainder > 0n);
			expect((await env.LEDGER.settle()).failedStores).toBe(0);
			let netted = 0n;
			let total = 0n;
			for (const x of due) {
				const n = minMinor(m.receivable - netted, x.remainder);
				netted += n;
				total += x.remainder;
				x.remainder = 0n;
				x.settled = true;
			}
			m.pending -= total;
			m.available += total - netted;
			m.receivable -= netted;
			return;
		}
		case "payout": {
			const id = newId("payout");
			if (await attempt(payoutEntry({ ...base, payoutId: id, amountMinor: o.amount }), o.amount <= m.available)) {
				m.available -= o.amount;
				m.inTransit += o.amount;
				m.payouts.push({ id, amount: o.amount, open: true });
			}
			return;
		}
		case "payoutDone": {
			const open = m.payouts.filter((p) => p.open);
			const p = open[o.pick % Math.max(1, open.length)];
			if (!p) return;
			const args = { ...base, payoutId: p.id, amountMinor: p.amount };
			await attempt(o.completed ? payoutCompletedEntry(args) : payoutReturnedEntry(args), true);
			p.open = false;
			m.inTransit -= p.amount;
			if (!o.completed) m.available += p.amount;
			return;
		}
		case "refund": {
			const order = m.orders[o.pick % Math.max(1, m.orders.length)];
			if (!order) return;
			const left = order.paid - order.refunded;
			if (left === 0n) return;
			const refund = minMinor(o.amount, left);
			// The payments Worker's rule: from the order's unsettled money if it covers the
			// refund, otherwise from available.
			const from: RefundSource = !order.settled && order.remainder >= refund ? "pending" : "available";
			const id = newId("refund");
			const allowed = from === "pending" || refund <= m.available;
			if (await attempt(refundEntry({ ...base, orderId: order.id, refundId: id, amountMinor: refund, from }), allowed)) {
				order.refunded += refund;
				if (from === "pending") {
					order.remainder -= refund;
					m.pending -= refund;
				} else m.available -= refund;
				m.refunds.push({ id, orderId: order.id, amount: refund, from, open: true });
			}
			return;
		}
		case "refundDone": {
			const open = m.refunds.filter((r) => r.open);
			const r = open[o.pick % Math.max(1, open.length)];
			if (!r) return;
			const args = { ...base, orderId: r.orderId, refundId: r.id, amountMinor: r.amount };
			await attempt(o.completed ? refundCompletedEntry(args) : refundReturnedEntry({ ...args, to: r.from }), true);
			r.open = false;
			if (!o.completed) {
				const order = m.orders.find((x) => x.id === r.orderId) as OrderModel;
				order.refunded -= r.amount;
				if (r.from === "pending") {
					order.remainder += r.amount;
					m.pending += r.amount;
				} else m.available += r.amount;
			}
			return;
		}
		case "replay": {
			const entry = m.posted[o.pick % Math.max(1, m.posted.length)];
			if (entry) expect(await post(entry)).toBe(false);
			return;
		}
	}
}

describe("random histories (fast-check against the database)", () => {
	it("every entry balances, balances equal the postings and the model, nothing negative, replays change nothing", async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
				const store = await newStore();
				const m: Model = {
					pending: 0n,
					available: 0n,
					inTransit: 0n,
					receivable: 0n,
					orders: [],
					payouts: [],
					refunds: [],
					posted: [],
				};
				for (const o of ops) await apply(store, m, o);
				const balance = await storeBalance(db, store);
				expect(balance).toEqual({
					currency: NGN,
					pendingMinor: m.pending,
					availableMinor: m.available,
					inTransitMinor: m.inTransit,
					feesOwedMinor: m.receivable,
				});
				for (const v of [m.pending, m.available, m.inTransit, m.receivable]) expect(v >= 0n).toBe(true);
				const verification = await env.LEDGER.verify();
				expect(verification.discrepancies).toEqual([]);
				expect(verification.trialBalance.every((t) => t.sumMinor === "0")).toBe(true);
			}),
			{ numRuns: 25 },
		);
	});
});
