import { schema } from "@oja/db";
import { gateway, signUpMerchant as merchant, problemOf, type TestMerchant, testDb } from "@oja/test-helpers";
import { and, count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// Bulk product import through the gateway: CSV and JSON lines streamed to the catalog
// Worker, batches written whole or not at all, per-row error reports, limits, tenancy.

type Merchant = TestMerchant;

interface Report {
	format: string;
	products: { created: number; rejected: number };
	variants: { created: number; rejected: number };
	batches: { index: number; firstRow: number; lastRow: number; status: string; products: number; variants: number }[];
	errorCount: number;
	errors: { row: number; column?: string; path?: string; message: string }[];
}

interface ProductBody {
	id: string;
	handle: string;
	title: string;
	status: string;
	tags: string[];
	images: { url: string; alt: string }[];
	options: { name: string; values: string[] }[];
	variants: {
		sku: string | null;
		title: string;
		optionValues: string[];
		priceMinor: number;
		compareAtMinor: number | null;
		weightGrams: number | null;
		currency: string;
		inventory: { onHand: number; available: number };
	}[];
}

const HEADER =
	"Handle,Title,Body,Status,Tags,Image Src,Image Alt Text,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Price,Variant Compare At Price,Variant Grams,Variant Inventory Qty";

function upload(
	token: string,
	storeId: string,
	body: BodyInit,
	contentType = "text/csv",
	extraHeaders: Record<string, string> = {},
): Promise<Response> {
	return gateway(`/v1/stores/${storeId}/products/import`, {
		method: "POST",
		headers: { authorization: `Bearer ${token}`, "content-type": contentType, ...extraHeaders },
		body,
	});
}

async function reportOf(res: Response): Promise<Report> {
	const text = await res.text();
	expect(res.status, text).toBe(200);
	return JSON.parse(text) as Report;
}

/** A body that arrives in pieces (no content-length), produced on demand; counts what was pulled. */
function streamOf(lines: Iterator<string>, perChunk = 200): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
	const encoder = new TextEncoder();
	let n = 0;
	const stream = new ReadableStream<Uint8Array>({
		pull(controller) {
			let text = "";
			for (let i = 0; i < perChunk; i++) {
				const next = lines.next();
				if (next.done) {
					if (text) controller.enqueue(encoder.encode(text));
					controller.close();
					return;
				}
				n++;
				text += next.value;
			}
			controller.enqueue(encoder.encode(text));
		},
	});
	return { stream, pulled: () => n };
}

/** Products of `count` × 4 sizes as CSV lines (header first). */
function* sizedProducts(products: number, prefix: string): Generator<string> {
	yield `${HEADER}\r\n`;
	for (let p = 0; p < products; p++) {
		for (const [i, size] of ["S", "M", "L", "XL"].entries()) {
			const first = i === 0;
			yield `${prefix.toLowerCase()}-${p},${first ? `"Product ${p}, sized"` : ""},${first ? "Plain text" : ""},${first ? "active" : ""},,,,${first ? "Size" : ""},${size},,,${prefix}-${p}-${size},${p % 100}.${String(i * 25).padStart(2, "0")},,,${i}\r\n`;
		}
	}
}

async function productsOf(storeId: string) {
	return testDb().select().from(schema.products).where(eq(schema.products.storeId, storeId));
}

async function countWhere(table: typeof schema.variants | typeof schema.products, storeId: string): Promise<number> {
	const [row] = await testDb().select({ n: count() }).from(table).where(eq(table.storeId, storeId));
	return Number(row?.n ?? 0);
}

async function createdEvents(storeId: string): Promise<number> {
	const [row] = await testDb()
		.select({ n: count() })
		.from(schema.outbox)
		.where(and(eq(schema.outbox.storeId, storeId), eq(schema.outbox.type, "catalog.product.created")));
	return Number(row?.n ?? 0);
}

let a: Merchant;
let b: Merchant;

beforeAll(async () => {
	[a, b] = await Promise.all([merchant(), merchant()]);
});

