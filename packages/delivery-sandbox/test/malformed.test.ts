import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DeliveryResponseError, KwikLikeClient } from "@oja/delivery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A provider that answers 200 with bodies that break the contract: the client must refuse
// them (zod) rather than hand commerce a task with no id or a fee in the wrong shape.
describe("KwikLikeClient against a provider that breaks its contract", () => {
	let server: Server;
	let base = "";
	const bodies: Record<string, string> = {
		"/v1/quotes": JSON.stringify({ feeMinor: 1500.5, currency: "NGN", etaMinutes: 30 }),
		"/v1/tasks": JSON.stringify({ id: "tsk_1", state: "PENDING" }),
		"/v1/tasks/tsk_1": "<html>maintenance</html>",
	};
	let hits = 0;

	beforeAll(async () => {
		server = createServer((req, res) => {
			hits++;
			const body = bodies[req.url ?? ""] ?? "{}";
			res.writeHead(200, { "content-type": "application/json" }).end(body);
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		server.closeAllConnections();
		await new Promise((r) => server.close(r));
	});

	it("rejects each malformed answer once, as a permanent error", async () => {
		const client = new KwikLikeClient({ baseUrl: base, apiKey: "k", sleep: async () => {} });
		const address = { line1: "1 Marina", city: "Lagos", country: "NG" };
		const quote = await client
			.quote({ pickup: address, dropoff: address, parcel: { valueMinor: 1, currency: "NGN" } })
			.catch((e: unknown) => e);
		expect(quote).toBeInstanceOf(DeliveryResponseError);
		expect(quote).toMatchObject({ code: "malformed_response", retryable: false, status: 200 });
		expect((quote as Error).message).toContain("feeMinor");
		await expect(
			client.createTask({
				reference: "ful_1",
				pickup: address,
				dropoff: address,
				recipient: { name: "Ada", phone: "+2348031234567" },
				parcel: { description: "x", valueMinor: 1, currency: "NGN" },
				callbackUrl: "http://127.0.0.1/cb",
			}),
		).rejects.toThrow(/taskId/);
		await expect(client.getTask("tsk_1")).rejects.toThrow(/non-JSON/);
		expect(hits).toBe(3);
	});
});
