import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendCases, cleanupTempDirs, postSql, startTestServer, type TestServer } from "./helpers.ts";

const CREATE_SAMPLES = `CREATE TABLE samples (
	id serial PRIMARY KEY, big int8, amount numeric(20,4), at timestamptz, doc jsonb,
	tags text[], nums int[], blob bytea, flag bool, note text)`;

const BIG = "9007199254740993"; // 2^53 + 1: not representable as a JS number

// drizzle-orm lives in its own file: creating a neon-http drizzle instance globally switches the
// driver's date/timestamp parsers to return strings, which would skew the plain-driver checks here.

afterAll(cleanupTempDirs);

describe.each(backendCases)("types over the Neon HTTP protocol ($kind)", ({ options }) => {
	let t: TestServer;
	let db: string;

	beforeAll(async () => {
		t = await startTestServer(await options());
		db = await t.freshDatabase("types");
		await t.sql(db).query(CREATE_SAMPLES);
		// Starting PGlite takes well over the default 10 s on a busy machine.
	}, 60_000);
	afterAll(() => t?.close());

	it("answers with Postgres text values and full field metadata, exactly as Neon does", async () => {
		const { status, json } = await postSql(t.server, db, {
			query: `SELECT $1::int8 AS i8, 12345.6789::numeric AS num, '2024-01-02 03:04:05.678+00'::timestamptz AS ts,
				'{"b":"x","a":[1,2]}'::jsonb AS doc, ARRAY['a','b c',NULL,'d"e'] AS tags, ARRAY[1,2,3] AS nums,
				'\\xdeadbeef'::bytea AS bin, true AS yes, false AS no, NULL::text AS nothing`,
			params: [BIG],
		});
		expect(status).toBe(200);
		expect(json).toMatchObject({ command: "SELECT", rowCount: 1, rowAsArray: true });
		const { rows, fields } = json as { rows: unknown[][]; fields: Record<string, unknown>[] };
		expect(rows).toHaveLength(1);
		const [i8, num, ts, doc, tags, nums, bin, yes, no, nothing] = rows[0] ?? [];
		expect(i8).toBe(BIG);
		expect(num).toBe("12345.6789");
		expect(ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:05\.678[+-]\d\d(:\d\d)?$/);
		expect(doc).toBe('{"a": [1, 2], "b": "x"}');
		expect(tags).toBe('{a,"b c",NULL,"d\\"e"}');
		expect(nums).toBe("{1,2,3}");
		expect(bin).toBe("\\xdeadbeef");
		expect([yes, no, nothing]).toEqual(["t", "f", null]);
		expect(fields.map((f) => [f.name, f.dataTypeID])).toEqual([
			["i8", 20],
			["num", 1700],
			["ts", 1184],
			["doc", 3802],
			["tags", 1009],
			["nums", 1007],
			["bin", 17],
			["yes", 16],
			["no", 16],
			["nothing", 25],
		]);
		expect(fields[0]).toEqual({
			name: "i8",
			tableID: 0,
			columnID: 0,
			dataTypeID: 20,
			dataTypeSize: 8,
			dataTypeModifier: -1,
			format: "text",
		});
	});

	it("reports table and column ids for real columns", async () => {
		const { json } = await postSql(t.server, db, { query: "SELECT id, note FROM samples" });
		const { fields } = json as { fields: { tableID: number; columnID: number; dataTypeID: number }[] };
		expect(fields[0]?.tableID).toBeGreaterThan(0);
		expect(fields.map((f) => [f.columnID, f.dataTypeID])).toEqual([
			[1, 23],
			[10, 25],
		]);
	});

	it("round-trips every type through the real neon() driver", async () => {
		const sql = t.sql(db);
		const at = new Date("2024-05-06T07:08:09.123Z");
		const doc = { a: [1, 2], nested: { s: 'é "quoted" \\ slash' } };
		const tags = ["plain", "with space", 'with "quote"', "with,comma", null, "NULL", ""];
		const blob = Buffer.from([0, 1, 2, 253, 254, 255]);
		const [inserted] = await sql`
			INSERT INTO samples (big, amount, at, doc, tags, nums, blob, flag, note)
			VALUES (${BIG}, ${"98765.4321"}, ${at}, ${JSON.stringify(doc)}, ${tags}, ${[1, -2, 3]}, ${blob}, ${true}, ${null})
			RETURNING *`;
		expect(inserted).toMatchObject({
			big: BIG,
			amount: "98765.4321",
			at,
			doc,
			tags,
			nums: [1, -2, 3],
			blob,
			flag: true,
			note: null,
		});
		const [row] = await sql`SELECT big + 1 AS next, flag, NOT flag AS negated FROM samples WHERE id = ${inserted?.id}`;
		expect(row).toEqual({ next: "9007199254740994", flag: true, negated: false });
	});

	it("supports arrayMode and fullResults like the hosted service", async () => {
		const sql = t.sql(db);
		const rows = await sql.query("SELECT 1::int AS a, 'x' AS b", [], { arrayMode: true });
		expect(rows).toEqual([[1, "x"]]);
		const full = await sql.query("SELECT generate_series(1, 3) AS n", [], { fullResults: true });
		expect(full).toMatchObject({ command: "SELECT", rowCount: 3, rows: [{ n: 1 }, { n: 2 }, { n: 3 }] });
		expect(full.fields[0]).toMatchObject({ name: "n", dataTypeID: 23 });
	});

	it("reports command tags and row counts for DDL and DML", async () => {
		const sql = t.sql(db);
		const create = await sql.query("CREATE TABLE tags_demo (id int PRIMARY KEY)", [], { fullResults: true });
		expect(create).toMatchObject({ command: "CREATE", rowCount: null, rows: [], fields: [] });
		const insert = await sql.query("INSERT INTO tags_demo VALUES (1), (2), (3)", [], { fullResults: true });
		expect(insert).toMatchObject({ command: "INSERT", rowCount: 3 });
		const update = await sql.query("UPDATE tags_demo SET id = id + 10 WHERE id > $1", [1], { fullResults: true });
		expect(update).toMatchObject({ command: "UPDATE", rowCount: 2 });
	});

	it("converts values to JSON types when raw text output is not requested", async () => {
		const { json } = await postSql(
			t.server,
			db,
			{
				query: `SELECT true AS b, 42::int4 AS i, 'NaN'::float8 AS f, 2.5::float8 AS g, 9007199254740993::int8 AS big,
					'{"k":[1]}'::jsonb AS j, ARRAY[1,NULL,3] AS arr, ARRAY['a b','c'] AS strs`,
			},
			{ "Neon-Raw-Text-Output": "false", "Neon-Array-Mode": "false" },
		);
		expect(json).toMatchObject({
			rowAsArray: false,
			rows: [{ b: true, i: 42, f: "NaN", g: 2.5, big: BIG, j: { k: [1] }, arr: [1, null, 3], strs: ["a b", "c"] }],
		});
	});

	it("accepts non-string JSON parameters the way Neon's proxy converts them", async () => {
		const { json } = await postSql(t.server, db, {
			query: "SELECT $1::int AS n, $2::bool AS b, $3::jsonb AS j, $4::text[] AS a",
			params: [42, true, { x: 1 }, ["p", null, 'q"r']],
		});
		expect((json as { rows: unknown[] }).rows).toEqual([["42", "t", '{"x": 1}', '{p,NULL,"q\\"r"}']]);
	});
});
