import {
	type CustomDomain,
	challengeRecordName,
	challengeRecordValue,
	isPlatformHost,
	ProblemError,
	problem,
	type RequestContext,
	type StoreAccess,
} from "@oja/contracts";
import { type Database, isUniqueViolation, pgErrorCode, schema } from "@oja/db";
import { DnsLookupError, type TxtResolver } from "@oja/dns";
import { appendEvent } from "@oja/events";
import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";

// Custom-domain ownership. Setting a domain only claims it (status pending, never served);
// the store proves control by publishing `_oja-challenge.<domain>` TXT `oja-verify=<token>`
// with a token made for that store and that claim. Only a verified domain is mapped to the
// store (catalog's consumer writes the KV mapping on the event), and the sweep below
// unmaps it once the record disappears.
//
// Claims are not exclusive: several stores may hold the same domain pending, since a claim
// proves nothing. At most one store holds it verified (a partial unique index). A store
// that proves ownership takes the domain over from the verified holder only when the
// holder's own record is gone: whoever controls the DNS decides, so a store whose owner
// lost the domain cannot keep it, and nobody can take it without the DNS.

type StoreDomainRow = Pick<
	typeof schema.stores.$inferSelect,
	"customDomain" | "customDomainStatus" | "customDomainToken" | "customDomainVerifiedAt" | "customDomainCheckedAt"
>;

/** The API's view of a store's domain (null when none is set). */
export function customDomainView(store: StoreDomainRow): CustomDomain | null {
	if (!store.customDomain || !store.customDomainStatus || !store.customDomainToken) return null;
	return {
		name: store.customDomain,
		status: store.customDomainStatus,
		verification: {
			type: "TXT",
			name: challengeRecordName(store.customDomain),
			value: challengeRecordValue(store.customDomainToken),
		},
		verifiedAt: store.customDomainVerifiedAt?.toISOString() ?? null,
		checkedAt: store.customDomainCheckedAt?.toISOString() ?? null,
	};
}

function newToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function refusePlatformHost(domain: string, platformHosts: readonly string[]): void {
	if (!isPlatformHost(domain, platformHosts)) return;
	throw new ProblemError(
		problem("validation-failed", "That domain belongs to Oja; use a domain you own.", {
			errors: [{ path: "customDomain", message: "Oja's own domains and their subdomains cannot be claimed", code: "reserved" }],
		}),
	);
}

/**
 * The column changes for a new customDomain value. The same domain again keeps its token and
 * status (re-saving settings must not unverify a live domain); a different one is a new
 * claim with a new token, pending until proven.
 */
export function domainChanges(
	current: string | null | undefined,
	next: string | null,
	platformHosts: readonly string[],
): Partial<typeof schema.stores.$inferInsert> {
	if (next === null) {
		return {
			customDomain: null,
			customDomainStatus: null,
			customDomainToken: null,
			customDomainVerifiedAt: null,
			customDomainCheckedAt: null,
		};
	}
	refusePlatformHost(next, platformHosts);
	if (next === current) return {};
	return {
		customDomain: next,
		customDomainStatus: "pending",
		customDomainToken: newToken(),
		customDomainVerifiedAt: null,
		customDomainCheckedAt: null,
	};
}

async function lookup(resolver: TxtResolver, domain: string): Promise<string[]> {
	try {
		return await resolver.txt(challengeRecordName(domain));
	} catch (error) {
		if (error instanceof DnsLookupError) {
			throw new ProblemError(
				problem("service-unavailable", "DNS could not be checked just now; try again in a minute.", {
					extensions: { code: error.code },
				}),
			);
		}
		throw error;
	}
}

const ids = (result: { rows: unknown[] }) => result.rows.map((r) => String((r as { id: unknown }).id));

/** Marks a verified domain failed (unmapped), only if it is still that store's verified claim. */
function demote(db: Database, storeId: string, domain: string, token: string) {
	return db.execute(sql`
		WITH upd AS (
			UPDATE stores SET custom_domain_status = 'failed', custom_domain_checked_at = now(), updated_at = now()
			WHERE id = ${storeId} AND custom_domain = ${domain} AND custom_domain_token = ${token}
				AND custom_domain_status = 'verified'
			RETURNING id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM upd), 'domain-changed')`);
}

function domainEvent(db: Database, storeId: string, domain: string, status: "verified" | "failed", requestId: string | null) {
	return appendEvent(
		db,
		{
			type: "identity.store.updated",
			storeId,
			aggregateId: storeId,
			// Catalog's consumer re-reads who holds `domain` verified and moves the mapping.
			payload: { storeId, changed: ["domain"], customDomain: domain, domainStatus: status },
		},
		requestId,
	);
}

const changedMeanwhile = () =>
	new ProblemError(problem("conflict", "The store's domain changed while it was being verified; try again."));

