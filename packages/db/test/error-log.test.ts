import { PGlite } from "@electric-sql/pglite";
import { errorLogRecord, errorSummary } from "@oja/contracts";
import { DrizzleQueryError, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../src/schema/identity.ts";

// What a failing write leaves in a log line: a real DrizzleQueryError (its message holds the
// statement's parameters) turned into a log record must carry none of them.

const client = new PGlite();
const db = drizzle(client);
const secret = {
	id: "usr_1",
	email: "ada.obi@example.com",
	name: "Ada Obi",
	passwordHash: "$argon2id$v=19$m=19456$c2FsdA$aGFzaA",
};

beforeAll(async () => {
	await db.execute(
		sql`CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL, name text NOT NULL, password_hash text NOT NULL,
			created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
	);
	await db.execute(sql`CREATE UNIQUE INDEX users_email_key ON users (email)`);
	await db.insert(users).values(secret);
}, 60_000);
afterAll(() => client.close());

async function failingWrite(): Promise<unknown> {
	try {
		await db.insert(users).values({ ...secret, id: "usr_2" });
	} catch (error) {
		return error;
	}
	throw new Error("the write should have failed");
}

describe("errorLogRecord", () => {
	it("keeps the error's name, SQLSTATE and constraint, and none of the statement's parameters", async () => {
		const error = await failingWrite();
		expect(error).toBeInstanceOf(DrizzleQueryError);
		// The raw error does carry them, which is why its message must never be logged.
		expect(String((error as Error).message)).toContain(secret.email);
		expect(String((error as Error).stack)).toContain(secret.email);

		const record = errorLogRecord(error);
		expect(record.name).toBe("DrizzleQueryError");
		expect(record.cause).toMatchObject({ code: "23505", constraint: "users_email_key", table: "users" });
		expect(record.frames?.length).toBeGreaterThan(0);
		const logged = JSON.stringify({ level: "error", error: record, reason: errorSummary(error) });
		for (const value of Object.values(secret).filter((v) => v !== "usr_1")) expect(logged).not.toContain(value);
		expect(logged).not.toMatch(/ada|argon|insert into/i);
		expect(errorSummary(error)).toBe("DrizzleQueryError ← error 23505 users_email_key");
	});

	it("never copies free text from any field, however the error is shaped", () => {
		const odd = Object.assign(new Error("leak@example.com"), {
			code: "leak@example.com is not a code",
			constraint: "x'); DROP TABLE users; --",
			detail: "Key (email)=(leak@example.com) already exists.",
			cause: "leak@example.com",
		});
		const logged = JSON.stringify(errorLogRecord(odd));
		expect(logged).not.toContain("leak");
		expect(logged).not.toContain("DROP");
		expect(errorLogRecord("leak@example.com")).toEqual({ name: "string" });
	});
});
