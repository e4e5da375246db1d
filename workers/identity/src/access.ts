import { opaqueToken, sha256Hex } from "@oja/auth";
import type { ApiKeyInfo, ApiKeyPrincipal, CreateApiKeyInput, CreatedApiKey, Principal, StoreAccess } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, newId, schema } from "@oja/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";

const notFound = () => new ProblemError(problem("not-found", "No such store."));
const sessionEnded = () =>
	new ProblemError(problem("unauthorized", "This session has been signed out.", { extensions: { code: "session-revoked" } }));

type Role = StoreAccess["role"];

/**
 * Resolves what the caller may do in `storeId`. A store the caller does not belong to is
 * reported as missing (404), the same as one that does not exist, so ids cannot be probed.
 */
export async function resolveStoreAccess(db: Database, principal: Principal, storeId: string): Promise<StoreAccess> {
	if (principal.kind === "api_key") {
		if (principal.storeId !== storeId) throw notFound();
		return { storeId, role: principal.role, userId: null, sessionId: null, apiKeyId: principal.keyId };
	}
	// Operators act on stores through the audited /v1/ops routes, and shoppers through the
	// storefront; neither is ever a member.
	if (principal.kind === "operator" || principal.kind === "customer") throw notFound();
	// The same round trip checks the session behind the token: logout, revoking a session and
	// refresh-token reuse detection end store access at once, not when the token expires.
	const { rows } = await db.execute<{ role: Role | null; live: boolean }>(sql`
		SELECT
			(SELECT role FROM memberships WHERE store_id = ${storeId} AND user_id = ${principal.userId}) AS role,
			EXISTS (SELECT 1 FROM sessions WHERE id = ${principal.sessionId} AND user_id = ${principal.userId}
				AND revoked_at IS NULL AND expires_at > now()) AS live`);
	const row = rows[0];
	if (!row?.live) throw sessionEnded();
	if (!row.role) throw notFound();
	return { storeId, role: row.role, userId: principal.userId, sessionId: principal.sessionId, apiKeyId: null };
}

/** The one key kind there is. (`sk_test_` and `pk_` keys were revoked by migration 0011.) */
const KEY_PATTERN = /^sk_live_[A-Za-z0-9_-]{32,64}$/;

/** Verifies a secret API key; records when it was last used at most once a minute. */
export async function verifyApiKey(
	db: Database,
	key: string,
): Promise<{ principal: ApiKeyPrincipal; touch: Promise<unknown> | null }> {
	const invalid = () =>
		new ProblemError(problem("unauthorized", "The API key is not valid.", { extensions: { code: "invalid-api-key" } }));
	if (!KEY_PATTERN.test(key)) throw invalid();
	const hash = await sha256Hex(key);
	const [row] = await db
		.select()
		.from(schema.apiKeys)
		.where(and(eq(schema.apiKeys.tokenHash, hash), isNull(schema.apiKeys.revokedAt)))
		.limit(1);
	if (row?.kind !== "secret" || row.mode !== "live" || (row.role !== "admin" && row.role !== "staff")) throw invalid();
	const stale = !row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000;
	const touch = stale ? db.update(schema.apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(schema.apiKeys.id, row.id)) : null;
	return { principal: { kind: "api_key", keyId: row.id, storeId: row.storeId, role: row.role, mode: "live" }, touch };
}

/**
 * Team and key management need a signed-in person (the gateway refuses keys first; this
 * holds even if a route forgets). Returns the actor for the audit row.
 */
export function requirePerson(access: StoreAccess): { userId: string; sessionId: string } {
	if (access.userId === null || access.sessionId === null) {
		throw new ProblemError(
			problem("forbidden", "Managing the team and API keys needs a signed-in person, not an API key.", {
				extensions: { code: "person-required" },
			}),
		);
	}
	return { userId: access.userId, sessionId: access.sessionId };
}

/** The audit row for a team or key change, for the same batch as the change. */
export function storeAudit(
	access: StoreAccess,
	requestId: string,
	entry: { action: string; targetType: "api_key" | "member"; targetId: string; details?: Record<string, unknown> },
) {
	return {
		id: newId("storeAudit"),
		storeId: access.storeId,
		actorUserId: access.userId,
		actorSessionId: access.sessionId,
		actorApiKeyId: access.apiKeyId,
		action: entry.action,
		targetType: entry.targetType,
		targetId: entry.targetId,
		details: entry.details ?? null,
		requestId,
	};
}

function info(row: typeof schema.apiKeys.$inferSelect): ApiKeyInfo {
	return {
		id: row.id,
		name: row.name,
		kind: row.kind,
		mode: row.mode,
		role: row.role,
		prefix: row.prefix,
		createdAt: row.createdAt.toISOString(),
		lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
	};
}

export async function createApiKey(
	db: Database,
	access: StoreAccess,
	input: CreateApiKeyInput,
	requestId: string,
): Promise<CreatedApiKey> {
	const actor = requirePerson(access);
	const key = opaqueToken("sk_live");
	const id = newId("apiKey");
	const [rows] = await db.batch([
		db
			.insert(schema.apiKeys)
			.values({
				id,
				storeId: access.storeId,
				name: input.name,
				kind: "secret",
				mode: "live",
				role: input.role,
				prefix: `${key.slice(0, 12)}…`,
				tokenHash: await sha256Hex(key),
				createdBy: actor.userId,
			})
			.returning(),
		db.insert(schema.storeAuditLog).values(
			storeAudit(access, requestId, {
				action: "api_key.created",
				targetType: "api_key",
				targetId: id,
				details: { name: input.name, role: input.role },
			}),
		),
	]);
	const row = rows[0];
	if (!row) throw new Error("api key insert returned nothing");
	return { ...info(row), key };
}

export async function listApiKeys(db: Database, access: StoreAccess): Promise<ApiKeyInfo[]> {
	requirePerson(access);
	const rows = await db
		.select()
		.from(schema.apiKeys)
		.where(and(eq(schema.apiKeys.storeId, access.storeId), isNull(schema.apiKeys.revokedAt)))
		.orderBy(desc(schema.apiKeys.createdAt));
	return rows.map(info);
}

export async function revokeApiKey(db: Database, access: StoreAccess, keyId: string, requestId: string): Promise<void> {
	requirePerson(access);
	const audit = storeAudit(access, requestId, { action: "api_key.revoked", targetType: "api_key", targetId: keyId });
	// One statement: the audit row is written only if the key was revoked by it.
	const { rows } = await db.execute<{ id: string }>(sql`
		WITH revoked AS (
			UPDATE api_keys SET revoked_at = now()
			WHERE id = ${keyId} AND store_id = ${access.storeId} AND revoked_at IS NULL
			RETURNING id
		)
		INSERT INTO store_audit_log (id, store_id, actor_user_id, actor_session_id, actor_api_key_id, action, target_type, target_id, request_id)
		SELECT ${audit.id}, ${audit.storeId}, ${audit.actorUserId}, ${audit.actorSessionId}, ${audit.actorApiKeyId},
			${audit.action}, ${audit.targetType}, ${audit.targetId}, ${audit.requestId}
		FROM revoked
		RETURNING target_id AS id`);
	if (rows.length === 0) throw new ProblemError(problem("not-found", "No such API key."));
}
