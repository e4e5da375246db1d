import { hashPassword, needsRehash, verifyPassword } from "@oja/auth";
import { type ClientMeta, type IssuedTokens, type LoginInput, type LoginResult, ProblemError, problem } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { eq } from "drizzle-orm";
import type { ThrottleStatus } from "./login-throttle.ts";
import { type AuthConfig, issueTokens, membershipsQuery, newSession } from "./sessions.ts";

// Verifying against this when the email is unknown makes both failures cost one PBKDF2, so
// response time does not reveal which emails have accounts.
let decoy: Promise<string> | undefined;

export interface Throttle {
	check(): Promise<ThrottleStatus>;
	recordFailure(): Promise<ThrottleStatus>;
	recordSuccess(): Promise<void>;
}

function lockedProblem(status: Extract<ThrottleStatus, { locked: true }>): ProblemError {
	return new ProblemError(
		problem("rate-limited", `Too many failed sign-ins; this account is locked until ${status.lockedUntil}.`, {
			extensions: { code: "account-locked", lockedUntil: status.lockedUntil, retryAfter: status.retryAfterSeconds },
		}),
	);
}

export async function login(
	db: Database,
	auth: AuthConfig,
	input: LoginInput,
	meta: ClientMeta,
	throttle: Throttle,
): Promise<{ result: LoginResult; tokens: IssuedTokens; afterwards: Promise<void> }> {
	// Checked before the password, so a locked account answers the same for any password.
	const before = await throttle.check();
	if (before.locked) throw lockedProblem(before);
	const [user] = await db.select().from(schema.users).where(eq(schema.users.email, input.email)).limit(1);
	decoy ??= hashPassword("not-a-real-password");
	const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoy));
	if (!user || !ok) {
		const after = await throttle.recordFailure();
		if (after.locked) throw lockedProblem(after);
		// Identical for unknown email and wrong password.
		throw new ProblemError(
			problem("unauthorized", "Email or password is incorrect.", { extensions: { code: "invalid-credentials" } }),
		);
	}
	const session = await newSession(db, user.id, "merchant", meta);
	const rehash = needsRehash(user.passwordHash)
		? [
				db
					.update(schema.users)
					.set({ passwordHash: await hashPassword(input.password) })
					.where(eq(schema.users.id, user.id)),
			]
		: [];
	const [stores] = await db.batch([membershipsQuery(db, user.id), ...session.statements, ...rehash]);
	const tokens = await issueTokens(auth, session, user.id, "merchant");
	return {
		afterwards: throttle.recordSuccess(),
		result: {
			user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() },
			stores,
			accessToken: tokens.accessToken,
		},
		tokens,
	};
}