describe("CSV import", () => {
	it("imports products with options, kobo prices, stock, images and events, like single create", async () => {
		const m = await merchant();
		const csv = [
			`\uFEFF${HEADER.toUpperCase()}`,
			'ankara,Ankara Wrap Dress,"Hand-finished, ""wax"" print.\nLine two.",Active,"dresses, ankara",https://cdn.example.com/a.jpg,Front,Size,S,Colour,Blue,ANK-S-B,15000.00,18000,250,3',
			"ankara,,,,,,,,M,,Blue,ANK-M-B,15000.5,,,20",
			"ankara,,,,,https://cdn.example.com/b.jpg,Back,,,,,,,,,",
			"plain-tee,Plain Tee,,,,,,Title,Default Title,,,TEE-1,0.29,,,",
		].join("\r\n");
		const report = await reportOf(await upload(m.token, m.storeId, csv, "text/csv; charset=utf-8"));
		expect(report).toEqual({
			format: "csv",
			products: { created: 2, rejected: 0 },
			variants: { created: 3, rejected: 0 },
			batches: [{ index: 0, firstRow: 2, lastRow: 5, status: "written", products: 2, variants: 3 }],
			errorCount: 0,
			errors: [],
		});

		const list = (await (
			await gateway(`/v1/stores/${m.storeId}/products`, { headers: { authorization: `Bearer ${m.token}` } })
		).json()) as { items: ProductBody[] };
		const ankara = list.items.find((p) => p.handle === "ankara") as ProductBody;
		expect(ankara).toMatchObject({
			title: "Ankara Wrap Dress",
			status: "active",
			tags: ["dresses", "ankara"],
			images: [
				{ url: "https://cdn.example.com/a.jpg", alt: "Front" },
				{ url: "https://cdn.example.com/b.jpg", alt: "Back" },
			],
			options: [
				{ name: "Size", values: ["S", "M"] },
				{ name: "Colour", values: ["Blue"] },
			],
		});
		expect(
			ankara.variants.map((v) => [
				v.sku,
				v.title,
				v.optionValues,
				v.priceMinor,
				v.compareAtMinor,
				v.weightGrams,
				v.currency,
				v.inventory.onHand,
			]),
		).toEqual([
			["ANK-S-B", "S / Blue", ["S", "Blue"], 1_500_000, 1_800_000, 250, "NGN", 3],
			["ANK-M-B", "M / Blue", ["M", "Blue"], 1_500_050, null, null, "NGN", 20],
		]);
		const tee = list.items.find((p) => p.handle === "plain-tee") as ProductBody;
		expect(tee.options).toEqual([]);
		expect(tee.status).toBe("draft");
		expect(tee.variants.map((v) => [v.title, v.priceMinor, v.inventory.onHand])).toEqual([["Default", 29, 0]]);

		// Same side effects as POST /products: one created event per product, initial-stock history.
		const events = await testDb()
			.select()
			.from(schema.outbox)
			.where(and(eq(schema.outbox.storeId, m.storeId), eq(schema.outbox.aggregateId, ankara.id)));
		expect(events.map((e) => [e.type, e.payload])).toEqual([
			["catalog.product.created", { storeId: m.storeId, productId: ankara.id, handle: "ankara" }],
		]);
		expect(await createdEvents(m.storeId)).toBe(2);
		const history = await testDb()
			.select()
			.from(schema.inventoryAdjustments)
			.where(eq(schema.inventoryAdjustments.storeId, m.storeId));
		expect(history.map((h) => [h.delta, h.reason]).sort()).toEqual([
			[20, "initial stock"],
			[3, "initial stock"],
		]);
	});

	it("writes batches whole or not at all: a bad row rejects its batch only, and the report names it", async () => {
		const m = await merchant();
		// 300 one-variant products: rows 2–101, 102–201, 202–301 are batches 0, 1, 2.
		const rows = [HEADER];
		for (let i = 0; i < 300; i++) {
			const price = i === 148 ? "12.345" : `${i}.99`;
			rows.push(`item-${i},Item ${i},,active,,,,,,,,SKU-${i},${price},,,${i % 7}`);
		}
		const report = await reportOf(await upload(m.token, m.storeId, rows.join("\n")));
		expect(report.batches.map((x) => [x.index, x.firstRow, x.lastRow, x.status, x.products])).toEqual([
			[0, 2, 101, "written", 100],
			[1, 102, 201, "rejected", 100],
			[2, 202, 301, "written", 100],
		]);
		expect(report.errors).toEqual([{ row: 150, column: "Variant Price", message: '"12.345" has more than 2 decimal places' }]);
		expect(report.products).toEqual({ created: 200, rejected: 100 });
		expect(report.variants).toEqual({ created: 200, rejected: 100 });

		const handles = new Set((await productsOf(m.storeId)).map((p) => p.handle));
		expect(handles.size).toBe(200);
		expect(handles.has("item-99")).toBe(true);
		expect(handles.has("item-100")).toBe(false); // valid, but in the rejected batch
		expect(handles.has("item-148")).toBe(false);
		expect(handles.has("item-200")).toBe(true);
		expect(await createdEvents(m.storeId)).toBe(200);
	});

	it("reports handles and SKUs already in the store (or twice in the file) as row errors", async () => {
		const m = await merchant();
		const existing = await gateway(`/v1/stores/${m.storeId}/products`, {
			method: "POST",
			headers: { authorization: `Bearer ${m.token}`, "content-type": "application/json" },
			body: JSON.stringify({ title: "Existing", handle: "existing", variants: [{ sku: "DUP-1", priceMinor: 100 }] }),
		});
		expect(existing.status).toBe(201);
		const rows = [
			HEADER,
			"fresh,Fresh,,,,,,,,,,DUP-1,1.00,,,",
			"existing,Again,,,,,,,,,,NEW-1,1.00,,,",
			"twice,Twice,,,,,,,,,,NEW-1,1.00,,,",
		];
		const report = await reportOf(await upload(m.token, m.storeId, rows.join("\n")));
		expect(report.errors).toEqual([
			{ row: 2, column: "Variant SKU", message: 'SKU "DUP-1" is already used by a variant in this store' },
			{ row: 3, column: "Handle", message: 'Handle "existing" is already used by a product in this store' },
			{ row: 4, column: "Variant SKU", message: 'SKU "NEW-1" is already used at row 3' },
		]);
		expect(report.batches.map((x) => x.status)).toEqual(["rejected"]);
		expect(await countWhere(schema.products, m.storeId)).toBe(1);
		// Another store may use the same handles and SKUs.
		const other = await merchant();
		const ok = await reportOf(await upload(other.token, other.storeId, [HEADER, "existing,E,,,,,,,,,,DUP-1,1.00,,,"].join("\n")));
		expect(ok.products.created).toBe(1);
	});

	it("turns a unique violation from a concurrent writer into a rejected batch, never a 500 or a duplicate", async () => {
		const m = await merchant();
		const rows = [HEADER];
		for (let i = 0; i < 150; i++) rows.push(`race-${i},Race ${i},,,,,,,,,,RACE-${i},1.00,,,`);
		const file = rows.join("\n");
		const reports = await Promise.all([0, 1, 2].map(() => upload(m.token, m.storeId, file).then(reportOf)));
		const written = reports.flatMap((r) => r.batches.filter((x) => x.status === "written").map((x) => x.index));
		// Each batch (rows 2–101, 102–151) is written by exactly one of the imports.
		expect(written.sort()).toEqual([0, 1]);
		for (const r of reports) {
			for (const e of r.errors) expect(e.message).toMatch(/already used|while the import ran/);
		}
		expect(await countWhere(schema.products, m.storeId)).toBe(150);
		expect(await countWhere(schema.variants, m.storeId)).toBe(150);
	});

	it("rejects a bad header, broken quoting or a non-UTF-8 file with 422 and writes nothing", async () => {
		const m = await merchant();
		const unknown = await problemOf(await upload(m.token, m.storeId, "Handle,Title,Variant Price,Vendor\nx,X,1.00,Acme\n"), 422);
		expect(unknown.errors).toEqual([{ path: "header.3", message: 'Unknown column "Vendor"', code: "unknown_column" }]);
		const missing = await problemOf(await upload(m.token, m.storeId, "Handle,Title\nx,X\n"), 422);
		expect(missing.errors?.map((e) => e.message)).toEqual(['Missing column "Variant Price"']);
		// Broken quoting at the very end: the earlier valid rows are not written either.
		const rows = [HEADER];
		for (let i = 0; i < 250; i++) rows.push(`ok-${i},OK ${i},,,,,,,,,,,1.00,,,`);
		rows.push('broken,"Unclosed,,,,,,,,,,,1.00,,,');
		const broken = await problemOf(await upload(m.token, m.storeId, rows.join("\n")), 422);
		expect(broken.errors?.[0]).toMatchObject({ path: "row.252", code: "csv_syntax" });
		const latin1 = new Uint8Array([
			...new TextEncoder().encode(`${HEADER}\nx,Caf`),
			0xe9,
			...new TextEncoder().encode(",,,,,,,,,,,1.00,,,\n"),
		]);
		await problemOf(await upload(m.token, m.storeId, latin1), 422);
		await problemOf(await upload(m.token, m.storeId, ""), 422);
		await problemOf(await upload(m.token, m.storeId, "x", "application/json"), 415);
		await problemOf(await upload(m.token, m.storeId, "x", "text/csv; charset=iso-8859-1"), 415);
		expect(await countWhere(schema.products, m.storeId)).toBe(0);
	});

	it("accepts a file above the gateway's global 1 MiB body limit", async () => {
		const m = await merchant();
		const body = "Long plain description. ".repeat(200); // ~4.8 kB
		const rows = [HEADER];
		for (let i = 0; i < 400; i++) rows.push(`big-${i},Big ${i},${body},,,,,,,,,,1.00,,,`);
		const file = rows.join("\n");
		expect(file.length).toBeGreaterThan(1024 * 1024 * 1.5);
		const report = await reportOf(await upload(m.token, m.storeId, file));
		expect(report.products.created).toBe(400);
		// Other routes keep the 1 MiB limit.
		await problemOf(
			await gateway(`/v1/stores/${m.storeId}/products`, {
				method: "POST",
				headers: { authorization: `Bearer ${m.token}`, "content-type": "application/json" },
				body: JSON.stringify({ title: "x", description: file, variants: [{ priceMinor: 1 }] }),
			}),
			413,
		);
	});
});

