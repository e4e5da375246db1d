import { hashPassword, verifyPassword } from "@oja/auth";
import { ProblemError, problem } from "@oja/contracts";
import type { Reservation, ThrottleStatus } from "./login-throttle.ts";

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
	reserve(): Promise<Reservation>;
	settle(ticket: string, outcome: "failed" | "succeeded" | "released"): Promise<ThrottleStatus>;
}

/**
 * Runs one sign-in attempt under the account's throttle: reserves an attempt before
 * `verify` may check a password and settles it with the outcome, so a concurrent burst gets
 * exactly as many verifications as the budget allows. `verify` answers whether the
 * credentials are right; when they are not, this throws (locked if this failure used up the
 * budget, else 401). Success is settled in the background through `afterwards` (the caller
 * hands it to waitUntil): the attempt stays counted until then, which only errs on the safe side.
 */
export async function attemptSignIn<T>(
	throttle: Throttle,
	verify: () => Promise<T | null>,
	detail?: string,
): Promise<{ value: T; afterwards: Promise<unknown> }> {
	const reservation = await throttle.reserve();
	if (!reservation.granted) throw lockedProblem(reservation.status);
	let value: T | null;
	try {
		value = await verify();
	} catch (error) {
		// Broke before judging the password (e.g. the database is down): not a guess.
		await throttle.settle(reservation.ticket, "released").catch(() => undefined);
		throw error;
	}
	if (value === null) {
		const after = await throttle.settle(reservation.ticket, "failed");
		if (after.locked) throw lockedProblem(after);
		throw invalidCredentials(detail);
	}
	return { value, afterwards: throttle.settle(reservation.ticket, "succeeded") };
}
