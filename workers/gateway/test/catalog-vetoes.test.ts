import { schema } from "@oja/db";
import { asMerchant as as, jsonOf, problemOf, signUpMerchant, type TestMerchant, testDb } from "@oja/test-helpers";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

// A write that changed nothing emits nothing. A concurrent delete landing between a write's
// read and its guarded statement is simulated with a trigger that silently skips the row
// (BEFORE … RETURN NULL): the guarded statement then matches no row, exactly as after a delete.

interface ProductBody {
	id: string;
	handle: string;
	variants: { id: string }[];
}

let m: TestMerchant;

beforeAll(async () => {
	m = await signUpMerchant();
	await testDb().execute(sql`
		CREATE TABLE IF NOT EXISTS test_skip_rows (id text PRIMARY KEY)`);
	await testDb().execute(sql`
		CREATE OR REPLACE FUNCTION test_skip_row() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF EXISTS (SELECT 1 FROM test_skip_rows WHERE id = OLD.id) THEN RETURN NULL; END IF;
			IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
			RETURN NEW;
		END $$`);
	for (const table of ["products", "collections"]) {
		await testDb().execute(
			sql.raw(
				`CREATE TRIGGER ${table}_test_skip BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION test_skip_row()`,
			),
		);
	}
});

async function product(title: string): Promise<ProductBody> {
	return jsonOf<ProductBody>(
		await as(m, "POST", `/v1/stores/${m.storeId}/products`, {
			title,
			status: "active",
			variants: [{ priceMinor: 1000, inventory: { onHand: 5 } }],
		}),
		201,
	);
}

async function eventsOf(aggregateId: string, type: string): Promise<number> {
	const rows = await testDb()
		.select({ id: schema.outbox.id })
		.from(schema.outbox)
		.where(and(eq(schema.outbox.aggregateId, aggregateId), eq(schema.outbox.type, type)));
	return rows.length;
}

const skip = (id: string) => testDb().execute(sql`INSERT INTO test_skip_rows (id) VALUES (${id})`);

describe("guarded catalog writes", () => {
	it("an update that matched no product commits no event", async () => {
		const p = await product("Gone Midway");
		await skip(p.id);
		await problemOf(await as(m, "PATCH", `/v1/stores/${m.storeId}/products/${p.id}`, { title: "Renamed" }), 409);
		expect(await eventsOf(p.id, "catalog.product.updated")).toBe(0);
	});

	it("a delete that matched no product commits no event", async () => {
		const p = await product("Deleted Twice");
		await skip(p.id);
		await problemOf(await as(m, "DELETE", `/v1/stores/${m.storeId}/products/${p.id}`), 409);
		expect(await eventsOf(p.id, "catalog.product.deleted")).toBe(0);
	});

	it("a product with reserved stock is not deleted (as deleteVariant refuses), and no event is written", async () => {
		const p = await product("Reserved Kaftan");
		const variantId = p.variants[0]?.id as string;
		await testDb().update(schema.inventory).set({ reserved: 2 }).where(eq(schema.inventory.variantId, variantId));
		const body = await problemOf(await as(m, "DELETE", `/v1/stores/${m.storeId}/products/${p.id}`), 409);
		expect(body.detail ?? body.title).toMatch(/reserved/);
		expect(await eventsOf(p.id, "catalog.product.deleted")).toBe(0);
		const stock = await testDb().select().from(schema.inventory).where(eq(schema.inventory.variantId, variantId));
		expect(stock[0]?.reserved).toBe(2);
		// Once nothing is reserved the delete goes through, with its event.
		await testDb().update(schema.inventory).set({ reserved: 0 }).where(eq(schema.inventory.variantId, variantId));
		expect((await as(m, "DELETE", `/v1/stores/${m.storeId}/products/${p.id}`)).status).toBe(204);
		expect(await eventsOf(p.id, "catalog.product.deleted")).toBe(1);
	});

	it("a collection update that matched no collection changes no membership and commits no event", async () => {
		const p = await product("Member");
		const collection = await jsonOf<{ id: string }>(
			await as(m, "POST", `/v1/stores/${m.storeId}/collections`, { title: "Owambe", productIds: [] }),
			201,
		);
		await skip(collection.id);
		await problemOf(
			await as(m, "PATCH", `/v1/stores/${m.storeId}/collections/${collection.id}`, { title: "Renamed", productIds: [p.id] }),
			409,
		);
		expect(await eventsOf(collection.id, "catalog.collection.updated")).toBe(0);
		const members = await testDb()
			.select()
			.from(schema.collectionProducts)
			.where(eq(schema.collectionProducts.collectionId, collection.id));
		expect(members).toEqual([]);
	});
});
