import { DurableObject } from "cloudflare:workers";

// One instance per account (keyed by the normalised email), so the count of failed logins is
// exact and serialised no matter which location the attempts come from. Unknown emails get
// an instance too: locking behaves identically whether or not the account exists.

export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;

interface State {
	failures: number;
	windowStart: number;
	lockedUntil: number;
}

export type ThrottleStatus =
	| { locked: false; failures: number }
	| { locked: true; lockedUntil: string; retryAfterSeconds: number };

export class LoginThrottle extends DurableObject<IdentityEnv> {
	private state: State | undefined;

	private async load(): Promise<State> {
		this.state ??= (await this.ctx.storage.get<State>("state")) ?? { failures: 0, windowStart: 0, lockedUntil: 0 };
		return this.state;
	}

	private status(state: State, now: number): ThrottleStatus {
		if (state.lockedUntil > now) {
			return {
				locked: true,
				lockedUntil: new Date(state.lockedUntil).toISOString(),
				retryAfterSeconds: Math.ceil((state.lockedUntil - now) / 1000),
			};
		}
		return { locked: false, failures: state.failures };
	}

	async check(): Promise<ThrottleStatus> {
		return this.status(await this.load(), Date.now());
	}

	async recordFailure(): Promise<ThrottleStatus> {
		const now = Date.now();
		const state = await this.load();
		if (state.lockedUntil > now) return this.status(state, now);
		if (now - state.windowStart > WINDOW_MS) {
			state.failures = 0;
			state.windowStart = now;
		}
		state.failures += 1;
		if (state.failures >= MAX_FAILURES) {
			state.lockedUntil = now + LOCK_MS;
			state.failures = 0;
			state.windowStart = 0;
		}
		await this.ctx.storage.put("state", state);
		return this.status(state, now);
	}

	async recordSuccess(): Promise<void> {
		const state = await this.load();
		if (state.failures === 0 && state.lockedUntil === 0) return;
		this.state = { failures: 0, windowStart: 0, lockedUntil: 0 };
		await this.ctx.storage.put("state", this.state);
	}
}
