import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { newId } from "@oja/db";
import { saleEntry } from "@oja/ledger";
import { postEntry } from "@oja/ledger/sql";
import { signUpMerchant, testDb } from "@oja/test-helpers";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import worker from "../src/index.ts";
import { balanceOf } from "./payment-fixtures.ts";

// `npm start` runs every Worker in one `wrangler dev`, which fires only the gateway's cron: its
// scheduled handler hands each tick to the Workers that own the jobs (in production each has its
// own trigger). Without that, sales never settle locally and payouts have nothing to pay.

it("a cron tick on the gateway settles due sales and reconciles yesterday", async () => {
	const m = await signUpMerchant();
	const db = testDb();
	await db.batch([
		postEntry(
			db,
			saleEntry({
				storeId: m.storeId,
				currency: "NGN",
				orderId: newId("order"),
				reference: `cron-${crypto.randomUUID()}`,
				amountMinor: 50_000n,
				feeMinor: 0n,
				providerFeeMinor: 0n,
			}),
			null,
		),
	]);
	expect(await balanceOf(m)).toMatchObject({ pendingMinor: 50_000, availableMinor: 0 });

	const ctx = createExecutionContext();
	await worker.scheduled(
		createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }),
		env as unknown as GatewayBindings,
		ctx,
	);
	await waitOnExecutionContext(ctx);

	expect(await balanceOf(m)).toMatchObject({ pendingMinor: 0, availableMinor: 50_000 });
	const runs = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM reconciliation_runs WHERE triggered_by = 'cron'`);
	// The cron reconciles yesterday from half past midnight UTC.
	const pastHalfPast = new Date().getUTCHours() > 0 || new Date().getUTCMinutes() >= 30;
	expect(Number(runs.rows[0]?.n)).toBe(pastHalfPast ? 1 : 0);
});
