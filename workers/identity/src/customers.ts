import { hashPassword, signAccessToken } from "@oja/auth";
import type { Customer, CustomerAuthResult, CustomerLoginInput, CustomerPrincipal, CustomerSignupInput } from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, newId, schema } from "@oja/db";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { attemptSignIn, passwordMatches, type Throttle } from "./credentials.ts";
import type { AuthConfig } from "./sessions.ts";

// Shoppers' accounts at one store. Every query is scoped by the store the gateway resolved
// from the storefront slug; a token minted for one store names it and is refused at others.

const SESSION_TTL_MS = 30 * 24 * 60 * 60_000;

function view(row: typeof schema.customers.$inferSelect): Customer {
	return {
		id: row.id,
		storeId: row.storeId,
		email: row.email,
		name: row.name,
		hasAccount: row.passwordHash !== null,
		createdAt: row.createdAt.toISOString(),
	};
}

async function startSession(db: Database, auth: AuthConfig, customer: typeof schema.customers.$inferSelect): Promise<string> {
	const sessionId = newId("customerSession");
	await db.insert(schema.customerSessions).values({
		id: sessionId,
		storeId: customer.storeId,
		customerId: customer.id,
		expiresAt: new Date(Date.now() + SESSION_TTL_MS),
	});
	return signAccessToken(auth.keys, auth.issuer, {
		sub: customer.id,
		sid: sessionId,
		aud: "storefront",
		store: customer.storeId,
	});
}

/**
 * Creates the shopper's account, or gives a guest record (made at checkout) a password. The
 * email is not verified yet: later features gate a guest's past orders on verification, so
 * claiming an email does not reveal someone else's history.
 */
export async function customerSignup(
	db: Database,
	auth: AuthConfig,
	storeId: string,
	input: CustomerSignupInput,
): Promise<CustomerAuthResult> {
	const passwordHash = await hashPassword(input.password);
	const [row] = await db
		.insert(schema.customers)
		.values({ id: newId("customer"), storeId, email: input.email, name: input.name, passwordHash })
		.onConflictDoUpdate({
			target: [schema.customers.storeId, schema.customers.email],
			set: { passwordHash, name: input.name, updatedAt: sql`now()` },
			// Only a guest can be upgraded; an existing account is left alone (and reported below).
			setWhere: isNull(schema.customers.passwordHash),
		})
		.returning();
	if (!row) {
		throw new ProblemError(
			problem("conflict", "An account with this email already exists at this store; sign in instead.", {
				errors: [{ path: "email", message: "Already registered", code: "taken" }],
			}),
		);
	}
	return { customer: view(row), accessToken: await startSession(db, auth, row) };
}

export async function customerLogin(
	db: Database,
	auth: AuthConfig,
	storeId: string,
	input: CustomerLoginInput,
	throttle: Throttle,
): Promise<CustomerAuthResult> {
	const { value: row, afterwards } = await attemptSignIn(throttle, async () => {
		const [found] = await db
			.select()
			.from(schema.customers)
			.where(and(eq(schema.customers.storeId, storeId), eq(schema.customers.email, input.email)))
			.limit(1);
		// Guests have no password: they fail exactly like an unknown email.
		return (await passwordMatches(input.password, found?.passwordHash)) && found ? found : null;
	});
	await afterwards;
	return { customer: view(row), accessToken: await startSession(db, auth, row) };
}

/** The signed-in shopper, if their session at this store is live. */
export async function currentCustomer(db: Database, principal: CustomerPrincipal, storeId: string): Promise<Customer> {
	const signedOut = () =>
		new ProblemError(problem("unauthorized", "Sign in to this store.", { extensions: { code: "session-revoked" } }));
	if (principal.storeId !== storeId) throw signedOut();
	const [row] = await db
		.select({ customer: schema.customers })
		.from(schema.customerSessions)
		.innerJoin(schema.customers, eq(schema.customers.id, schema.customerSessions.customerId))
		.where(
			and(
				eq(schema.customerSessions.id, principal.sessionId),
				eq(schema.customerSessions.storeId, storeId),
				eq(schema.customerSessions.customerId, principal.customerId),
				isNull(schema.customerSessions.revokedAt),
				gt(schema.customerSessions.expiresAt, sql`now()`),
			),
		);
	if (!row) throw signedOut();
	return view(row.customer);
}

export async function customerLogout(db: Database, principal: CustomerPrincipal): Promise<void> {
	await db
		.update(schema.customerSessions)
		.set({ revokedAt: sql`now()` })
		.where(
			and(
				eq(schema.customerSessions.id, principal.sessionId),
				eq(schema.customerSessions.storeId, principal.storeId),
				isNull(schema.customerSessions.revokedAt),
			),
		);
}