describe("JSON lines import", () => {
	it("imports one POST /products body per line and reports bad lines by line number and path", async () => {
		const m = await merchant();
		const lines = [
			JSON.stringify({
				title: "Kaftan",
				status: "active",
				options: [{ name: "Size", values: ["M", "L"] }],
				variants: [
					{ sku: "KAF-M", optionValues: ["M"], priceMinor: 2_000_000, inventory: { onHand: 5 } },
					{ sku: "KAF-L", optionValues: ["L"], priceMinor: 2_100_000 },
				],
			}),
			"",
			JSON.stringify({ title: "Sandals", handle: "leather-sandals", variants: [{ priceMinor: 750_000 }] }),
		];
		for (const type of ["application/x-ndjson", "application/jsonl"]) {
			const store = type === "application/jsonl" ? await merchant() : m;
			const report = await reportOf(await upload(store.token, store.storeId, `${lines.join("\r\n")}\n`, type));
			expect(report).toMatchObject({ format: "jsonl", products: { created: 2 }, variants: { created: 3 }, errors: [] });
			expect((await productsOf(store.storeId)).map((p) => p.handle).sort()).toEqual(["kaftan", "leather-sandals"]);
		}
		const stock = await testDb()
			.select()
			.from(schema.inventoryAdjustments)
			.where(eq(schema.inventoryAdjustments.storeId, m.storeId));
		expect(stock.map((s) => s.delta)).toEqual([5]);

		const bad = await reportOf(
			await upload(
				m.token,
				m.storeId,
				[
					JSON.stringify({ title: "Fine", variants: [{ priceMinor: 1 }] }),
					"{nope",
					JSON.stringify({ title: "x", variants: [{ priceMinor: 1.5 }] }),
				].join("\n"),
				"application/x-ndjson",
			),
		);
		expect(bad.errors.map((e) => [e.row, e.path ?? null])).toEqual([
			[2, null],
			[3, "variants.0.priceMinor"],
		]);
		expect(bad.batches.map((x) => x.status)).toEqual(["rejected"]);
	});
});

