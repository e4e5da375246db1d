import { hashPassword, opaqueToken, sha256Hex } from "@oja/auth";
import { ProblemError, problem, type UserPrincipal } from "@oja/contracts";
import { type Database, vetoReason } from "@oja/db";
import type { EmailMessage } from "@oja/email";
import { sql } from "drizzle-orm";
import { assertLiveSession } from "./sessions.ts";

// Email verification and password reset for merchants (users) and shoppers (customers, per
// store). Tokens are single-use, stored only as SHA-256 hashes, and expire (verification 24 h,
// reset 1 h). A new request retires the subject's earlier live tokens of the same purpose, and a
// successful reset retires the rest and signs every session out.
//
// The email is sent straight to oja-email once the token row has committed, not through the
// outbox: the message must carry the raw token (the link), and outbox rows are kept in Postgres
// and fanned out to ops' platform event log, which would then hold usable credentials. A queue
// message is transient. If the send fails the unused token just expires: the person asks again.
//
// Links put the token in the URL fragment (#token=…): browsers never send a fragment to a
// server, so it stays out of access logs and Referer headers; the page posts it to the API.

const VERIFY_TTL_SECONDS = 24 * 60 * 60;
const RESET_TTL_SECONDS = 60 * 60;

type Purpose = "verify_email" | "reset_password";
export type Subject = { kind: "user"; userId: string } | { kind: "customer"; storeId: string; customerId: string };

export interface AccountEmailDeps {
	db: Database;
	/** The oja-email producer. */
	send: (message: EmailMessage) => Promise<void>;
	/** PUBLIC_BASE_URL: where the links in the emails point. */
	baseUrl: string;
	log: (line: Record<string, unknown>) => void;
}

const subjectSql = (s: Subject) =>
	s.kind === "user"
		? sql`user_id = ${s.userId} AND customer_id IS NULL`
		: sql`store_id = ${s.storeId} AND customer_id = ${s.customerId}`;

/**
 * Mints a token for `subject`, retiring its earlier live ones of the same purpose, in one batch
 * that locks the subject's row first: two requests at once then run one after the other, and
 * the second's UPDATE (a fresh snapshot) retires the first's token, so only the newest link works.
 */
/** Links one account may be sent per purpose per hour. */
const TOKENS_PER_HOUR = 5;
const THROTTLED = "account_email_throttled";

async function issueToken(db: Database, subject: Subject, purpose: Purpose): Promise<{ token: string; hash: string }> {
	const token = opaqueToken(purpose === "verify_email" ? "ev" : "pr");
	const hash = await sha256Hex(token);
	const ttl = purpose === "verify_email" ? VERIFY_TTL_SECONDS : RESET_TTL_SECONDS;
	const [userId, storeId, customerId] =
		subject.kind === "user" ? [subject.userId, null, null] : [null, subject.storeId, subject.customerId];
	await db.batch([
		subject.kind === "user"
			? db.execute(sql`SELECT id FROM users WHERE id = ${subject.userId} FOR UPDATE`)
			: db.execute(sql`SELECT id FROM customers WHERE id = ${subject.customerId} AND store_id = ${subject.storeId} FOR UPDATE`),
		// At most a few links per account and purpose an hour, whoever asks and from however many
		// addresses: each request emails the owner and retires their previous link.
		db.execute(sql`SELECT oja_assert(
			(SELECT count(*) FROM account_tokens WHERE ${subjectSql(subject)} AND purpose = ${purpose}
				AND created_at > now() - interval '1 hour') < ${TOKENS_PER_HOUR}, ${THROTTLED})`),
		db.execute(sql`UPDATE account_tokens SET used_at = now()
			WHERE ${subjectSql(subject)} AND purpose = ${purpose} AND used_at IS NULL`),
		db.execute(sql`INSERT INTO account_tokens (token_hash, purpose, user_id, store_id, customer_id, expires_at)
			VALUES (${hash}, ${purpose}, ${userId}, ${storeId}, ${customerId}, now() + make_interval(secs => ${ttl}))`),
	]);
	return { token, hash };
}

function link(base: string, path: string, token: string): string {
	return `${base.replace(/\/$/, "")}${path}#token=${token}`;
}

