import { hashPassword, verifyPassword } from "@oja/auth";
import { ProblemError, problem } from "@oja/contracts";
import type { ThrottleStatus } from "./login-throttle.ts";

// Shared by the three sign-ins (merchants, operators, shoppers) so they fail the same way.

// Verifying against this when there is no stored hash (unknown email, guest) makes every
// failure cost one PBKDF2, so response time does not reveal which accounts exist.
let decoy: Promise<string> | undefined;

export async function passwordMatches(password: string, storedHash: string | null | undefined): Promise<boolean> {
	decoy ??= hashPassword("not-a-real-password");
	const ok = await verifyPassword(password, storedHash ?? (await decoy));
	return ok && Boolean(storedHash);
}

export function invalidCredentials(detail = "Email or password is incorrect."): ProblemError {
	return new ProblemError(problem("unauthorized", detail, { extensions: { code: "invalid-credentials" } }));
}

export function lockedProblem(status: Extract<ThrottleStatus, { locked: true }>): ProblemError {
	return new ProblemError(
		problem("rate-limited", `Too many failed sign-ins; this account is locked until ${status.lockedUntil}.`, {
			extensions: { code: "account-locked", lockedUntil: status.lockedUntil, retryAfter: status.retryAfterSeconds },
		}),
	);
}

export interface Throttle {
	check(): Promise<ThrottleStatus>;
	recordFailure(): Promise<ThrottleStatus>;
	recordSuccess(): Promise<void>;
}

/** Counts a failed attempt and throws: locked if this failure tipped the account over, else 401. */
export async function failSignIn(throttle: Throttle, detail?: string): Promise<never> {
	const after = await throttle.recordFailure();
	if (after.locked) throw lockedProblem(after);
	throw invalidCredentials(detail);
}

/** Throws if the account is locked; checked before the password so a lock answers the same for any password. */
export async function assertNotLocked(throttle: Throttle): Promise<void> {
	const before = await throttle.check();
	if (before.locked) throw lockedProblem(before);
}
