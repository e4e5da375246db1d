import { databaseWork, gateway, postJson, problemOf, signupInput } from "@oja/test-helpers";
import { describe, expect, it } from "vitest";

// This file runs with the real limits from wrangler.toml (vitest.config.ts relaxes them
// everywhere else). Distinct cf-connecting-ip values keep the cases independent.

const fromIp = (ip: string) => ({ "cf-connecting-ip": ip });

describe("login lockout (exact, per account)", () => {
	it("locks an account after 10 failures for 15 minutes, visibly, whatever the password", async () => {
		const input = signupInput();
		expect((await postJson("/v1/auth/signup", input, fromIp("192.0.2.1"))).status).toBe(201);
		const wrong = { email: input.email, password: "not the password" };
		for (let attempt = 1; attempt <= 9; attempt++) {
			const problem = await problemOf(await postJson("/v1/auth/login", wrong, fromIp(`192.0.2.${attempt + 10}`)), 401);
			expect(problem.code).toBe("invalid-credentials");
		}
		const tenth = await postJson("/v1/auth/login", wrong, fromIp("192.0.2.30"));
		const retryAfter = Number(tenth.headers.get("retry-after"));
		const locked = await problemOf(tenth, 429);
		expect(locked.code).toBe("account-locked");
		expect(retryAfter).toBeGreaterThan(14 * 60);
		expect(retryAfter).toBeLessThanOrEqual(15 * 60);
		const until = Date.parse(String(locked.lockedUntil));
		expect(until - Date.now()).toBeGreaterThan(14 * 60_000);

		// The right password does not get through a lock…
		const right = await problemOf(
			await postJson("/v1/auth/login", { email: input.email, password: input.password }, fromIp("192.0.2.31")),
			429,
		);
		expect(right.code).toBe("account-locked");

		// …and other accounts are unaffected.
		const other = signupInput();
		await postJson("/v1/auth/signup", other, fromIp("192.0.2.40"));
		expect(
			(await postJson("/v1/auth/login", { email: other.email, password: other.password }, fromIp("192.0.2.41"))).status,
		).toBe(200);
	});

	it("locks unknown emails the same way, so lockout does not reveal which accounts exist", async () => {
		const wrong = { email: `nobody-${crypto.randomUUID()}@example.com`, password: "whatever it is" };
		const statuses: number[] = [];
		for (let attempt = 1; attempt <= 10; attempt++) {
			statuses.push((await postJson("/v1/auth/login", wrong, fromIp(`192.0.2.${attempt + 100}`))).status);
		}
		expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
	});
});

