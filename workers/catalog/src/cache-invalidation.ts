import { hostKey, listVersionKey, newVersionToken, productVersionKey, storeVersionKey } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import type { AnyTypedEnvelope } from "@oja/events";
import { and, eq } from "drizzle-orm";

// Turns catalog events into new storefront cache versions, exactly for what they affect:
// a product change → that product's page (old and new handle) and the store's listings;
// a stock change → its product's page and listings (availability labels); a collection
// change → listings; a store settings change → the store profile and everything that
// shows it (every page carries the store's name and stock display).

export interface VersionBumps {
	store: boolean;
	list: boolean;
	/** Product handles whose pages changed. */
	products: string[];
}

export async function bumpsFor(db: Database, event: AnyTypedEnvelope): Promise<VersionBumps> {
	switch (event.type) {
		case "catalog.product.created":
		case "catalog.product.deleted":
			return { store: false, list: true, products: [event.payload.handle] };
		case "catalog.product.updated":
			return {
				store: false,
				list: true,
				products: [event.payload.handle, ...(event.payload.previousHandle ? [event.payload.previousHandle] : [])],
			};
		case "catalog.collection.created":
		case "catalog.collection.updated":
		case "catalog.collection.deleted":
			return { store: false, list: true, products: [] };
		case "inventory.adjusted": {
			// The event names a variant; its product's handle is read now (a deleted variant
			// has no page left to purge, only listings).
			const [row] = await db
				.select({ handle: schema.products.handle })
				.from(schema.variants)
				.innerJoin(schema.products, eq(schema.products.id, schema.variants.productId))
				.where(and(eq(schema.variants.id, event.payload.variantId), eq(schema.variants.storeId, event.payload.storeId)));
			return { store: false, list: true, products: row ? [row.handle] : [] };
		}
		case "identity.store.updated":
			return { store: true, list: false, products: [] };
		default:
			return { store: false, list: false, products: [] };
	}
}

export async function applyBumps(kv: KVNamespace, slug: string, bumps: VersionBumps): Promise<number> {
	const keys = [
		...(bumps.store ? [storeVersionKey(slug)] : []),
		...(bumps.list ? [listVersionKey(slug)] : []),
		...bumps.products.map((h) => productVersionKey(slug, h)),
	];
	// Each key gets its own fresh token: blind writes, so concurrent consumers cannot lose a bump.
	await Promise.all(keys.map((key) => kv.put(key, newVersionToken())));
	return keys.length;
}

export async function slugOf(db: Database, storeId: string): Promise<string | undefined> {
	const [store] = await db.select({ slug: schema.stores.slug }).from(schema.stores).where(eq(schema.stores.id, storeId));
	return store?.slug;
}

/**
 * Moves custom-domain host mappings. Each host named by the event is re-read from Postgres
 * (which store owns it now), so events applied late or out of order still leave KV matching
 * the database.
 */
export async function syncHosts(db: Database, kv: KVNamespace, event: AnyTypedEnvelope): Promise<void> {
	if (event.type !== "identity.store.updated") return;
	const hosts = [event.payload.customDomain, event.payload.previousCustomDomain].filter((h): h is string => Boolean(h));
	await Promise.all(
		hosts.map(async (host) => {
			const [owner] = await db
				.select({ slug: schema.stores.slug })
				.from(schema.stores)
				.where(eq(schema.stores.customDomain, host));
			if (owner) await kv.put(hostKey(host), owner.slug);
			else await kv.delete(hostKey(host));
		}),
	);
}
