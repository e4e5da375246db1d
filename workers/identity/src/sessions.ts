import {
	ACCESS_TOKEN_TTL_SECONDS,
	type Audience,
	loadSigningKeys,
	opaqueToken,
	type SigningKeys,
	sha256Hex,
	signAccessToken,
} from "@oja/auth";
import {
	type ClientMeta,
	type IssuedTokens,
	type Me,
	ProblemError,
	problem,
	type SessionInfo,
	type StoreMembership,
	type UserPrincipal,
} from "@oja/contracts";
import { type Database, newId, schema } from "@oja/db";
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";

/** A merchant stays signed in for 30 days of inactivity-independent lifetime. */
export const SESSION_TTL_SECONDS = 30 * 24 * 60 * 60;

let cachedKeys: { json: string; keys: Promise<SigningKeys> } | undefined;

/** Imported once per isolate (and again only if the secret changes). */
export function signingKeys(json: string | undefined): Promise<SigningKeys> {
	if (!json) throw new Error("AUTH_SIGNING_KEYS is not configured");
	if (cachedKeys?.json !== json) cachedKeys = { json, keys: loadSigningKeys(json) };
	return cachedKeys.keys;
}

export interface AuthConfig {
	keys: SigningKeys;
	issuer: string;
}

/**
 * The rows that start a session, for the caller's batch (signup puts them in the same
 * transaction as the new user). The access token is signed only after that commits.
 */
export async function newSession(db: Database, userId: string, audience: Audience, meta: ClientMeta, now = new Date()) {
	const sessionId = newId("session");
	const refreshToken = opaqueToken("rt");
	const expiresAt = new Date(now.getTime() + SESSION_TTL_SECONDS * 1000);
	const statements = [
		db.insert(schema.sessions).values({
			id: sessionId,
			userId,
			audience,
			createdAt: now,
			lastUsedAt: now,
			expiresAt,
			userAgent: meta.userAgent?.slice(0, 400) ?? null,
			ip: meta.ip,
		}),
		db.insert(schema.refreshTokens).values({ tokenHash: await sha256Hex(refreshToken), sessionId, createdAt: now }),
	] as const;
	return { sessionId, refreshToken, expiresAt, statements };
}

export async function issueTokens(
	auth: AuthConfig,
	session: { sessionId: string; refreshToken: string; expiresAt: Date },
	userId: string,
	audience: Audience,
): Promise<IssuedTokens> {
	return {
		accessToken: await signAccessToken(auth.keys, auth.issuer, { sub: userId, sid: session.sessionId, aud: audience }),
		refreshToken: session.refreshToken,
		refreshExpiresAt: session.expiresAt.toISOString(),
	};
}

const unauthorized = (detail: string, code = "invalid-session") =>
	new ProblemError(problem("unauthorized", detail, { extensions: { code } }));

/** A rotated token presented again within this window is a client race, not theft. */
const REUSE_GRACE_SECONDS = 10;

interface RefreshRow {
	session_id: string;
	user_id: string;
	audience: Audience;
	revoked_at: string | null;
	expires_at: string;
	expires_at_ok: boolean;
	rotated_at: string | null;
	rotated_recently: boolean;
	rotated_now: number | string;
	[key: string]: unknown;
}

/**
 * Rotates a refresh token in one statement: the old token is marked rotated and the new one
 * inserted only if the old one was current and its session live. Presenting a token that was
 * rotated earlier (outside a short grace window) means someone replayed it: the whole
 * session is revoked, so both the thief's and the owner's copies stop working.
 */
export async function refreshSession(db: Database, auth: AuthConfig, refreshToken: string): Promise<IssuedTokens> {
	if (!/^rt_[A-Za-z0-9_-]{20,100}$/.test(refreshToken)) throw unauthorized("The refresh token is not valid.");
	const oldHash = await sha256Hex(refreshToken);
	const next = opaqueToken("rt");
	const newHash = await sha256Hex(next);
	const result = await db.execute<RefreshRow>(sql`
		WITH current_token AS (
			SELECT rt.session_id, rt.rotated_at, s.user_id, s.audience, s.revoked_at, s.expires_at
			FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
			WHERE rt.token_hash = ${oldHash}
		), rotated AS (
			UPDATE refresh_tokens SET rotated_at = now()
			WHERE token_hash = ${oldHash} AND rotated_at IS NULL
				AND EXISTS (SELECT 1 FROM current_token WHERE revoked_at IS NULL AND expires_at > now())
			RETURNING session_id
		), inserted AS (
			INSERT INTO refresh_tokens (token_hash, session_id) SELECT ${newHash}, session_id FROM rotated RETURNING session_id
		), touched AS (
			UPDATE sessions SET last_used_at = now() WHERE id IN (SELECT session_id FROM inserted) RETURNING id
		)
		SELECT current_token.*, current_token.expires_at > now() AS expires_at_ok,
			current_token.rotated_at > now() - make_interval(secs => ${REUSE_GRACE_SECONDS}) AS rotated_recently,
			(SELECT count(*) FROM touched) AS rotated_now
		FROM current_token`);
	const row = result.rows[0];
	if (!row) throw unauthorized("The refresh token is not valid.");
	if (row.revoked_at) throw unauthorized("This session has been signed out.", "session-revoked");
	if (!row.expires_at_ok) throw unauthorized("This session has expired; sign in again.", "session-expired");
	if (Number(row.rotated_now) === 1) {
		const expiresAt = new Date(row.expires_at);
		return issueTokens(auth, { sessionId: row.session_id, refreshToken: next, expiresAt }, row.user_id, row.audience);
	}
	if (row.rotated_at && !row.rotated_recently) {
		await db
			.update(schema.sessions)
			.set({ revokedAt: new Date(), revokedReason: "refresh-token-reuse" })
			.where(and(eq(schema.sessions.id, row.session_id), isNull(schema.sessions.revokedAt)));
		console.warn(JSON.stringify({ level: "warn", msg: "auth.refresh_reuse", sessionId: row.session_id, userId: row.user_id }));
		throw unauthorized("This refresh token was already used; the session has been signed out.", "refresh-token-reuse");
	}
	// Another request rotated it a moment ago (two tabs refreshing at once).
	throw unauthorized("This refresh token was just used; retry with the newest one.", "refresh-token-rotated");
}