async function sendAccountEmail(
	deps: AccountEmailDeps,
	subject: Subject,
	purpose: Purpose,
	to: { email: string; name: string },
	store: { slug: string; name: string } | null,
): Promise<void> {
	let issued: { token: string; hash: string };
	try {
		issued = await issueToken(deps.db, subject, purpose);
	} catch (error) {
		if (vetoReason(error) !== THROTTLED) throw error;
		// Answered 202 like every request; the owner's inbox is not flooded.
		deps.log({ level: "warn", msg: "account_email.throttled", purpose, subject: subject.kind });
		return;
	}
	const { token, hash } = issued;
	const page = purpose === "verify_email" ? "verify-email" : "reset-password";
	const path = store ? `/s/${store.slug}/account/${page}` : `/account/${page}`;
	const data = { name: to.name, storeName: store?.name ?? null, link: link(deps.baseUrl, path, token) };
	// The key is the token's hash: a redelivered queue message is the same email, never a second one.
	const base = { key: `acct:${hash}`, storeId: subject.kind === "customer" ? subject.storeId : null, to: to.email };
	await deps.send(
		purpose === "verify_email"
			? { ...base, template: "email_verification", data }
			: { ...base, template: "password_reset", data },
	);
	deps.log({ level: "info", msg: "account_email.queued", purpose, subject: subject.kind });
}

/** Runs a request-an-email flow after the response; failures are logged, never reported (no enumeration). */
export function inBackground(deps: AccountEmailDeps, waitUntil: (p: Promise<unknown>) => void, work: () => Promise<void>): void {
	waitUntil(
		work().catch((error: unknown) =>
			deps.log({ level: "error", msg: "account_email.failed", error: error instanceof Error ? error.name : "unknown" }),
		),
	);
}

// ── Merchants ──

export async function requestUserVerification(deps: AccountEmailDeps, principal: UserPrincipal): Promise<void> {
	await assertLiveSession(deps.db, principal);
	const rows = await deps.db.execute<{ email: string; name: string; verified: boolean }>(
		sql`SELECT email, name, email_verified_at IS NOT NULL AS verified FROM users WHERE id = ${principal.userId}`,
	);
	const user = rows.rows[0];
	if (!user || user.verified) return;
	await sendAccountEmail(deps, { kind: "user", userId: principal.userId }, "verify_email", user, null);
}

export async function requestUserReset(deps: AccountEmailDeps, email: string): Promise<void> {
	const rows = await deps.db.execute<{ id: string; email: string; name: string }>(
		sql`SELECT id, email, name FROM users WHERE email = ${email.toLowerCase()}`,
	);
	const user = rows.rows[0];
	if (!user) return;
	await sendAccountEmail(deps, { kind: "user", userId: user.id }, "reset_password", user, null);
}

// ── Shoppers (one store's accounts) ──

export async function requestCustomerVerification(
	deps: AccountEmailDeps,
	store: { id: string; slug: string; name: string },
	customerId: string,
): Promise<void> {
	const rows = await deps.db.execute<{ email: string | null; name: string | null; verified: boolean }>(sql`
		SELECT email, name, email_verified_at IS NOT NULL AS verified FROM customers WHERE id = ${customerId} AND store_id = ${store.id}`);
	const customer = rows.rows[0];
	if (!customer?.email || customer.verified) return;
	await sendAccountEmail(
		deps,
		{ kind: "customer", storeId: store.id, customerId },
		"verify_email",
		{ email: customer.email, name: customer.name ?? "there" },
		store,
	);
}

export async function requestCustomerReset(
	deps: AccountEmailDeps,
	store: { id: string; slug: string; name: string },
	email: string,
): Promise<void> {
	// Accounts only: a guest (no password) signs up instead, which is where a password is first set.
	const rows = await deps.db.execute<{ id: string; email: string; name: string | null }>(sql`
		SELECT id, email, name FROM customers WHERE store_id = ${store.id} AND email = ${email.toLowerCase()} AND password_hash IS NOT NULL`);
	const customer = rows.rows[0];
	if (!customer) return;
	await sendAccountEmail(
		deps,
		{ kind: "customer", storeId: store.id, customerId: customer.id },
		"reset_password",
		{ email: customer.email, name: customer.name ?? "there" },
		store,
	);
}

// ── Confirmations ──

interface Consumed {
	applied: number | string;
	found: boolean;
	used: boolean | null;
	expired: boolean | null;
	[key: string]: unknown;
}

/** Why a token did nothing: unknown (400), or used / expired (410). */
function refused(row: Consumed | undefined): ProblemError {
	if (!row?.found) {
		return new ProblemError(
			problem("bad-request", "This link is not valid; ask for a new email.", { extensions: { code: "invalid-token" } }),
		);
	}
	if (row.used) {
		return new ProblemError(
			problem("gone", "This link was already used; ask for a new email.", { extensions: { code: "token-used" } }),
		);
	}
	return new ProblemError(
		problem("gone", "This link has expired; ask for a new email.", { extensions: { code: "token-expired" } }),
	);
}

