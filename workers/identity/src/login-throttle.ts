import { DurableObject } from "cloudflare:workers";

// One instance per account (keyed by the normalised email), so the count of failed logins is
// exact and serialised no matter which location the attempts come from. Unknown emails get
// an instance too: locking behaves identically whether or not the account exists.
//
// A sign-in reserves an attempt BEFORE the password is verified and settles it after, and the
// reservation counts against the budget from the moment it is granted. A separate "check"
// before and "record failure" after would let every guess of a concurrent burst pass the
// check while the others were still hashing (issue 8: ~30 verifications where 10 are allowed).
// Each method below runs without awaiting anything (the synchronous SQLite-backed KV API), so
// no other request can interleave inside one: every decision is made on the latest state.

export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;
/**
 * A reservation the caller never settled (its Worker died mid-request) is counted as a
 * failure once this passes, so crashing a sign-in can never hand out extra attempts.
 */
export const RESERVATION_TTL_MS = 60_000;

interface State {
	/** Failed attempts settled in the current window. */
	failures: number;
	windowStart: number;
	lockedUntil: number;
	/** Attempts granted in the current window (each verified at most one password). */
	granted: number;
	/** Reservations granted and not yet settled: id → expiry. */
	pending: Record<string, number>;
}

export type ThrottleStatus =
	| { locked: false; failures: number }
	| { locked: true; lockedUntil: string; retryAfterSeconds: number };

export type Reservation =
	| { granted: true; ticket: string }
	| { granted: false; status: Extract<ThrottleStatus, { locked: true }> };

/** What the throttle knows about the current window (for operators and tests). */
export interface ThrottleWindow {
	failures: number;
	pending: number;
	granted: number;
	windowStart: string | null;
	lockedUntil: string | null;
}

const fresh = (): State => ({ failures: 0, windowStart: 0, lockedUntil: 0, granted: 0, pending: {} });

/** Starts a window; reservations still in flight carry over (they were granted and may yet fail). */
function newWindow(state: State, now: number): void {
	state.failures = 0;
	state.lockedUntil = 0;
	state.granted = Object.keys(state.pending).length;
	state.windowStart = state.granted > 0 ? now : 0;
}

export class LoginThrottle extends DurableObject<IdentityEnv> {
	private load(now: number): State {
		const state = { ...fresh(), ...this.ctx.storage.kv.get<State>("state") };
		// Abandoned reservations count as failures: a crash must not be a way around the limit.
		for (const [ticket, expiresAt] of Object.entries(state.pending)) {
			if (expiresAt <= now) {
				delete state.pending[ticket];
				state.failures += 1;
			}
		}
		const lockOver = state.lockedUntil !== 0 && state.lockedUntil <= now;
		const windowOver = state.lockedUntil === 0 && state.windowStart !== 0 && now - state.windowStart > WINDOW_MS;
		if (lockOver || windowOver) newWindow(state, now);
		return state;
	}

	/**
	 * The account is locked exactly while failures + attempts in flight reach the budget (and
	 * for LOCK_MS after the attempt that reached it). So the attempt that takes the last of the
	 * budget locks the account at once, pessimistically, and every concurrent attempt after it
	 * is refused; if it turns out to be the right password, its success lifts the lock.
	 */
	private settleLock(state: State, now: number): ThrottleStatus {
		const used = state.failures + Object.keys(state.pending).length;
		if (used >= MAX_FAILURES && state.lockedUntil <= now) state.lockedUntil = now + LOCK_MS;
		// Only a released reservation can bring the count back under while locked: the lock was its own.
		if (used < MAX_FAILURES && state.lockedUntil > now) state.lockedUntil = 0;
		this.ctx.storage.kv.put("state", state);
		if (state.lockedUntil > now) return lockedStatus(state, now);
		return { locked: false, failures: state.failures };
	}

	/** Grants one password verification, or refuses (without verifying anything) because the account is locked. */
	async reserve(): Promise<Reservation> {
		const now = Date.now();
		const state = this.load(now);
		if (state.lockedUntil > now) {
			this.ctx.storage.kv.put("state", state);
			return { granted: false, status: lockedStatus(state, now) };
		}
		if (state.windowStart === 0) state.windowStart = now;
		const ticket = crypto.randomUUID();
		state.pending[ticket] = now + RESERVATION_TTL_MS;
		state.granted += 1;
		this.settleLock(state, now);
		return { granted: true, ticket };
	}

	/**
	 * Settles a reservation: `failed` keeps it counted; `succeeded` clears the settled failures
	 * and any lock (attempts still in flight keep counting); `released` (the sign-in broke
	 * before a password was judged) hands the attempt back.
	 */
	async settle(ticket: string, outcome: "failed" | "succeeded" | "released"): Promise<ThrottleStatus> {
		const now = Date.now();
		const state = this.load(now);
		if (ticket in state.pending) {
			delete state.pending[ticket];
			if (outcome === "failed") state.failures += 1;
			else if (outcome === "succeeded") newWindow(state, now);
			else state.granted = Math.max(0, state.granted - 1);
		}
		return this.settleLock(state, now);
	}

	/** The current window's counts: what operators (and the lockout tests) can observe. */
	async window(): Promise<ThrottleWindow> {
		const now = Date.now();
		const state = this.load(now);
		return {
			failures: state.failures,
			pending: Object.keys(state.pending).length,
			granted: state.granted,
			windowStart: state.windowStart ? new Date(state.windowStart).toISOString() : null,
			lockedUntil: state.lockedUntil > now ? new Date(state.lockedUntil).toISOString() : null,
		};
	}
}

function lockedStatus(state: State, now: number): Extract<ThrottleStatus, { locked: true }> {
	return {
		locked: true,
		lockedUntil: new Date(state.lockedUntil).toISOString(),
		retryAfterSeconds: Math.ceil((state.lockedUntil - now) / 1000),
	};
}
