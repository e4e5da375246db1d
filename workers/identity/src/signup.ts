import { hashPassword } from "@oja/auth";
import {
	type ClientMeta,
	type IssuedTokens,
	ProblemError,
	problem,
	type RequestContext,
	type SignupInput,
	type SignupResult,
} from "@oja/contracts";
import { type Database, isUniqueViolation, newId, schema } from "@oja/db";
import { appendEvent } from "@oja/events";
import { type AuthConfig, issueTokens, newSession } from "./sessions.ts";

/**
 * Creates the merchant's user, their store and the owner membership in one batch
 * transaction, with the `identity.*.created` events in the outbox of that same transaction.
 * Returns the ids of the events so the caller can relay them right away.
 */
export async function signup(
	db: Database,
	auth: AuthConfig,
	input: SignupInput,
	ctx: RequestContext,
	meta: ClientMeta,
): Promise<{ result: SignupResult; tokens: IssuedTokens; eventIds: string[] }> {
	const userId = newId("user");
	const storeId = newId("store");
	const passwordHash = await hashPassword(input.password);
	const now = new Date();
	const session = await newSession(db, userId, "merchant", meta, now);

	try {
		const [, , , userEvent, storeEvent] = await db.batch([
			db
				.insert(schema.users)
				.values({ id: userId, email: input.email, name: input.name, passwordHash, createdAt: now, updatedAt: now }),
			db.insert(schema.stores).values({
				id: storeId,
				slug: input.storeSlug,
				name: input.storeName,
				currency: input.currency,
				createdAt: now,
				updatedAt: now,
			}),
			db.insert(schema.memberships).values({ storeId, userId, role: "owner", createdAt: now }),
			appendEvent(
				db,
				{ type: "identity.user.created", storeId: null, aggregateId: userId, payload: { userId, email: input.email } },
				ctx.requestId,
			),
			appendEvent(
				db,
				{
					type: "identity.store.created",
					storeId,
					aggregateId: storeId,
					payload: { storeId, slug: input.storeSlug, name: input.storeName, currency: input.currency, ownerUserId: userId },
				},
				ctx.requestId,
			),
			...session.statements,
			// The store's first membership is audited like every later one.
			db.insert(schema.storeAuditLog).values({
				id: newId("storeAudit"),
				storeId,
				actorUserId: userId,
				actorSessionId: session.sessionId,
				action: "member.added",
				targetType: "member",
				targetId: userId,
				details: { role: "owner", via: "signup" },
				requestId: ctx.requestId,
			}),
		]);
		const eventIds = [...userEvent.rows, ...storeEvent.rows].map((r) => String((r as { id: unknown }).id));
		const tokens = await issueTokens(auth, session, userId, "merchant");
		return {
			result: {
				user: { id: userId, email: input.email, name: input.name, createdAt: now.toISOString() },
				store: {
					id: storeId,
					slug: input.storeSlug,
					name: input.storeName,
					currency: input.currency,
					createdAt: now.toISOString(),
				},
				accessToken: tokens.accessToken,
			},
			tokens,
			eventIds,
		};
	} catch (error) {
		if (isUniqueViolation(error, "users_email_key")) {
			throw new ProblemError(
				problem("conflict", "An account with this email already exists.", {
					errors: [{ path: "email", message: "Already registered", code: "taken" }],
				}),
			);
		}
		if (isUniqueViolation(error, "stores_slug_key")) {
			throw new ProblemError(
				problem("conflict", "This store address is taken.", {
					errors: [{ path: "storeSlug", message: "Already taken", code: "taken" }],
				}),
			);
		}
		throw error;
	}
}