/** Which tokens a confirmation may consume: a user's, or one store's customers' (never another store's). */
type Scope = { kind: "user" } | { kind: "customer"; storeId: string };
const scopeSql = (scope: Scope) =>
	scope.kind === "user" ? sql`user_id IS NOT NULL` : sql`customer_id IS NOT NULL AND store_id = ${scope.storeId}`;

/**
 * Marks the subject's email verified, consuming the token in the same statement: the token's
 * UPDATE … WHERE used_at IS NULL is the claim, so two clicks at once verify once. The trailing
 * SELECT sees the statement's starting snapshot, which tells used and expired tokens apart.
 */
export async function confirmVerification(db: Database, scope: Scope, token: string): Promise<void> {
	const hash = await sha256Hex(token);
	const table = scope.kind === "user" ? sql`users` : sql`customers`;
	const owner = scope.kind === "user" ? sql`user_id` : sql`customer_id`;
	const result = await db.execute<Consumed>(sql`
		WITH t AS (
			UPDATE account_tokens SET used_at = now()
			WHERE token_hash = ${hash} AND purpose = 'verify_email' AND ${scopeSql(scope)} AND used_at IS NULL AND expires_at > now()
			RETURNING ${owner} AS owner
		), v AS (
			UPDATE ${table} SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
			WHERE id IN (SELECT owner FROM t) RETURNING id
		)
		SELECT (SELECT count(*) FROM v) AS applied, k.token_hash IS NOT NULL AS found,
			k.used_at IS NOT NULL AS used, k.expires_at <= now() AS expired
		FROM (SELECT 1) one LEFT JOIN account_tokens k
			ON k.token_hash = ${hash} AND k.purpose = 'verify_email' AND ${scopeSql(scope)}`);
	const row = result.rows[0];
	if (Number(row?.applied ?? 0) !== 1) throw refused(row);
}

/**
 * Sets a new password with a reset token, in one statement: consume the token, set the hash,
 * retire the subject's other reset tokens and revoke every session (a merchant's refresh tokens
 * die with their sessions; a shopper's access tokens are checked against theirs). Receiving the
 * link proves the mailbox, so the email counts as verified too.
 */
export async function confirmReset(db: Database, scope: Scope, token: string, password: string): Promise<void> {
	const hash = await sha256Hex(token);
	// Hashed before the statement: PBKDF2 is slow, and no row should wait on it.
	const passwordHash = await hashPassword(password);
	const isUser = scope.kind === "user";
	const owner = isUser ? sql`user_id` : sql`customer_id`;
	const revoke = isUser
		? sql`UPDATE sessions SET revoked_at = now(), revoked_reason = 'password-reset'
			WHERE user_id IN (SELECT id FROM p) AND revoked_at IS NULL RETURNING id`
		: sql`UPDATE customer_sessions SET revoked_at = now()
			WHERE customer_id IN (SELECT id FROM p) AND store_id = ${scope.kind === "customer" ? scope.storeId : ""} AND revoked_at IS NULL RETURNING id`;
	const result = await db.execute<Consumed>(sql`
		WITH t AS (
			UPDATE account_tokens SET used_at = now()
			WHERE token_hash = ${hash} AND purpose = 'reset_password' AND ${scopeSql(scope)} AND used_at IS NULL AND expires_at > now()
			RETURNING ${owner} AS owner
		), p AS (
			UPDATE ${isUser ? sql`users` : sql`customers`}
			SET password_hash = ${passwordHash}, email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
			WHERE id IN (SELECT owner FROM t) RETURNING id
		), others AS (
			UPDATE account_tokens SET used_at = now()
			WHERE ${owner} IN (SELECT id FROM p) AND purpose = 'reset_password' AND used_at IS NULL AND token_hash <> ${hash}
			RETURNING 1
		), revoked AS (${revoke})
		SELECT (SELECT count(*) FROM p) AS applied, k.token_hash IS NOT NULL AS found,
			k.used_at IS NOT NULL AS used, k.expires_at <= now() AS expired,
			(SELECT count(*) FROM revoked) AS revoked, (SELECT count(*) FROM others) AS retired
		FROM (SELECT 1) one LEFT JOIN account_tokens k
			ON k.token_hash = ${hash} AND k.purpose = 'reset_password' AND ${scopeSql(scope)}`);
	const row = result.rows[0];
	if (Number(row?.applied ?? 0) !== 1) throw refused(row);
}
