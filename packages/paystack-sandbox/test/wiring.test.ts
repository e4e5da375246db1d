import { PaystackClient } from "@oja/paystack";
import { describe, expect, it } from "vitest";
import { listTransactions } from "../src/admin.ts";

// `npm test` (scripts/test.ts) starts one Paystack sandbox for the whole run, with a fresh
// secret key, and hands its coordinates to Vitest; this checks that hand-over. Plain
// `vitest` has no sandbox: skipped.
const url = process.env.OJA_TEST_PAYSTACK_URL;
const adminUrl = process.env.OJA_TEST_PAYSTACK_ADMIN;
const secret = process.env.OJA_TEST_PAYSTACK_SECRET;

describe.skipIf(!url)("the Paystack sandbox npm test started", () => {
	it("answers the client with the run's key, refuses another, and serves its admin API", async () => {
		expect(secret).toMatch(/^sk_test_[0-9a-f]{32}$/);
		const client = new PaystackClient({ baseUrl: url ?? "", secretKey: secret ?? "" });
		await expect(client.verifyTransaction("wiring_check_missing")).rejects.toMatchObject({ status: 400 });
		const wrong = new PaystackClient({ baseUrl: url ?? "", secretKey: "sk_test_oja_local_sandbox_not_a_paystack_key" });
		await expect(wrong.listBanks()).rejects.toMatchObject({ status: 401 });
		expect(Array.isArray(await listTransactions(adminUrl ?? ""))).toBe(true);
	});
});
