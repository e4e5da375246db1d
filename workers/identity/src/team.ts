import { canAssign } from "@oja/auth";
import type { AddMemberInput, Member, RequestContext, StoreAccess, StoreDetails, UpdateStoreInput } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, isUniqueViolation, pgErrorCode, schema } from "@oja/db";
import { appendEvent } from "@oja/events";
import { and, eq, sql } from "drizzle-orm";
import { requirePerson, storeAudit } from "./access.ts";
import { customDomainView, domainChanges } from "./domains.ts";

// Every query here filters by the store id from the verified StoreAccess, never by one the
// client sent: the gateway resolved it from the route and the caller's membership.

export async function getStore(db: Database, access: StoreAccess): Promise<StoreDetails> {
	const [store] = await db.select().from(schema.stores).where(eq(schema.stores.id, access.storeId));
	if (!store) throw new ProblemError(problem("not-found", "No such store."));
	return {
		id: store.id,
		slug: store.slug,
		name: store.name,
		currency: store.currency as StoreDetails["currency"],
		createdAt: store.createdAt.toISOString(),
		role: access.role,
		contact: { email: store.contactEmail, phone: store.contactPhone },
		showStockCounts: store.showStockCounts,
		customDomain: store.customDomain,
		domain: customDomainView(store),
	};
}

export async function updateStore(
	db: Database,
	access: StoreAccess,
	input: UpdateStoreInput,
	ctx: RequestContext,
	platformHosts: readonly string[],
) {
	const previous =
		input.customDomain !== undefined
			? (
					await db
						.select({ customDomain: schema.stores.customDomain })
						.from(schema.stores)
						.where(eq(schema.stores.id, access.storeId))
				)[0]
			: undefined;
	const changes = {
		...(input.name !== undefined ? { name: input.name } : {}),
		...(input.contact?.email !== undefined ? { contactEmail: input.contact.email } : {}),
		...(input.contact?.phone !== undefined ? { contactPhone: input.contact.phone } : {}),
		...(input.showStockCounts !== undefined ? { showStockCounts: input.showStockCounts } : {}),
		// A new domain is only claimed here (pending, with a fresh TXT token); see domains.ts.
		...(input.customDomain !== undefined ? domainChanges(previous?.customDomain, input.customDomain, platformHosts) : {}),
	};
	const write = db.batch([
		db
			.update(schema.stores)
			.set({ ...changes, updatedAt: sql`now()` })
			.where(eq(schema.stores.id, access.storeId)),
		appendEvent(
			db,
			{
				type: "identity.store.updated",
				storeId: access.storeId,
				aggregateId: access.storeId,
				payload: {
					storeId: access.storeId,
					changed: Object.keys(changes).filter((k) => !k.startsWith("customDomain") || k === "customDomain"),
					...(input.customDomain !== undefined
						? { customDomain: input.customDomain, previousCustomDomain: previous?.customDomain ?? null }
						: {}),
				},
			},
			ctx.requestId,
		),
	]);
	const [, event] = await write;
	return { store: await getStore(db, access), eventIds: event.rows.map((r) => String((r as { id: unknown }).id)) };
}

export async function listMembers(db: Database, access: StoreAccess): Promise<Member[]> {
	const rows = await db
		.select({
			userId: schema.users.id,
			email: schema.users.email,
			name: schema.users.name,
			role: schema.memberships.role,
			createdAt: schema.memberships.createdAt,
		})
		.from(schema.memberships)
		.innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
		.where(eq(schema.memberships.storeId, access.storeId))
		.orderBy(schema.memberships.createdAt);
	return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

function forbidRole(access: StoreAccess, role: string): ProblemError {
	return new ProblemError(problem("forbidden", `An ${access.role} cannot grant or remove the ${role} role.`));
}

/** Adds an existing Oja user to the store. (Invitations by email come with messaging.) */
export async function addMember(db: Database, access: StoreAccess, input: AddMemberInput, ctx: RequestContext) {
	requirePerson(access);
	if (!canAssign(access.role, input.role)) throw forbidRole(access, input.role);
	const [user] = await db.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, input.email));
	if (!user) {
		throw new ProblemError(
			problem("not-found", "No Oja account uses that email; ask them to sign up first.", {
				errors: [{ path: "email", message: "No such account", code: "unknown" }],
			}),
		);
	}
	try {
		const [, event] = await db.batch([
			db.insert(schema.memberships).values({ storeId: access.storeId, userId: user.id, role: input.role }),
			appendEvent(
				db,
				{
					type: "identity.member.added",
					storeId: access.storeId,
					aggregateId: access.storeId,
					payload: { storeId: access.storeId, userId: user.id, role: input.role, by: access.userId },
				},
				ctx.requestId,
			),
			db.insert(schema.storeAuditLog).values(
				storeAudit(access, ctx.requestId, {
					action: "member.added",
					targetType: "member",
					targetId: user.id,
					details: { role: input.role },
				}),
			),
		]);
		const members = await listMembers(db, access);
		const member = members.find((m) => m.userId === user.id) as Member;
		return { member, eventIds: event.rows.map((r) => String((r as { id: unknown }).id)) };
	} catch (error) {
		if (isUniqueViolation(error, "memberships_pkey")) {
			throw new ProblemError(problem("conflict", "That person is already a member of this store."));
		}
		throw error;
	}
}

export async function removeMember(db: Database, access: StoreAccess, userId: string, ctx: RequestContext) {
	requirePerson(access);
	const [target] = await db
		.select({ role: schema.memberships.role })
		.from(schema.memberships)
		.where(and(eq(schema.memberships.storeId, access.storeId), eq(schema.memberships.userId, userId)));
	if (!target) throw new ProblemError(problem("not-found", "No such member."));
	if (!canAssign(access.role, target.role)) throw forbidRole(access, target.role);
	// The role check above means only owners remove owners, and an owner can never be
	// removed by someone below; the last owner cannot remove themselves through this path
	// because canAssign(owner, owner) is false. The delete re-checks the role it saw, and
	// vetoes the batch (event and audit row included) if it removed nothing, e.g. after a
	// concurrent removal.
	const remove = db.execute(sql`
		WITH gone AS (
			DELETE FROM memberships
			WHERE store_id = ${access.storeId} AND user_id = ${userId} AND role = ${target.role}
			RETURNING user_id
		)
		SELECT oja_assert(EXISTS (SELECT 1 FROM gone), 'member-not-removed')`);
	try {
		const [, event] = await db.batch([
			remove,
			appendEvent(
				db,
				{
					type: "identity.member.removed",
					storeId: access.storeId,
					aggregateId: access.storeId,
					payload: { storeId: access.storeId, userId, by: access.userId },
				},
				ctx.requestId,
			),
			db.insert(schema.storeAuditLog).values(
				storeAudit(access, ctx.requestId, {
					action: "member.removed",
					targetType: "member",
					targetId: userId,
					details: { role: target.role },
				}),
			),
		]);
		return { eventIds: event.rows.map((r) => String((r as { id: unknown }).id)) };
	} catch (error) {
		if (pgErrorCode(error) === "P0001") throw new ProblemError(problem("not-found", "No such member."));
		throw error;
	}
}
