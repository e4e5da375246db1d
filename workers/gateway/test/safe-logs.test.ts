import { runRpc } from "@oja/contracts";
import { schema } from "@oja/db";
import { consumeBatch } from "@oja/events";
import { signUpMerchant, testDb } from "@oja/test-helpers";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// Logs carry ids, names and codes, never personal data: a write that fails with someone's
// email, name and password hash in its parameters (Neon HTTP driver, real Postgres error)
// leaves none of them in the lines the RPC wrapper and the event consumer write.

let lines: string[] = [];

beforeEach(() => {
	lines = [];
	for (const method of ["log", "info", "warn", "error"] as const) {
		vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
		});
	}
});
afterEach(() => {
	vi.restoreAllMocks();
});

async function existingUser() {
	const m = await signUpMerchant({ name: "Chiamaka Eze" });
	const [user] = await testDb().select().from(schema.users).where(eq(schema.users.email, m.email));
	if (!user) throw new Error("no user row");
	return user;
}

/** Inserting a second account with the same email fails on users_email_key. */
function duplicateOf(user: typeof schema.users.$inferSelect) {
	return testDb()
		.insert(schema.users)
		.values({ id: "usr_01JZZZZZZZZZZZZZZZZZZZZZZZ", email: user.email, name: user.name, passwordHash: user.passwordHash });
}

function expectNoneOf(values: string[]) {
	const text = lines.join("\n");
	for (const value of values) expect(text).not.toContain(value);
}

describe("logs of failing writes", () => {
	it("a domain RPC's unexpected failure is logged by name and codes only", async () => {
		const user = await existingUser();
		const result = await runRpc("req_safe_logs_rpc", "test", async () => {
			await duplicateOf(user);
		});
		expect(result.ok).toBe(false);
		const logged = lines.find((l) => l.includes("rpc.unhandled"));
		expect(logged).toBeDefined();
		expectNoneOf([user.email, user.name, user.passwordHash, "insert into"]);
		// What is logged still says what went wrong.
		expect(logged).toContain("23505");
		expect(logged).toContain("users_email_key");
	});

	it("a consumer whose write fails logs its retry without the write's parameters", async () => {
		const user = await existingUser();
		const retried: unknown[] = [];
		const message = {
			id: "msg_safe_logs",
			timestamp: new Date(),
			attempts: 1,
			body: {
				id: "evt_01JZZZZZZZZZZZZZZZZZZZZZZZ",
				type: "identity.user.created",
				storeId: null,
				aggregateId: user.id,
				sequence: 1,
				occurredAt: new Date().toISOString(),
				requestId: null,
				payload: { userId: user.id, email: user.email },
			},
			ack() {},
			retry(options?: unknown) {
				retried.push(options);
			},
		};
		const outcomes = await consumeBatch(
			{ queue: "oja-events", messages: [message], ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>,
			{ consumer: "safe-logs-test", db: testDb(), handle: async () => [duplicateOf(user)] },
		);
		expect(outcomes).toEqual(["retried"]);
		expect(retried).toHaveLength(1);
		const logged = lines.find((l) => l.includes("queue.retry"));
		expectNoneOf([user.email, user.name, user.passwordHash, "insert into"]);
		expect(logged).toContain("23505");
	});
});
