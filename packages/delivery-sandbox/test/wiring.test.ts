import { KwikLikeClient } from "@oja/delivery";
import { describe, expect, it } from "vitest";
import { listTasks } from "../src/admin.ts";
import { SANDBOX_API_KEY } from "../src/index.ts";

// `npm test` (scripts/test.ts) starts one delivery sandbox for the whole run and hands its
// coordinates to Vitest; this checks that hand-over. Plain `vitest` has no sandbox: skipped.
const url = process.env.OJA_TEST_DELIVERY_URL;
const adminUrl = process.env.OJA_TEST_DELIVERY_ADMIN;
const secret = process.env.OJA_TEST_DELIVERY_WEBHOOK_SECRET;

describe.skipIf(!url)("the delivery sandbox npm test started", () => {
	it("answers the client with the default key and its admin API", async () => {
		expect(secret).toMatch(/^whsec_test_[0-9a-f]{32}$/);
		const client = new KwikLikeClient({ baseUrl: url ?? "", apiKey: SANDBOX_API_KEY });
		await expect(client.getTask("tsk_wiring_check")).rejects.toMatchObject({ status: 404 });
		expect(Array.isArray(await listTasks(adminUrl ?? ""))).toBe(true);
	});
});
