import { hashPassword, needsRehash } from "@oja/auth";
import type { ClientMeta, IssuedTokens, LoginInput, LoginResult } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { eq } from "drizzle-orm";
import { attemptSignIn, passwordMatches, type Throttle } from "./credentials.ts";
import { type AuthConfig, issueTokens, membershipsQuery, newSession } from "./sessions.ts";

export async function login(
	db: Database,
	auth: AuthConfig,
	input: LoginInput,
	meta: ClientMeta,
	throttle: Throttle,
): Promise<{ result: LoginResult; tokens: IssuedTokens; afterwards: Promise<unknown> }> {
	const { value: user, afterwards } = await attemptSignIn(throttle, async () => {
		const [row] = await db.select().from(schema.users).where(eq(schema.users.email, input.email)).limit(1);
		// Identical for unknown email and wrong password.
		return (await passwordMatches(input.password, row?.passwordHash)) && row ? row : null;
	});
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
		afterwards,
		result: {
			user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() },
			stores,
			accessToken: tokens.accessToken,
		},
		tokens,
	};
}