export async function revokeSession(db: Database, userId: string, sessionId: string, reason: string): Promise<boolean> {
	const rows = await db
		.update(schema.sessions)
		.set({ revokedAt: new Date(), revokedReason: reason })
		.where(and(eq(schema.sessions.id, sessionId), eq(schema.sessions.userId, userId), isNull(schema.sessions.revokedAt)))
		.returning({ id: schema.sessions.id });
	return rows.length > 0;
}

/** Revokes the session a refresh token belongs to (logout from a cookie alone). */
export async function revokeByRefreshToken(db: Database, refreshToken: string): Promise<void> {
	if (!/^rt_[A-Za-z0-9_-]{20,100}$/.test(refreshToken)) return;
	const hash = await sha256Hex(refreshToken);
	await db.execute(sql`
		UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout'
		WHERE revoked_at IS NULL AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ${hash})`);
}

export function membershipsQuery(db: Database, userId: string) {
	return db
		.select({ id: schema.stores.id, slug: schema.stores.slug, name: schema.stores.name, role: schema.memberships.role })
		.from(schema.memberships)
		.innerJoin(schema.stores, eq(schema.stores.id, schema.memberships.storeId))
		.where(eq(schema.memberships.userId, userId))
		.orderBy(schema.stores.createdAt);
}

/** The caller, their stores, and whether their session is still live: one round trip. */
export async function me(db: Database, principal: UserPrincipal): Promise<Me> {
	const [users, stores, live] = await db.batch([
		db
			.select({ id: schema.users.id, email: schema.users.email, name: schema.users.name, createdAt: schema.users.createdAt })
			.from(schema.users)
			.where(eq(schema.users.id, principal.userId)),
		membershipsQuery(db, principal.userId),
		liveSessionQuery(db, principal),
	]);
	const user = users[0];
	// An access token outliving its session (signed out elsewhere) is refused here.
	if (!user || live.length === 0) throw unauthorized("This session has been signed out.", "session-revoked");
	return {
		user: { ...user, createdAt: user.createdAt.toISOString() },
		stores: stores as StoreMembership[],
		sessionId: principal.sessionId,
	};
}

/** The token's session, if it is still live (not revoked, not expired); empty otherwise. */
function liveSessionQuery(db: Database, principal: UserPrincipal) {
	return db
		.select({ id: schema.sessions.id })
		.from(schema.sessions)
		.where(
			and(
				eq(schema.sessions.id, principal.sessionId),
				eq(schema.sessions.userId, principal.userId),
				isNull(schema.sessions.revokedAt),
				gt(schema.sessions.expiresAt, sql`now()`),
			),
		);
}

/** Refuses an access token whose session has ended (the token itself is still unexpired). */
export async function assertLiveSession(db: Database, principal: UserPrincipal): Promise<void> {
	const live = await liveSessionQuery(db, principal);
	if (live.length === 0) throw unauthorized("This session has been signed out.", "session-revoked");
}

export async function listSessions(db: Database, principal: UserPrincipal): Promise<SessionInfo[]> {
	// A signed-out token must not list (or, below, end) the sessions that are still live.
	await assertLiveSession(db, principal);
	const rows = await db
		.select()
		.from(schema.sessions)
		.where(
			and(
				eq(schema.sessions.userId, principal.userId),
				isNull(schema.sessions.revokedAt),
				gt(schema.sessions.expiresAt, sql`now()`),
			),
		)
		.orderBy(desc(schema.sessions.lastUsedAt))
		.limit(100);
	return rows.map((s) => ({
		id: s.id,
		createdAt: s.createdAt.toISOString(),
		lastUsedAt: s.lastUsedAt.toISOString(),
		expiresAt: s.expiresAt.toISOString(),
		userAgent: s.userAgent,
		ip: s.ip,
		current: s.id === principal.sessionId,
	}));
}

export { ACCESS_TOKEN_TTL_SECONDS };
