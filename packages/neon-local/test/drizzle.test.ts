import { NeonDbError } from "@neondatabase/serverless";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { bigint, boolean, customType, integer, jsonb, numeric, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendCases, cleanupTempDirs, startTestServer, type TestServer } from "./helpers.ts";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

const samples = pgTable("samples", {
	id: serial("id").primaryKey(),
	big: bigint("big", { mode: "bigint" }),
	amount: numeric("amount", { precision: 20, scale: 4 }),
	at: timestamp("at", { withTimezone: true, mode: "date" }),
	doc: jsonb("doc").$type<{ a: number[]; nested: { s: string } }>(),
	tags: text("tags").array(),
	nums: integer("nums").array(),
	blob: bytea("blob"),
	flag: boolean("flag"),
	note: text("note"),
});

const accounts = pgTable("accounts", {
	id: integer("id").primaryKey(),
	email: text("email").notNull().unique(),
});

afterAll(cleanupTempDirs);

describe.each(backendCases)("drizzle-orm/neon-http ($kind)", ({ options }) => {
	let t: TestServer;
	let orm: ReturnType<typeof drizzle>;

	beforeAll(async () => {
		t = await startTestServer(await options());
		const db = await t.freshDatabase("drizzle");
		const client = t.sql(db);
		await client.transaction([
			client`CREATE TABLE samples (id serial PRIMARY KEY, big int8, amount numeric(20,4), at timestamptz,
				doc jsonb, tags text[], nums int[], blob bytea, flag bool, note text)`,
			client`CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE)`,
		]);
		orm = drizzle({ client });
	});
	afterAll(() => t?.close());

	it("round-trips int8 beyond 2^53, numeric, timestamptz, jsonb, arrays, bytea, bool and null", async () => {
		const values = {
			big: 9007199254740993n,
			amount: "12345678.0001",
			at: new Date("2023-12-31T23:59:59.999Z"),
			doc: { a: [3], nested: { s: 'drizzle "quoted" \\ é' } },
			tags: ["x", "y z", 'q"uote', "NULL", ""],
			nums: [7, -8],
			blob: Buffer.from([0, 255, 10, 92]),
			flag: false,
			note: null,
		};
		const [inserted] = await orm.insert(samples).values(values).returning();
		expect(inserted).toMatchObject(values);
		const [selected] = await orm
			.select()
			.from(samples)
			.where(eq(samples.id, inserted?.id ?? -1));
		expect(selected).toEqual(inserted);
		expect(typeof selected?.big).toBe("bigint");
	});

	it("runs db.batch() as one transaction that commits together", async () => {
		const [inserted, counted] = await orm.batch([
			orm.insert(accounts).values({ id: 1, email: "one@example.com" }).returning(),
			orm.select({ n: sql<number>`count(*)::int` }).from(accounts),
		]);
		expect(inserted).toEqual([{ id: 1, email: "one@example.com" }]);
		expect(counted).toEqual([{ n: 1 }]);
	});

	it("rolls a failing db.batch() back entirely and surfaces the NeonDbError", async () => {
		const error = await orm
			.batch([
				orm.insert(accounts).values({ id: 2, email: "two@example.com" }),
				orm.insert(accounts).values({ id: 3, email: "one@example.com" }),
			])
			.then(
				() => undefined,
				(e: unknown) => e,
			);
		// Depending on the code path drizzle may wrap the driver error; the NeonDbError is then the cause.
		const cause = error instanceof NeonDbError ? error : (error as { cause?: unknown } | undefined)?.cause;
		expect(cause).toBeInstanceOf(NeonDbError);
		expect(cause).toMatchObject({ code: "23505", constraint: "accounts_email_key" });
		expect(await orm.select().from(accounts).where(sql`id IN (2, 3)`)).toEqual([]);
	});
});