describe("per-IP limits (Workers Rate Limiting)", () => {
	// The limiter counts in fixed 60 s windows, so a burst may straddle a boundary. Sending
	// 2·limit + 1 requests guarantees a refusal whatever the alignment, and at least `limit`
	// must pass before the first one.
	async function burst(limit: number, send: (i: number) => Promise<Response>) {
		const statuses: number[] = [];
		let refused: Response | undefined;
		for (let i = 0; i < 2 * limit + 1 && !refused; i++) {
			const res = await send(i);
			statuses.push(res.status);
			if (res.status === 429) refused = res;
		}
		return { statuses, refused, firstRefusal: statuses.indexOf(429) };
	}

	it("allows 20 sign-in requests a minute per IP, then answers 429 with Retry-After", async () => {
		const { statuses, refused, firstRefusal } = await burst(20, (i) =>
			postJson(
				"/v1/auth/login",
				{ email: `x${i}-${crypto.randomUUID()}@example.com`, password: "wrong" },
				fromIp("198.51.100.20"),
			),
		);
		expect(refused, "no 429 within 41 requests").toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(20);
		expect(statuses.slice(0, firstRefusal).every((s) => s === 401)).toBe(true);
		expect(refused?.headers.get("retry-after")).toBe("60");
		expect((await problemOf(refused as Response, 429)).code).toBe("rate-limited");
		// Another address is unaffected.
		expect(
			(await postJson("/v1/auth/login", { email: "y@example.com", password: "wrong" }, fromIp("198.51.100.21"))).status,
		).toBe(401);
	});

	it("counts an IPv6 client by its /64, so rotating addresses within it buys nothing", async () => {
		const { refused, firstRefusal } = await burst(20, (i) =>
			postJson(
				"/v1/auth/login",
				{ email: `v6-${i}-${crypto.randomUUID()}@example.com`, password: "wrong" },
				fromIp(`2001:db8:1:2:${(i + 1).toString(16)}::${i + 7}`),
			),
		);
		expect(refused, "no 429 within 41 requests from one /64").toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(20);
		// The same /64 written another way is still the same client; the next /64 is not.
		const same = await postJson(
			"/v1/auth/login",
			{ email: "z@example.com", password: "wrong" },
			fromIp("2001:0db8:0001:0002::1"),
		);
		expect(same.status).toBe(429);
		const other = await postJson("/v1/auth/login", { email: "z@example.com", password: "wrong" }, fromIp("2001:db8:1:3::1"));
		expect(other.status).toBe(401);
	});

	it("allows 100 storefront requests a minute per IP", async () => {
		const { statuses, refused, firstRefusal } = await burst(100, () =>
			gateway("/v1/storefront/no-such-store", { headers: fromIp("198.51.100.30") }),
		);
		expect(refused).toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(100);
		expect(statuses.slice(0, firstRefusal).every((s) => s === 404)).toBe(true);
		expect((await gateway("/v1/storefront/no-such-store", { headers: fromIp("198.51.100.31") })).status).toBe(404);
	});

	it("limits a store's public delivery options (uncached: every request reaches Postgres)", async () => {
		const merchant = await postJson("/v1/auth/signup", signupInput(), fromIp("203.0.113.61"));
		const { store } = (await merchant.json()) as { store: { slug: string } };
		const { refused, firstRefusal } = await burst(100, () =>
			gateway(`/v1/storefront/${store.slug}/delivery-options`, { headers: fromIp("198.51.100.41") }),
		);
		expect(refused).toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(100);
	});

	it("counts storefront reads that reach the origin, not edge-cache hits", async () => {
		const merchant = await postJson("/v1/auth/signup", signupInput(), fromIp("203.0.113.60"));
		const { store } = (await merchant.json()) as { store: { slug: string } };
		const ip = fromIp("198.51.100.40");
		const hits = await burst(150, () => gateway(`/v1/storefront/${store.slug}/products`, { headers: ip }));
		expect(hits.refused).toBeUndefined();
		expect(hits.statuses.every((s) => s === 200)).toBe(true);
		// Distinct queries miss the cache every time, so they use up the same IP's allowance.
		let n = 0;
		const misses = await burst(100, () =>
			gateway(`/v1/storefront/${store.slug}/products?limit=${(n++ % 50) + 1}&x=${n}`, { headers: ip }),
		);
		expect(misses.refused).toBeDefined();
	});

	it("limits the cart and checkout pages (the storefront Worker's) at 100 a minute per IP", async () => {
		const merchant = await postJson("/v1/auth/signup", signupInput(), fromIp("203.0.113.70"));
		const { store } = (await merchant.json()) as { store: { slug: string } };
		const { statuses, refused, firstRefusal } = await burst(100, (i) =>
			gateway(`/s/${store.slug}/${i % 2 ? "cart" : "checkout"}`, { headers: fromIp("198.51.100.50") }),
		);
		expect(refused).toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(100);
		expect(statuses.slice(0, firstRefusal).every((s) => s === 200)).toBe(true);
		expect(refused?.headers.get("content-type")).toMatch(/^application\/problem\+json/);
		expect(refused?.headers.get("retry-after")).toBe("60");
		expect((await gateway(`/s/${store.slug}/cart`, { headers: fromIp("198.51.100.51") })).status).toBe(200);
	});

	it("allows 600 requests a minute per secret API key, whatever the address", async () => {
		const merchant = await postJson("/v1/auth/signup", signupInput(), fromIp("203.0.113.50"));
		const { store, accessToken } = (await merchant.json()) as { store: { id: string }; accessToken: string };
		const created = await gateway(`/v1/stores/${store.id}/api-keys`, {
			method: "POST",
			headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
			body: JSON.stringify({ name: "busy integration", role: "staff" }),
		});
		const { key } = (await created.json()) as { key: string };
		// Spread over addresses: the key's own limit is what is being measured.
		const { statuses, refused, firstRefusal } = await burst(600, (i) =>
			gateway(`/v1/stores/${store.id}`, { headers: { authorization: `Bearer ${key}`, ...fromIp(`203.0.113.${i % 200}`) } }),
		);
		expect(refused).toBeDefined();
		expect(firstRefusal).toBeGreaterThanOrEqual(600);
		expect(statuses.slice(0, firstRefusal).every((s) => s === 200)).toBe(true);
		// The merchant's own token is not affected by the key's limit.
		expect((await gateway(`/v1/stores/${store.id}`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
	});
});

describe("failed credential checks per IP", () => {
	const randomKey = () => {
		const bytes = crypto.getRandomValues(new Uint8Array(32));
		return `sk_live_${btoa(String.fromCharCode(...bytes))
			.replace(/\+/g, "-")
			.replace(/\//g, "_")
			.replace(/=+$/, "")}`;
	};

	it("200 random sk_live_ keys from one address: 429 after 20 failures, and the database lookups stop", async () => {
		const merchant = await postJson("/v1/auth/signup", signupInput(), fromIp("203.0.113.70"));
		const { store } = (await merchant.json()) as { store: { id: string } };
		const ip = fromIp("198.51.100.80");
		// Let the signup's background relay finish, so the reading counts only the burst.
		await new Promise((r) => setTimeout(r, 1500));
		const before = await databaseWork();
		const statuses: number[] = [];
		for (let i = 0; i < 200; i++) {
			const res = await gateway(`/v1/stores/${store.id}`, { headers: { authorization: `Bearer ${randomKey()}`, ...ip } });
			statuses.push(res.status);
			await res.body?.cancel();
		}
		const lookups = (await databaseWork()).queries - before.queries;
		const firstRefusal = statuses.indexOf(429);
		// The limiter counts in fixed 60 s windows: at least 20 failures pass before the first
		// refusal, at most 40 if the burst straddles a window boundary.
		expect(firstRefusal, statuses.join(",")).toBeGreaterThanOrEqual(20);
		expect(firstRefusal).toBeLessThanOrEqual(41);
		expect(statuses.slice(0, firstRefusal).every((s) => s === 401)).toBe(true);
		expect(statuses.slice(firstRefusal).every((s) => s === 429)).toBe(true);
		// One lookup per failure up to and including the one that went over the limit; none after.
		expect(lookups, `${lookups} database statements for 200 keys`).toBeLessThanOrEqual(firstRefusal + 1);
		// Another address still gets its key checked.
		expect(
			(
				await gateway(`/v1/stores/${store.id}`, {
					headers: { authorization: `Bearer ${randomKey()}`, ...fromIp("198.51.100.81") },
				})
			).status,
		).toBe(401);
	});
});
