import {
	errorSummary,
	hostKey,
	listVersionKey,
	navVersionKey,
	newVersionToken,
	productVersionKey,
	storeVersionKey,
} from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { type AnyTypedEnvelope, backoffSeconds, parseEnvelope, type RetryPolicy } from "@oja/events";
import { and, eq } from "drizzle-orm";

// Turns catalog events into new storefront cache versions, exactly for what they affect:
// a product change → that product's page (old and new handle) and the store's listings;
// a stock change → its product's page and listings (availability labels); a reservation or
// release → only where an availability label changed; a collection
// change → listings; a store settings change → the store profile and everything that
// shows it (every page carries the store's name and stock display).

export interface VersionBumps {
	store: boolean;
	list: boolean;
	/** The collections navigation shown on every page. */
	nav?: boolean;
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
			return { store: false, list: true, nav: true, products: [] };
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
		case "inventory.reserved":
		case "inventory.released": {
			// Checkouts, expiries and cancellations: the producer computed, in the same transaction,
			// which variants' labels a shopper sees actually changed. During a sale most orders
			// change none, and then no cached listing anywhere is invalidated.
			const handles = [...new Set(event.payload.crossed.map((c) => c.handle))];
			return { store: false, list: handles.length > 0, products: handles };
		}
		case "identity.store.updated":
			return { store: true, list: false, products: [] };
		default:
			return { store: false, list: false, products: [] };
	}
}

/** The KV keys a set of bumps writes, for one store. */
export function keysFor(slug: string, bumps: VersionBumps): string[] {
	return [
		...(bumps.store ? [storeVersionKey(slug)] : []),
		...(bumps.list ? [listVersionKey(slug)] : []),
		...(bumps.nav ? [navVersionKey(slug)] : []),
		...bumps.products.map((h) => productVersionKey(slug, h)),
	];
}

/**
 * Applies a whole queue batch at once: every key the batch's events touch gets ONE fresh
 * token, however many events named it. KV accepts about one write per second per key, so a
 * 1,000-product import (1,000 events) must become one listing write per batch, not 1,000.
 * Each key gets its own token with a blind write, so concurrent batches cannot lose a bump.
 * If anything fails, the messages not yet settled are retried with backoff (and after
 * max_retries go to the DLQ); repeating a write only invalidates again.
 */
export async function invalidateBatch(
	batch: MessageBatch<unknown>,
	deps: { db: Database; kv: KVNamespace; retry: RetryPolicy; log?: (line: Record<string, unknown>) => void },
): Promise<{ keys: number; events: number }> {
	const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
	const valid: { message: Message<unknown>; event: AnyTypedEnvelope }[] = [];
	for (const message of batch.messages) {
		const parsed = parseEnvelope(message.body);
		if (parsed.ok) valid.push({ message, event: parsed.event });
		else {
			log({ level: "warn", msg: "queue.retry", queue: batch.queue, messageId: message.id, reason: parsed.reason });
			message.retry({ delaySeconds: backoffSeconds(message.attempts, deps.retry) });
		}
	}
	try {
		const slugs = new Map<string, string | undefined>();
		const keys = new Set<string>();
		for (const { event } of valid) {
			if (!event.storeId) continue;
			const bumps = await bumpsFor(deps.db, event);
			// Nothing a shopper sees changed (e.g. a release that moved no label): no slug lookup either.
			if (!bumps.store && !bumps.list && !bumps.nav && bumps.products.length === 0) continue;
			if (!slugs.has(event.storeId)) slugs.set(event.storeId, await slugOf(deps.db, event.storeId));
			const slug = slugs.get(event.storeId);
			// A deleted store has no storefront left to serve stale.
			if (slug) for (const key of keysFor(slug, bumps)) keys.add(key);
		}
		await Promise.all([...keys].map((key) => deps.kv.put(key, newVersionToken())));
		for (const { event } of valid) await syncHosts(deps.db, deps.kv, event);
		for (const { message } of valid) message.ack();
		return { keys: keys.size, events: valid.length };
	} catch (error) {
		for (const { message } of valid) {
			const delaySeconds = backoffSeconds(message.attempts, deps.retry);
			log({
				level: "warn",
				msg: "queue.retry",
				queue: batch.queue,
				messageId: message.id,
				attempt: message.attempts,
				delaySeconds,
				reason: errorSummary(error),
			});
			message.retry({ delaySeconds });
		}
		return { keys: 0, events: 0 };
	}
}

export async function slugOf(db: Database, storeId: string): Promise<string | undefined> {
	const [store] = await db.select({ slug: schema.stores.slug }).from(schema.stores).where(eq(schema.stores.id, storeId));
	return store?.slug;
}

/**
 * Moves custom-domain host mappings. Each host named by the event is re-read from Postgres
 * (which store holds it verified now), so events applied late or out of order still leave KV
 * matching the database. A pending or failed claim is never mapped: only a store that proved
 * control of the domain (identity's TXT check) is served there.
 */
export async function syncHosts(db: Database, kv: KVNamespace, event: AnyTypedEnvelope): Promise<void> {
	if (event.type !== "identity.store.updated") return;
	const hosts = [event.payload.customDomain, event.payload.previousCustomDomain].filter((h): h is string => Boolean(h));
	await Promise.all(
		hosts.map(async (host) => {
			const [owner] = await db
				.select({ slug: schema.stores.slug })
				.from(schema.stores)
				.where(and(eq(schema.stores.customDomain, host), eq(schema.stores.customDomainStatus, "verified")));
			if (owner) await kv.put(hostKey(host), owner.slug);
			else await kv.delete(hostKey(host));
		}),
	);
}