describe("limits", () => {
	it("imports 10,000 variants streamed in one request", async () => {
		const m = await merchant();
		const { stream } = streamOf(sizedProducts(2500, "BULK"));
		const started = Date.now();
		const report = await reportOf(await upload(m.token, m.storeId, stream));
		const ms = Date.now() - started;
		console.log(`10,000-variant import: ${ms} ms`);
		expect(report.errors).toEqual([]);
		expect(report.products).toEqual({ created: 2500, rejected: 0 });
		expect(report.variants).toEqual({ created: 10_000, rejected: 0 });
		expect(report.batches).toHaveLength(100);
		expect(await countWhere(schema.variants, m.storeId)).toBe(10_000);
		expect(await countWhere(schema.products, m.storeId)).toBe(2500);
		expect(await createdEvents(m.storeId)).toBe(2500);
	}, 180_000);

	it("refuses more than 10,000 variants with 413, stops reading and writes nothing", async () => {
		const m = await merchant();
		const { stream, pulled } = streamOf(sizedProducts(12_500, "OVER"));
		const problem = await problemOf(await upload(m.token, m.storeId, stream), 413);
		expect(problem.detail).toMatch(/at most 10000 variants/);
		expect(pulled()).toBeLessThan(20_000);
		expect(await countWhere(schema.products, m.storeId)).toBe(0);
	});

	it("refuses a body over 16 MiB as it streams, and by content-length up front", async () => {
		const m = await merchant();
		function* blankRows(): Generator<string> {
			yield `${HEADER}\n`;
			const blank = `${" ".repeat(1000)},,,,,,,,,,,,,,,\n`;
			for (let i = 0; i < 18_000; i++) yield blank; // ~18 MB of rows that hold nothing
		}
		const { stream, pulled } = streamOf(blankRows(), 50);
		await problemOf(await upload(m.token, m.storeId, stream), 413);
		expect(pulled()).toBeLessThan(18_000);
		await problemOf(await upload(m.token, m.storeId, "x", "text/csv", { "content-length": String(17 * 1024 * 1024) }), 413);
	});
});