/** Checks the store's TXT record now; on proof the domain is verified and mapped. */
export async function verifyCustomDomain(
	db: Database,
	resolver: TxtResolver,
	access: StoreAccess,
	platformHosts: readonly string[],
	ctx: RequestContext,
): Promise<{ domain: CustomDomain; eventIds: string[] }> {
	const read = async () => {
		const [store] = await db.select().from(schema.stores).where(eq(schema.stores.id, access.storeId));
		if (!store) throw new ProblemError(problem("not-found", "No such store."));
		return store;
	};
	const store = await read();
	const domain = store.customDomain;
	const token = store.customDomainToken;
	if (!domain || !token) {
		throw new ProblemError(problem("not-found", "This store has no custom domain; set customDomain first."));
	}
	refusePlatformHost(domain, platformHosts);
	const records = await lookup(resolver, domain);
	const expected = challengeRecordValue(token);
	if (!records.includes(expected)) {
		throw new ProblemError(
			problem("validation-failed", `No TXT record ${challengeRecordName(domain)} with the value ${expected} was found.`, {
				errors: [{ path: "customDomain", message: "Ownership not proven: the TXT record is missing", code: "unverified" }],
			}),
		);
	}

	if (store.customDomainStatus === "verified") {
		await db
			.update(schema.stores)
			.set({ customDomainCheckedAt: sql`now()` })
			.where(and(eq(schema.stores.id, access.storeId), eq(schema.stores.customDomainToken, token)));
		const view = customDomainView(await read());
		if (!view) throw changedMeanwhile();
		return { domain: view, eventIds: [] };
	}

	const [holder] = await db
		.select({ id: schema.stores.id, token: schema.stores.customDomainToken })
		.from(schema.stores)
		.where(and(eq(schema.stores.customDomain, domain), eq(schema.stores.customDomainStatus, "verified")));
	if (holder?.token && records.includes(challengeRecordValue(holder.token))) {
		throw new ProblemError(
			problem(
				"conflict",
				"Another store has proven control of this domain and its TXT record is still published; remove that store's oja-verify record first.",
				{ errors: [{ path: "customDomain", message: "Verified by another store", code: "taken" }] },
			),
		);
	}

	const promote = db.execute(sql`
		WITH upd AS (
			UPDATE stores SET custom_domain_status = 'verified', custom_domain_verified_at = now(),
				custom_domain_checked_at = now(), updated_at = now()
			WHERE id = ${access.storeId} AND custom_domain = ${domain} AND custom_domain_token = ${token}
			RETURNING id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM upd), 'domain-changed')`);
	let eventIds: string[];
	try {
		if (holder?.token) {
			// The previous holder's proof is gone: it loses the domain in the same transaction.
			const [, , lost, won] = await db.batch([
				demote(db, holder.id, domain, holder.token),
				promote,
				domainEvent(db, holder.id, domain, "failed", ctx.requestId),
				domainEvent(db, access.storeId, domain, "verified", ctx.requestId),
			]);
			eventIds = [...ids(lost), ...ids(won)];
		} else {
			const [, won] = await db.batch([promote, domainEvent(db, access.storeId, domain, "verified", ctx.requestId)]);
			eventIds = ids(won);
		}
	} catch (error) {
		throw mapVerifyError(error);
	}
	const view = customDomainView(await read());
	if (!view) throw changedMeanwhile();
	return { domain: view, eventIds };
}

function mapVerifyError(error: unknown): unknown {
	if (pgErrorCode(error) === "P0001") return changedMeanwhile();
	if (isUniqueViolation(error, "stores_verified_custom_domain_key")) {
		return new ProblemError(
			problem("conflict", "Another store verified this domain at the same moment; try again.", {
				errors: [{ path: "customDomain", message: "Verified by another store", code: "taken" }],
			}),
		);
	}
	return error;
}

export interface RecheckOptions {
	platformHosts: readonly string[];
	/** Re-check a verified domain once its last check is at least this old. */
	recheckSeconds: number;
	/** Domains per run: bounds one cron invocation's DNS lookups and subrequests. */
	limit: number;
	log?: (line: Record<string, unknown>) => void;
}

/**
 * The periodic re-verification: each verified domain due for a check has its TXT record
 * looked up again; when the record is gone (or the domain became a platform host) the
 * domain is marked failed and an event unmaps it. An unknown answer (resolver down) leaves
 * the domain served and is retried next interval: an outage of the resolver must not take
 * every merchant's storefront offline.
 */
export async function recheckCustomDomains(
	db: Database,
	resolver: TxtResolver,
	options: RecheckOptions,
): Promise<{ checked: number; failed: number; unknown: number; eventIds: string[] }> {
	const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
	const due = await db
		.select({ id: schema.stores.id, domain: schema.stores.customDomain, token: schema.stores.customDomainToken })
		.from(schema.stores)
		.where(
			and(
				eq(schema.stores.customDomainStatus, "verified"),
				or(
					isNull(schema.stores.customDomainCheckedAt),
					lte(schema.stores.customDomainCheckedAt, sql`now() - make_interval(secs => ${options.recheckSeconds})`),
				),
			),
		)
		.orderBy(sql`${schema.stores.customDomainCheckedAt} NULLS FIRST`, asc(schema.stores.id))
		.limit(options.limit);
	const result = { checked: 0, failed: 0, unknown: 0, eventIds: [] as string[] };
	for (const row of due) {
		if (!row.domain || !row.token) continue;
		result.checked++;
		let proven: boolean;
		try {
			proven =
				!isPlatformHost(row.domain, options.platformHosts) &&
				(await resolver.txt(challengeRecordName(row.domain))).includes(challengeRecordValue(row.token));
		} catch (error) {
			if (!(error instanceof DnsLookupError)) throw error;
			result.unknown++;
			log({ level: "warn", msg: "domain.recheck.unknown", storeId: row.id, code: error.code });
			continue;
		}
		if (proven) {
			await db
				.update(schema.stores)
				.set({ customDomainCheckedAt: sql`now()` })
				.where(
					and(
						eq(schema.stores.id, row.id),
						eq(schema.stores.customDomainToken, row.token),
						eq(schema.stores.customDomainStatus, "verified"),
					),
				);
			continue;
		}
		try {
			const [, event] = await db.batch([
				demote(db, row.id, row.domain, row.token),
				domainEvent(db, row.id, row.domain, "failed", null),
			]);
			result.failed++;
			result.eventIds.push(...ids(event));
			log({ level: "info", msg: "domain.recheck.failed", storeId: row.id });
		} catch (error) {
			// Changed since it was read (removed, replaced, re-verified): nothing to unmap here.
			if (pgErrorCode(error) !== "P0001") throw error;
		}
	}
	return result;
}
