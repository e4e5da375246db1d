import { env } from "cloudflare:workers";
import { totpCode, totpStep } from "@oja/auth";
import { databaseWork, postJson, provisionOperator, signUpMerchant } from "@oja/test-helpers";
import { describe, expect, it } from "vitest";

// Issue 8, defect 4: the lockout must hold against concurrent bursts. Each sign-in reserves
// an attempt in the account's LoginThrottle before its password is verified, so however many
// guesses arrive at once, at most MAX_FAILURES (10) passwords are verified per window.
// Two observables: `granted` (read through a test-only binding to identity's Durable Object
// namespace) is the throttle's own count of attempts allowed to verify a password, and the
// database statements the burst ran (counted by neon-local) show independently how many
// attempts got as far as looking up the account whose password they would verify.

const MAX = 10;

function throttle(name: string) {
	return env.TEST_LOGIN_THROTTLE.get(env.TEST_LOGIN_THROTTLE.idFromName(name));
}

interface Tally {
	/** Status → count over the burst. */
	statuses: Record<number, number>;
	/** Status of the one request carrying the right password. */
	right: number;
	/** Database statements the whole burst ran. */
	queries: number;
}

/** Sends `wrong` guesses and the right password all at once (the right one in the middle). */
async function burst(send: (password: string) => Promise<Response>, rightPassword: string, wrong: number): Promise<Tally> {
	const passwords = Array.from({ length: wrong }, (_, i) => `wrong guess ${i}`);
	passwords.splice(Math.floor(wrong / 2), 0, rightPassword);
	const before = await settled();
	const responses = await Promise.all(passwords.map((p) => send(p)));
	const queries = (await databaseWork()).queries - before.queries;
	const statuses: Record<number, number> = {};
	for (const res of responses) {
		statuses[res.status] = (statuses[res.status] ?? 0) + 1;
		await res.body?.cancel();
	}
	return { statuses, right: responses[Math.floor(wrong / 2)]?.status ?? 0, queries };
}

/**
 * Waits for background work (the outbox relay and queue consumers after a signup, which
 * deliver in batches up to a second apart) to finish, so a reading counts only the burst.
 */
async function settled(): Promise<{ queries: number }> {
	let last = await databaseWork();
	for (let i = 0; i < 20; i++) {
		await new Promise((r) => setTimeout(r, 1200));
		const now = await databaseWork();
		if (now.queries === last.queries) return now;
		last = now;
	}
	throw new Error("the database never went quiet");
}

async function failSequentially(send: (password: string) => Promise<Response>, times: number): Promise<void> {
	for (let i = 0; i < times; i++) expect((await send(`warm-up wrong ${i}`)).status).toBe(401);
}

/**
 * With 9 failures already counted, one attempt is left: of 30 wrong guesses and the right
 * password sent together, at most one may verify a password. If the right one got the slot it
 * signs in (it was within the budget); otherwise the budget is gone and it is refused.
 */
async function expectBurstHeld(
	name: string,
	send: (password: string) => Promise<Response>,
	rightPassword: string,
	/** Statements every request runs before it reaches the throttle (a storefront resolves its store). */
	before = 0,
) {
	await failSequentially(send, MAX - 1);
	expect((await throttle(name).window()).granted).toBe(MAX - 1);
	const tally = await burst(send, rightPassword, 30);
	const window = await throttle(name).window();
	const answered = Object.entries(tally.statuses)
		.filter(([status]) => status !== "429")
		.reduce((n, [, count]) => n + count, 0);
	// Only the one remaining attempt was allowed to answer anything but "locked".
	expect(answered, JSON.stringify(tally)).toBeLessThanOrEqual(1);
	expect(tally.statuses[401] ?? 0, JSON.stringify(tally)).toBe(0);
	if (tally.right === 200) {
		// The right password took the last slot: that success opened a new window.
		expect(window.lockedUntil).toBeNull();
		// One account lookup, then the session it started (a handful of statements).
		expect(tally.queries, JSON.stringify(tally)).toBeLessThanOrEqual(31 * before + 6);
	} else {
		expect(tally.right).toBe(429);
		// One account lookup for the one attempt that was judged; the other 30 never got that far.
		expect(tally.queries, JSON.stringify(tally)).toBeLessThanOrEqual(31 * before + 1);
		expect(window.granted, JSON.stringify(window)).toBe(MAX);
		expect(window.lockedUntil).not.toBeNull();
		// …and it stays shut to the right password.
		expect((await send(rightPassword)).status).toBe(429);
		expect((await throttle(name).window()).granted).toBe(MAX);
	}
	return tally;
}

/** A fresh account under 40 simultaneous wrong guesses: exactly the budget is verified. */
async function expectFreshBurstCapped(
	name: string,
	send: (password: string) => Promise<Response>,
	rightPassword: string,
	perAttempt = 1,
) {
	const tally = await burst(send, "wrong as well", 39);
	const window = await throttle(name).window();
	expect(window.granted, JSON.stringify(window)).toBe(MAX);
	expect(window.pending).toBe(0);
	// At most `perAttempt` statements for each of the ten judged attempts, none for the rest.
	expect(tally.queries, JSON.stringify(tally)).toBeLessThanOrEqual(MAX * perAttempt);
	// Ten guesses were judged; the rest were refused unverified. The ten may each answer 401 or,
	// once the tenth reservation has locked the account, 429 (the lock is real by then).
	expect(tally.statuses[401] ?? 0, JSON.stringify(tally)).toBeLessThanOrEqual(MAX - 1);
	expect((tally.statuses[401] ?? 0) + (tally.statuses[429] ?? 0), JSON.stringify(tally)).toBe(40);
	expect((await send(rightPassword)).status).toBe(429);
}

describe("login lockout under concurrent bursts", () => {
	it("merchants: a burst after 9 failures verifies at most one more password, in each of 4 trials", async () => {
		for (let trial = 0; trial < 4; trial++) {
			const merchant = await signUpMerchant();
			const send = (password: string) => postJson("/v1/auth/login", { email: merchant.email, password });
			await expectBurstHeld(merchant.email, send, "correct horse battery");
		}
	});

	it("merchants: 40 simultaneous guesses on a fresh account verify exactly 10 passwords", async () => {
		const merchant = await signUpMerchant();
		const send = (password: string) => postJson("/v1/auth/login", { email: merchant.email, password });
		await expectFreshBurstCapped(merchant.email, send, "correct horse battery");
	});

	it("shoppers: the same budget holds for a store's customer accounts", async () => {
		const merchant = await signUpMerchant();
		const email = `shopper-${crypto.randomUUID()}@example.com`;
		const password = "shopper password 1";
		const signup = await postJson(`/v1/storefront/${merchant.slug}/account/signup`, { email, password, name: "Chidi" });
		expect(signup.status, await signup.clone().text()).toBe(201);
		const send = (p: string) => postJson(`/v1/storefront/${merchant.slug}/account/login`, { email, password: p });
		await expectBurstHeld(`customer:${merchant.storeId}:${email}`, send, password, 1);
	});

	it("operators: the same budget holds for operator sign-in", async () => {
		const { email, password: rightPassword, secret } = await provisionOperator("support", "Burst target");
		const totp = await totpCode(secret, totpStep(Date.now()));
		const send = (password: string) => postJson("/v1/ops/auth/login", { email, password, totp });
		// Operators: a wrong password is judged with one lookup (the code is checked only after a right one).
		await expectFreshBurstCapped(`operator:${email}`, send, rightPassword, 1);
	});
});