describe("access", () => {
	it("is store-scoped: another store's merchant gets 404, no credentials 401, staff may import", async () => {
		const file = [HEADER, "tenant-test,T,,,,,,,,,,TEN-1,1.00,,,"].join("\n");
		await problemOf(await upload(b.token, a.storeId, file), 404);
		await problemOf(
			await gateway(`/v1/stores/${a.storeId}/products/import`, {
				method: "POST",
				headers: { "content-type": "text/csv" },
				body: file,
			}),
			401,
		);
		expect(await countWhere(schema.products, a.storeId)).toBe(0);

		const staff = await merchant();
		const added = await gateway(`/v1/stores/${a.storeId}/members`, {
			method: "POST",
			headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" },
			body: JSON.stringify({ email: staff.email, role: "staff" }),
		});
		expect(added.status, await added.clone().text()).toBe(201);
		const report = await reportOf(await upload(staff.token, a.storeId, file));
		expect(report.products.created).toBe(1);
		expect((await productsOf(a.storeId)).map((p) => p.handle)).toEqual(["tenant-test"]);
		expect(await countWhere(schema.products, b.storeId)).toBe(0);
	});

	it("is documented in the OpenAPI document with its report schema", async () => {
		const doc = (await (await gateway("/openapi.json")).json()) as {
			paths: Record<string, Record<string, { operationId: string; requestBody: { content: Record<string, unknown> } }>>;
		};
		const op = doc.paths["/v1/stores/{storeId}/products/import"]?.post;
		expect(op?.operationId).toBe("importProducts");
		expect(Object.keys(op?.requestBody.content ?? {})).toEqual(["text/csv", "application/x-ndjson", "application/jsonl"]);
	});
});
